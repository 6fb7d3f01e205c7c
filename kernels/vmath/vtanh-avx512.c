/* tanh(x), AVX-512: 16 lanes; scalar twin vtanh-scalar.c (same algorithm and
 * constants, bit-identical results): tanh = sign(x) m / (m + 2),
 * m = expm1(2 min(|x|, 9.1)) assembled from non-negative terms. */
#include "vmath.h"
#include "vmath-avx512-inl.h"

static inline __m512 tanh16(__m512 v) {
  const __m512 magic = _mm512_set1_ps(ARNN_VMATH_ROUND_MAGIC_BIASED);
  const __m512 abs_mask = _mm512_castsi512_ps(_mm512_set1_epi32(0x7fffffff));
  const __m512 a = _mm512_min_ps(_mm512_set1_ps(ARNN_VTANH_HI), _mm512_and_ps(v, abs_mask));
  /* n = floor(2a log2 e) = round(2a log2 e - 0.49); t holds n + 127 in its low bits */
  const __m512 t = _mm512_add_ps(_mm512_fmadd_ps(a, _mm512_set1_ps(ARNN_VTANH_2LOG2E), _mm512_set1_ps(ARNN_VTANH_ROUND_DOWN)), magic);
  const __m512 n = _mm512_sub_ps(t, magic);
  __m512 r = _mm512_fmadd_ps(n, _mm512_set1_ps(-ARNN_VTANH_LN2_HI_HALF), a);
  r = _mm512_fmadd_ps(n, _mm512_set1_ps(-ARNN_VTANH_LN2_LO_HALF), r);
  __m512 q = _mm512_fmadd_ps(_mm512_set1_ps(ARNN_VTANH_Q4), r, _mm512_set1_ps(ARNN_VTANH_Q3));
  q = _mm512_fmadd_ps(q, r, _mm512_set1_ps(ARNN_VTANH_Q2));
  q = _mm512_fmadd_ps(q, r, _mm512_set1_ps(ARNN_VTANH_Q1));
  q = _mm512_fmadd_ps(q, r, _mm512_set1_ps(ARNN_VTANH_Q0));
  const __m512 r2 = _mm512_mul_ps(r, r);
  const __m512 expm1_2r = _mm512_fmadd_ps(r2, q, _mm512_add_ps(r, r));
  const __m512 pow2n = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_castps_si512(t), 23));
  const __m512 m = _mm512_fmadd_ps(pow2n, expm1_2r, _mm512_sub_ps(pow2n, _mm512_set1_ps(1.0f)));
  const __m512 u = _mm512_mul_ps(_mm512_set1_ps(0.5f), m);
  const __m512 q0 = _mm512_div_ps(u, _mm512_add_ps(u, _mm512_set1_ps(1.0f)));
  /* u < 1/2: refine with tanh = u (1 - tanh), i.e. fma(-u, q0, u) */
  const __mmask16 refine = _mm512_cmp_ps_mask(u, _mm512_set1_ps(ARNN_VTANH_CORRECT_BELOW), _CMP_LT_OQ);
  const __m512 magnitude = _mm512_mask_fnmadd_ps(q0, refine, u, u);
  /* magnitude | (v & sign): 0xf8 = A | (B & C) */
  return _mm512_castsi512_ps(_mm512_ternarylogic_epi32(_mm512_castps_si512(magnitude), _mm512_castps_si512(v),
                                                       _mm512_set1_epi32((int)0x80000000u), 0xf8));
}

void arnn_f32_vtanh__avx512(const float *x, float *y, size_t n) {
  for (; n >= 32; n -= 32, x += 32, y += 32) {
    const __m512 v0 = _mm512_loadu_ps(x), v1 = _mm512_loadu_ps(x + 16);
    _mm512_storeu_ps(y, tanh16(v0));
    _mm512_storeu_ps(y + 16, tanh16(v1));
  }
  for (; n >= 16; n -= 16, x += 16, y += 16) _mm512_storeu_ps(y, tanh16(_mm512_loadu_ps(x)));
  if (n) {
    const __mmask16 m = arnn_avx512_tail_mask(n);
    _mm512_mask_storeu_ps(y, m, tanh16(_mm512_maskz_loadu_ps(m, x)));
  }
}
