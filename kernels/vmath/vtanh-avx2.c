/* tanh(x), AVX2+FMA: 8 lanes; scalar twin vtanh-scalar.c (same algorithm and
 * constants, bit-identical results): tanh = sign(x) m / (m + 2),
 * m = expm1(2 min(|x|, 9.1)) assembled from non-negative terms. */
#include "vmath.h"
#include "vmath-avx2-inl.h"

void arnn_f32_vtanh__avx2(const float *x, float *y, size_t n) {
  ARNN_KERNEL_ASSERT(arnn_vunary_args_ok(x, y, n));
  for (; n >= 16; n -= 16, x += 16, y += 16) {
    const __m256 v0 = _mm256_loadu_ps(x), v1 = _mm256_loadu_ps(x + 8);
    _mm256_storeu_ps(y, arnn_avx2_tanh(v0));
    _mm256_storeu_ps(y + 8, arnn_avx2_tanh(v1));
  }
  for (; n >= 8; n -= 8, x += 8, y += 8) _mm256_storeu_ps(y, arnn_avx2_tanh(_mm256_loadu_ps(x)));
  if (n) {
    const __m256i m = arnn_avx2_tail_mask(n);
    _mm256_maskstore_ps(y, m, arnn_avx2_tanh(_mm256_maskload_ps(x, m)));
  }
}
