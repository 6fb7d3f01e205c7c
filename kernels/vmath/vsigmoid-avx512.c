/* sigmoid(x), AVX-512: 16 lanes; scalar twin vsigmoid-scalar.c (same
 * algorithm and constants, bit-identical results):
 * sigmoid = 1 / fma(2^n, s, 2^n + 1) with e^-x = 2^n (1 + s), -x clamped to
 * [LO, -LO]; zero below ln(FLT_MIN). */
#include "vmath.h"
#include "vmath-avx512-inl.h"

static inline __m512 sigmoid16(__m512 v) {
  const __m512 magic = _mm512_set1_ps(ARNN_VMATH_ROUND_MAGIC_BIASED);
  const __m512 lo = _mm512_set1_ps(ARNN_VSIGMOID_LO);
  __m512 w = _mm512_xor_ps(v, _mm512_set1_ps(-0.0f)); /* -x */
  w = _mm512_min_ps(_mm512_set1_ps(-ARNN_VSIGMOID_LO), w); /* NaN passes (second operand) */
  w = _mm512_max_ps(lo, w);
  const __m512 t = _mm512_fmadd_ps(w, _mm512_set1_ps(ARNN_VMATH_LOG2E), magic);
  const __m512 n = _mm512_sub_ps(t, magic);
  __m512 r = _mm512_fmadd_ps(n, _mm512_set1_ps(-ARNN_VMATH_LN2_HI), w);
  r = _mm512_fmadd_ps(n, _mm512_set1_ps(-ARNN_VMATH_LN2_LO), r);
  const __m512 s = arnn_avx512_expm1_reduced(r);
  const __m512 pow2n = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_castps_si512(t), 23));
  /* 1 + e^w: fma(2^n, s, 2^n + 1), or fma(2^n, s + 2^-n, 2^n) where n >= 24 */
  const __mmask16 big = _mm512_cmp_ps_mask(pow2n, _mm512_set1_ps(0x1p24f), _CMP_GE_OQ);
  const __m512 inv_pow2n = _mm512_castsi512_ps(_mm512_sub_epi32(_mm512_set1_epi32(0x7f000000), _mm512_castps_si512(pow2n)));
  const __m512 s_adj = _mm512_mask_add_ps(s, big, s, inv_pow2n);
  const __m512 c = _mm512_mask_add_ps(pow2n, _knot_mask16(big), pow2n, _mm512_set1_ps(1.0f));
  const __m512 denominator = _mm512_fmadd_ps(pow2n, s_adj, c);
  /* lanes with x < LO become 0; "not less than, unordered" keeps NaN lanes */
  const __mmask16 keep = _mm512_cmp_ps_mask(v, lo, _CMP_NLT_UQ);
  return _mm512_maskz_div_ps(keep, _mm512_set1_ps(1.0f), denominator);
}

void arnn_f32_vsigmoid__avx512(const float *x, float *y, size_t n) {
  for (; n >= 32; n -= 32, x += 32, y += 32) {
    const __m512 v0 = _mm512_loadu_ps(x), v1 = _mm512_loadu_ps(x + 16);
    _mm512_storeu_ps(y, sigmoid16(v0));
    _mm512_storeu_ps(y + 16, sigmoid16(v1));
  }
  for (; n >= 16; n -= 16, x += 16, y += 16) _mm512_storeu_ps(y, sigmoid16(_mm512_loadu_ps(x)));
  if (n) {
    const __mmask16 m = arnn_avx512_tail_mask(n);
    _mm512_mask_storeu_ps(y, m, sigmoid16(_mm512_maskz_loadu_ps(m, x)));
  }
}
