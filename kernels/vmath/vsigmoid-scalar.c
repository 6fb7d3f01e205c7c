/* sigmoid(x) = 1 / (1 + e^-x), scalar: the reference twin of
 * vsigmoid-avx2.c and vsigmoid-avx512.c.
 *
 * w = -x clamped to [LO, -LO] (LO = ln(FLT_MIN) rounded up), e^w = 2^n (1 + s)
 * with the exp kernel's reduction and polynomial, then
 *   denominator = 1 + e^w = fma(2^n, s, 2^n + 1)    (2^n + 1 exact for n <= 23)
 *                         = fma(2^n, s + 2^-n, 2^n)  for n >= 24, where 2^n + 1
 *                           would round; s + 2^-n then rounds by < 2^-26,
 *   sigmoid     = 1 / denominator                   (one true division).
 * No reflection is needed: within the clamp e^w cannot overflow, nothing
 * cancels (every term is positive), and the numerator is exact, so the result
 * carries only the rounding of the denominator, the division and the
 * polynomial error (<= 2 ULP; exhaustive figures in README.md). This beats
 * e / (1 + e) for x < 0, whose separately rounded numerator can cost a whole
 * ULP of the quotient when e and the quotient sit in different binades, and
 * 0.5 + 0.5 tanh(x/2), which loses relative accuracy for x < 0.
 * For x < LO the result (below FLT_MIN) is flushed to zero; NaN stays NaN;
 * sigmoid(+-0) = 0.5, sigmoid(-inf) = 0, sigmoid(+inf) = 1. */
#include "vmath.h"
#include "vmath-scalar-inl.h"

void arnn_f32_vsigmoid__scalar(const float *x, float *y, size_t n) {
  for (size_t i = 0; i < n; i++) {
    const float v = x[i];
    float w = arnn_f32_from_bits(arnn_f32_bits(v) ^ UINT32_C(0x80000000)); /* -x */
    w = arnn_min_nan_passing(-ARNN_VSIGMOID_LO, w);
    w = arnn_max_nan_passing(ARNN_VSIGMOID_LO, w);
    const float t = fmaf(w, ARNN_VMATH_LOG2E, ARNN_VMATH_ROUND_MAGIC_BIASED);
    const float nf = t - ARNN_VMATH_ROUND_MAGIC_BIASED;
    float r = fmaf(nf, -ARNN_VMATH_LN2_HI, w);
    r = fmaf(nf, -ARNN_VMATH_LN2_LO, r);
    const float s = arnn_scalar_expm1_reduced(r);
    const float pow2n = arnn_f32_from_bits(arnn_f32_bits(t) << 23); /* 2^n, |n| <= 126 */
    float denominator;
    if (pow2n >= 0x1p24f) {
      const float inv_pow2n = arnn_f32_from_bits(UINT32_C(0x7f000000) - arnn_f32_bits(pow2n)); /* 2^-n */
      denominator = fmaf(pow2n, s + inv_pow2n, pow2n);
    } else {
      denominator = fmaf(pow2n, s, pow2n + 1.0f);
    }
    const float result = 1.0f / denominator;
    y[i] = v < ARNN_VSIGMOID_LO ? 0.0f : result;
  }
}
