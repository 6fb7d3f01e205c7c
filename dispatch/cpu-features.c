/* CPU feature detection. Built for the baseline architecture only: this file
 * must never be compiled with AVX flags (it runs before anything is known
 * about the CPU). On x86-64 a level needs the CPUID feature bits *and* the OS
 * to save the register state (XGETBV), as a kernel that touches YMM/ZMM on an
 * OS that does not save them corrupts other processes' state. */
#if defined(__AVX__) || defined(__AVX2__) || defined(__AVX512F__)
#error "dispatch/cpu-features.c must be built for the baseline ISA"
#endif

#include "cpu-features.h"

#include <stdatomic.h>
#include <string.h>

#if defined(__x86_64__)
#include <cpuid.h>
#include <stdint.h>

static uint64_t read_xcr0(void) {
  uint32_t eax, edx;
  /* XGETBV with ECX = 0; encoded as bytes so no -mxsave is needed. */
  __asm__ volatile(".byte 0x0f, 0x01, 0xd0" : "=a"(eax), "=d"(edx) : "c"(0));
  return ((uint64_t)edx << 32) | eax;
}

static arnn_isa_level detect(void) {
  unsigned eax, ebx, ecx, edx;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return ARNN_ISA_SCALAR;
  const int fma = (ecx >> 12) & 1, osxsave = (ecx >> 27) & 1, avx = (ecx >> 28) & 1;
  if (!(fma && osxsave && avx)) return ARNN_ISA_SCALAR;
  const uint64_t xcr0 = read_xcr0();
  if ((xcr0 & 0x6) != 0x6) return ARNN_ISA_SCALAR; /* XMM and YMM state */
  if (__get_cpuid_max(0, NULL) < 7) return ARNN_ISA_SCALAR;
  __cpuid_count(7, 0, eax, ebx, ecx, edx);
  const int avx2 = (ebx >> 5) & 1;
  if (!avx2) return ARNN_ISA_SCALAR;
  const int f = (ebx >> 16) & 1, dq = (ebx >> 17) & 1, bw = (ebx >> 30) & 1, vl = (ebx >> 31) & 1;
  /* opmask (bit 5), upper halves of ZMM0-15 (6), ZMM16-31 (7) */
  if (f && dq && bw && vl && (xcr0 & 0xe6) == 0xe6) return ARNN_ISA_AVX512;
  return ARNN_ISA_AVX2;
}

int arnn_isa_level_on_this_arch(arnn_isa_level level) {
  return level == ARNN_ISA_SCALAR || level == ARNN_ISA_AVX2 || level == ARNN_ISA_AVX512;
}

#elif defined(__aarch64__)
#include <sys/auxv.h>
#ifndef HWCAP_ASIMD
#define HWCAP_ASIMD (1 << 1)
#endif

static arnn_isa_level detect(void) {
  /* Advanced SIMD is architecturally mandatory on AArch64 Linux; hwcaps is
   * still consulted so that a kernel that reports otherwise is respected. */
  return (getauxval(AT_HWCAP) & HWCAP_ASIMD) ? ARNN_ISA_NEON : ARNN_ISA_SCALAR;
}

int arnn_isa_level_on_this_arch(arnn_isa_level level) {
  return level == ARNN_ISA_SCALAR || level == ARNN_ISA_NEON;
}

#else
static arnn_isa_level detect(void) { return ARNN_ISA_SCALAR; }
int arnn_isa_level_on_this_arch(arnn_isa_level level) { return level == ARNN_ISA_SCALAR; }
#endif

arnn_isa_level arnn_cpu_best_isa(void) {
  /* Detection is idempotent and side-effect free: racing threads compute and
   * store the same value, so a relaxed atomic cache is enough. */
  static atomic_int cached = -1;
  int v = atomic_load_explicit(&cached, memory_order_relaxed);
  if (v < 0) {
    v = (int)detect();
    atomic_store_explicit(&cached, v, memory_order_relaxed);
  }
  return (arnn_isa_level)v;
}

static const char *const level_names[ARNN_ISA_COUNT] = {"scalar", "neon", "avx2", "avx512"};

const char *arnn_isa_level_name(arnn_isa_level level) {
  return (unsigned)level < ARNN_ISA_COUNT ? level_names[level] : NULL;
}

int arnn_isa_level_from_name(const char *name) {
  for (int i = 0; i < ARNN_ISA_COUNT; i++)
    if (strcmp(name, level_names[i]) == 0) return i;
  return -1;
}
