/* Flush-to-zero / denormals-are-zero for the duration of a layer-level call
 * (NOTES.md: LSTM cell states decay into subnormals, which are ~20x slower on
 * x86). arnn_fpenv_enter() sets the mode on the calling thread and returns the
 * caller's mode; arnn_fpenv_leave() restores it. Every thread that works on a
 * call brackets its work with these. The kernels stay correct without it. */
#ifndef ARNN_SRC_RNN_FPENV_H
#define ARNN_SRC_RNN_FPENV_H

#include <stdint.h>

#if defined(__x86_64__) || defined(_M_X64)
#include <xmmintrin.h>
static inline uint64_t arnn_fpenv_enter(void) {
  const unsigned csr = _mm_getcsr();
  _mm_setcsr(csr | 0x8040u); /* MXCSR.FTZ (bit 15) | MXCSR.DAZ (bit 6) */
  return csr;
}
static inline void arnn_fpenv_leave(uint64_t saved) { _mm_setcsr((unsigned)saved); }
#elif defined(__aarch64__)
static inline uint64_t arnn_fpenv_enter(void) {
  uint64_t fpcr;
  __asm__ volatile("mrs %0, fpcr" : "=r"(fpcr));
  __asm__ volatile("msr fpcr, %0" : : "r"(fpcr | (UINT64_C(1) << 24))); /* FPCR.FZ */
  return fpcr;
}
static inline void arnn_fpenv_leave(uint64_t saved) { __asm__ volatile("msr fpcr, %0" : : "r"(saved)); }
#else
static inline uint64_t arnn_fpenv_enter(void) { return 0; }
static inline void arnn_fpenv_leave(uint64_t saved) { (void)saved; }
#endif

#endif
