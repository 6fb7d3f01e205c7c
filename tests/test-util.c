#include "test-util.h"

#include <string.h>

#include "dispatch/dispatch.h"

#if defined(__x86_64__)
#include <xmmintrin.h>
#endif

#define ARNN_KERNEL(op, isa, arch) {"arnn_f32_" #op "__" #isa, #op, #isa, arnn_f32_##op##__##isa},
const test_vunary_kernel test_vunary_kernels[] = {
#include "kernels/vmath/f32-vunary.inc"
};
#undef ARNN_KERNEL
const size_t test_vunary_kernel_count = sizeof test_vunary_kernels / sizeof test_vunary_kernels[0];

int test_isa_available(const char *isa) {
  const int level = arnn_isa_level_from_name(isa);
  if (level < 0 || !arnn_isa_level_on_this_arch((arnn_isa_level)level)) return 0;
  return (arnn_isa_level)level <= arnn_dispatch()->isa;
}

int test_ftz_supported(void) {
#if defined(__x86_64__) || defined(__aarch64__)
  return 1;
#else
  return 0;
#endif
}

void test_set_ftz(int on) {
#if defined(__x86_64__)
  const unsigned ftz_daz = 0x8040; /* MXCSR.FTZ (bit 15) | MXCSR.DAZ (bit 6) */
  unsigned csr = _mm_getcsr();
  _mm_setcsr(on ? (csr | ftz_daz) : (csr & ~ftz_daz));
#elif defined(__aarch64__)
  uint64_t fpcr;
  __asm__ volatile("mrs %0, fpcr" : "=r"(fpcr));
  fpcr = on ? (fpcr | (UINT64_C(1) << 24)) : (fpcr & ~(UINT64_C(1) << 24)); /* FPCR.FZ */
  __asm__ volatile("msr fpcr, %0" : : "r"(fpcr));
#else
  (void)on;
#endif
}

uint64_t test_rand_u64(uint64_t *state) {
  uint64_t x = *state;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  *state = x;
  return x * UINT64_C(0x2545F4914F6CDD1D);
}

float test_rand_uniform(uint64_t *state, float lo, float hi) {
  const double u = (double)(test_rand_u64(state) >> 11) * (1.0 / 9007199254740992.0);
  return (float)(lo + (hi - lo) * u);
}
