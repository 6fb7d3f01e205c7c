/* sigmoid(x), AVX2+FMA: 8 lanes; scalar twin vsigmoid-scalar.c (same
 * algorithm and constants, bit-identical results):
 * sigmoid = 1 / fma(2^n, s, 2^n + 1) with e^-x = 2^n (1 + s), -x clamped to
 * [LO, -LO]; zero below ln(FLT_MIN). */
#include "vmath.h"
#include "vmath-avx2-inl.h"

static inline __m256 sigmoid8(__m256 v) {
  const __m256 magic = _mm256_set1_ps(ARNN_VMATH_ROUND_MAGIC_BIASED);
  const __m256 lo = _mm256_set1_ps(ARNN_VSIGMOID_LO);
  __m256 w = _mm256_xor_ps(v, _mm256_set1_ps(-0.0f)); /* -x */
  w = _mm256_min_ps(_mm256_set1_ps(-ARNN_VSIGMOID_LO), w); /* NaN passes (second operand) */
  w = _mm256_max_ps(lo, w);
  const __m256 t = _mm256_fmadd_ps(w, _mm256_set1_ps(ARNN_VMATH_LOG2E), magic);
  const __m256 n = _mm256_sub_ps(t, magic);
  __m256 r = _mm256_fmadd_ps(n, _mm256_set1_ps(-ARNN_VMATH_LN2_HI), w);
  r = _mm256_fmadd_ps(n, _mm256_set1_ps(-ARNN_VMATH_LN2_LO), r);
  const __m256 s = arnn_avx2_expm1_reduced(r);
  const __m256 pow2n = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_castps_si256(t), 23));
  /* 1 + e^w: fma(2^n, s, 2^n + 1), or fma(2^n, s + 2^-n, 2^n) where n >= 24
   * (adding +0 in the other lanes leaves s and 2^n unchanged) */
  const __m256 big = _mm256_cmp_ps(pow2n, _mm256_set1_ps(0x1p24f), _CMP_GE_OQ);
  const __m256 inv_pow2n = _mm256_castsi256_ps(_mm256_sub_epi32(_mm256_set1_epi32(0x7f000000), _mm256_castps_si256(pow2n)));
  const __m256 s_adj = _mm256_add_ps(s, _mm256_and_ps(big, inv_pow2n));
  const __m256 c = _mm256_add_ps(pow2n, _mm256_andnot_ps(big, _mm256_set1_ps(1.0f)));
  const __m256 denominator = _mm256_fmadd_ps(pow2n, s_adj, c);
  /* lanes with x < LO become 0; "not less than, unordered" keeps NaN lanes */
  const __m256 keep = _mm256_cmp_ps(v, lo, _CMP_NLT_UQ);
  return _mm256_and_ps(keep, _mm256_div_ps(_mm256_set1_ps(1.0f), denominator));
}

void arnn_f32_vsigmoid__avx2(const float *x, float *y, size_t n) {
  for (; n >= 16; n -= 16, x += 16, y += 16) {
    const __m256 v0 = _mm256_loadu_ps(x), v1 = _mm256_loadu_ps(x + 8);
    _mm256_storeu_ps(y, sigmoid8(v0));
    _mm256_storeu_ps(y + 8, sigmoid8(v1));
  }
  for (; n >= 8; n -= 8, x += 8, y += 8) _mm256_storeu_ps(y, sigmoid8(_mm256_loadu_ps(x)));
  if (n) {
    const __m256i m = arnn_avx2_tail_mask(n);
    _mm256_maskstore_ps(y, m, sigmoid8(_mm256_maskload_ps(x, m)));
  }
}
