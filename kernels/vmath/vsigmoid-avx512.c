/* sigmoid(x), AVX-512: 16 lanes; scalar twin vsigmoid-scalar.c (same
 * algorithm and constants, bit-identical results):
 * sigmoid = 1 / fma(2^n, s, 2^n + 1) with e^-x = 2^n (1 + s), -x clamped to
 * [LO, -LO]; zero below ln(FLT_MIN). */
#include "vmath.h"
#include "vmath-avx512-inl.h"

void arnn_f32_vsigmoid__avx512(const float *x, float *y, size_t n) {
  ARNN_KERNEL_ASSERT(arnn_vunary_args_ok(x, y, n));
  for (; n >= 32; n -= 32, x += 32, y += 32) {
    const __m512 v0 = _mm512_loadu_ps(x), v1 = _mm512_loadu_ps(x + 16);
    _mm512_storeu_ps(y, arnn_avx512_sigmoid(v0));
    _mm512_storeu_ps(y + 16, arnn_avx512_sigmoid(v1));
  }
  for (; n >= 16; n -= 16, x += 16, y += 16) _mm512_storeu_ps(y, arnn_avx512_sigmoid(_mm512_loadu_ps(x)));
  if (n) {
    const __mmask16 m = arnn_avx512_tail_mask(n);
    _mm512_mask_storeu_ps(y, m, arnn_avx512_sigmoid(_mm512_maskz_loadu_ps(m, x)));
  }
}
