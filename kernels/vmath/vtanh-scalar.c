/* tanh(x), scalar: the reference twin of vtanh-avx2.c and vtanh-avx512.c.
 *
 * With a = min(|x|, 9.1) and m = expm1(2a) = e^{2a} - 1,
 *   tanh(x) = sign(x) * m / (m + 2).
 * m is built without cancellation: n = floor(2a log2 e) (round(v - 0.49) with
 * the magic constant), r = a - n ln2/2 in [0, ln2/2] (Cody-Waite), then
 *   m = 2^n (1 + expm1(2r)) - 1 = fma(2^n, expm1(2r), 2^n - 1),
 * whose two addends are both >= 0, and expm1(2r) = 2r + r^2 Q(r) (Q degree 4,
 * relative error 2^-25.6) keeps full relative accuracy as a -> 0 (for tiny and
 * subnormal a the result is exactly a). With u = m/2, tanh = u / (1 + u); the
 * rounding of 1 + u alone would cost up to 1 ULP, so for u < 1/2 the quotient
 * q0 is refined with the identity tanh = u (1 - tanh):  fma(-u, q0, u), whose
 * error is only u times q0's error.
 * Above 9.011, tanh rounds to 1, so the clamp costs nothing and maps inf to 1.
 * The sign is copied from x's sign bit: tanh(-0) = -0. */
#include "vmath.h"
#include "vmath-scalar-inl.h"

void arnn_f32_vtanh__scalar(const float *x, float *y, size_t n) {
  ARNN_KERNEL_ASSERT(arnn_vunary_args_ok(x, y, n));
  for (size_t i = 0; i < n; i++) y[i] = arnn_scalar_tanh(x[i]);
}
