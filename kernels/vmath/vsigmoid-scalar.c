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
  ARNN_KERNEL_ASSERT(arnn_vunary_args_ok(x, y, n));
  for (size_t i = 0; i < n; i++) y[i] = arnn_scalar_sigmoid(x[i]);
}
