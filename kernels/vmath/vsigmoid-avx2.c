/* sigmoid(x), AVX2+FMA: 8 lanes; scalar twin vsigmoid-scalar.c (same
 * algorithm and constants, bit-identical results):
 * sigmoid = 1 / fma(2^n, s, 2^n + 1) with e^-x = 2^n (1 + s), -x clamped to
 * [LO, -LO]; zero below ln(FLT_MIN). */
#include "vmath.h"
#include "vmath-avx2-inl.h"

void arnn_f32_vsigmoid__avx2(const float *x, float *y, size_t n) {
  ARNN_KERNEL_ASSERT(arnn_vunary_args_ok(x, y, n));
  for (; n >= 16; n -= 16, x += 16, y += 16) {
    const __m256 v0 = _mm256_loadu_ps(x), v1 = _mm256_loadu_ps(x + 8);
    _mm256_storeu_ps(y, arnn_avx2_sigmoid(v0));
    _mm256_storeu_ps(y + 8, arnn_avx2_sigmoid(v1));
  }
  for (; n >= 8; n -= 8, x += 8, y += 8) _mm256_storeu_ps(y, arnn_avx2_sigmoid(_mm256_loadu_ps(x)));
  if (n) {
    const __m256i m = arnn_avx2_tail_mask(n);
    _mm256_maskstore_ps(y, m, arnn_avx2_sigmoid(_mm256_maskload_ps(x, m)));
  }
}
