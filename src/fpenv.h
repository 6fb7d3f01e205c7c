/* Denormal handling around layer-level library calls (LSTM cell states decay
 * into subnormals, and x86 runs arithmetic on them ~20x slower):
 * set flush-to-zero and denormals-are-zero for the duration of a call and
 * restore the caller's mode afterwards. Kernels stay correct without it. */
#ifndef ARNN_SRC_FPENV_H
#define ARNN_SRC_FPENV_H

#if defined(__x86_64__) || defined(_M_X64)
#include <xmmintrin.h>
typedef unsigned arnn_fpenv;
/* MXCSR.FTZ (bit 15) | MXCSR.DAZ (bit 6) */
static inline arnn_fpenv arnn_fpenv_enter_ftz(void) {
  const unsigned csr = _mm_getcsr();
  _mm_setcsr(csr | 0x8040u);
  return csr;
}
static inline void arnn_fpenv_restore(arnn_fpenv saved) { _mm_setcsr(saved); }
#elif defined(__aarch64__)
#include <stdint.h>
typedef uint64_t arnn_fpenv;
/* FPCR.FZ (bit 24) */
static inline arnn_fpenv arnn_fpenv_enter_ftz(void) {
  uint64_t fpcr;
  __asm__ volatile("mrs %0, fpcr" : "=r"(fpcr));
  __asm__ volatile("msr fpcr, %0" : : "r"(fpcr | (UINT64_C(1) << 24)));
  return fpcr;
}
static inline void arnn_fpenv_restore(arnn_fpenv saved) { __asm__ volatile("msr fpcr, %0" : : "r"(saved)); }
#else
typedef int arnn_fpenv;
static inline arnn_fpenv arnn_fpenv_enter_ftz(void) { return 0; }
static inline void arnn_fpenv_restore(arnn_fpenv saved) { (void)saved; }
#endif

#endif
