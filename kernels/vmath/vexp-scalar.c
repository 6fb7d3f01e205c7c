/* exp(x), scalar: the reference twin of vexp-avx2.c and vexp-avx512.c.
 *
 * exp(x) = 2^n (1 + s), n = round(x / ln2), r = x - n ln2 (Cody-Waite, two
 * constants), s = r + r^2 Q(r) with Q of degree 4 (relative error 2^-27.6);
 * 1 + s is rounded once, then scaled exactly (VSCALEFPS semantics).
 * x is first clamped to [-104, 88.8]: below, every result rounds to +0; above,
 * every result overflows to +inf; NaN passes through the clamp.
 * Measured bound (tests/vmath-exhaustive, all 2^32 inputs): see README.md. */
#include "vmath.h"
#include "vmath-scalar-inl.h"

void arnn_f32_vexp__scalar(const float *x, float *y, size_t n) {
  ARNN_KERNEL_ASSERT(arnn_vunary_args_ok(x, y, n));
  for (size_t i = 0; i < n; i++) {
    y[i] = arnn_scalar_exp(x[i]);
  }
}
