/* exp(x), AArch64 NEON: 4 lanes; scalar twin vexp-scalar.c (same algorithm
 * and constants, bit-identical results; the per-lane steps are
 * arnn_neon_exp() in vmath-neon-inl.h). The tail goes through a stack copy,
 * so nothing outside [0, n) is touched. */
#include "vmath.h"
#include "vmath-neon-inl.h"

void arnn_f32_vexp__neon(const float *x, float *y, size_t n) {
  ARNN_KERNEL_ASSERT(arnn_vunary_args_ok(x, y, n));
  for (; n >= 8; n -= 8, x += 8, y += 8) {
    const float32x4_t v0 = vld1q_f32(x), v1 = vld1q_f32(x + 4);
    vst1q_f32(y, arnn_neon_exp(v0));
    vst1q_f32(y + 4, arnn_neon_exp(v1));
  }
  for (; n >= 4; n -= 4, x += 4, y += 4) vst1q_f32(y, arnn_neon_exp(vld1q_f32(x)));
  if (n) ARNN_NEON_TAIL(arnn_neon_exp, x, y, n);
}
