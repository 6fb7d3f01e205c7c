/* exp(x), AVX2+FMA: 8 lanes; scalar twin vexp-scalar.c (same algorithm and
 * constants, bit-identical results). Masked tail: nothing outside [0, n) is
 * touched. */
#include "vmath.h"
#include "vmath-avx2-inl.h"

void arnn_f32_vexp__avx2(const float *x, float *y, size_t n) {
  ARNN_KERNEL_ASSERT(arnn_vunary_args_ok(x, y, n));
  for (; n >= 16; n -= 16, x += 16, y += 16) {
    const __m256 v0 = _mm256_loadu_ps(x), v1 = _mm256_loadu_ps(x + 8);
    _mm256_storeu_ps(y, arnn_avx2_exp(v0));
    _mm256_storeu_ps(y + 8, arnn_avx2_exp(v1));
  }
  for (; n >= 8; n -= 8, x += 8, y += 8) _mm256_storeu_ps(y, arnn_avx2_exp(_mm256_loadu_ps(x)));
  if (n) {
    const __m256i m = arnn_avx2_tail_mask(n);
    _mm256_maskstore_ps(y, m, arnn_avx2_exp(_mm256_maskload_ps(x, m)));
  }
}
