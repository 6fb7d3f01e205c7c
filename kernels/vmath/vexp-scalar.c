/* exp(x), scalar: the reference twin of vexp-avx2.c, vexp-avx512.c and
 * vexp-neon.c.
 *
 * exp(x) = 2^n T_k (1 + s): x log2 e is rounded to a multiple of 1/16,
 * nq = n + k/16 (magic-number addition, k in the low mantissa bits),
 * r = x - nq ln2 (Cody-Waite, two constants), |r| <= ln2/32;
 * T_k = 2^(k/16) from a 16-entry table (an in-register permute on the SIMD
 * ISAs: VPERMPS, two 8-lane VPERMPS, TBL); s = expm1(r) = r + r^2 (C2 + C3 r)
 * (relative error 2^-29.2); T_k + T_k s is rounded once (one FMA), then scaled
 * by 2^n exactly (VSCALEFPS semantics). 12 operations per vector on AVX-512,
 * 7 of them multiplies or FMAs.
 * x is first clamped to [-104, 104]: below, every result rounds to +0; above
 * 88.73, every result overflows to +inf; NaN passes through the clamp.
 * Measured bound (tests/vmath-accuracy --exhaustive, all 2^32 inputs): see
 * README.md. */
#include "vmath.h"
#include "vmath-scalar-inl.h"

void arnn_f32_vexp__scalar(const float *x, float *y, size_t n) {
  ARNN_KERNEL_ASSERT(arnn_vunary_args_ok(x, y, n));
  for (size_t i = 0; i < n; i++) {
    y[i] = arnn_scalar_exp(x[i]);
  }
}
