/* tanh(x), AVX2+FMA: 8 lanes; scalar twin vtanh-scalar.c (same algorithm and
 * constants, bit-identical results): tanh = sign(x) m / (m + 2),
 * m = expm1(2 min(|x|, 9.1)) assembled from non-negative terms. */
#include "vmath.h"
#include "vmath-avx2-inl.h"

static inline __m256 tanh8(__m256 v) {
  const __m256 magic = _mm256_set1_ps(ARNN_VMATH_ROUND_MAGIC_BIASED);
  const __m256 sign_mask = _mm256_set1_ps(-0.0f);
  const __m256 a = _mm256_min_ps(_mm256_set1_ps(ARNN_VTANH_HI), _mm256_andnot_ps(sign_mask, v));
  /* n = floor(2a log2 e) = round(2a log2 e - 0.49); t holds n + 127 in its low bits */
  const __m256 t = _mm256_add_ps(_mm256_fmadd_ps(a, _mm256_set1_ps(ARNN_VTANH_2LOG2E), _mm256_set1_ps(ARNN_VTANH_ROUND_DOWN)), magic);
  const __m256 n = _mm256_sub_ps(t, magic);
  __m256 r = _mm256_fmadd_ps(n, _mm256_set1_ps(-ARNN_VTANH_LN2_HI_HALF), a);
  r = _mm256_fmadd_ps(n, _mm256_set1_ps(-ARNN_VTANH_LN2_LO_HALF), r);
  __m256 q = _mm256_fmadd_ps(_mm256_set1_ps(ARNN_VTANH_Q4), r, _mm256_set1_ps(ARNN_VTANH_Q3));
  q = _mm256_fmadd_ps(q, r, _mm256_set1_ps(ARNN_VTANH_Q2));
  q = _mm256_fmadd_ps(q, r, _mm256_set1_ps(ARNN_VTANH_Q1));
  q = _mm256_fmadd_ps(q, r, _mm256_set1_ps(ARNN_VTANH_Q0));
  const __m256 r2 = _mm256_mul_ps(r, r);
  const __m256 expm1_2r = _mm256_fmadd_ps(r2, q, _mm256_add_ps(r, r));
  const __m256 pow2n = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_castps_si256(t), 23));
  const __m256 m = _mm256_fmadd_ps(pow2n, expm1_2r, _mm256_sub_ps(pow2n, _mm256_set1_ps(1.0f)));
  const __m256 u = _mm256_mul_ps(_mm256_set1_ps(0.5f), m);
  const __m256 q0 = _mm256_div_ps(u, _mm256_add_ps(u, _mm256_set1_ps(1.0f)));
  /* u < 1/2: refine with tanh = u (1 - tanh), i.e. fma(-u, q0, u) */
  const __m256 refine = _mm256_cmp_ps(u, _mm256_set1_ps(ARNN_VTANH_CORRECT_BELOW), _CMP_LT_OQ);
  const __m256 magnitude = _mm256_blendv_ps(q0, _mm256_fnmadd_ps(u, q0, u), refine);
  return _mm256_or_ps(magnitude, _mm256_and_ps(v, sign_mask));
}

void arnn_f32_vtanh__avx2(const float *x, float *y, size_t n) {
  for (; n >= 16; n -= 16, x += 16, y += 16) {
    const __m256 v0 = _mm256_loadu_ps(x), v1 = _mm256_loadu_ps(x + 8);
    _mm256_storeu_ps(y, tanh8(v0));
    _mm256_storeu_ps(y + 8, tanh8(v1));
  }
  for (; n >= 8; n -= 8, x += 8, y += 8) _mm256_storeu_ps(y, tanh8(_mm256_loadu_ps(x)));
  if (n) {
    const __m256i m = arnn_avx2_tail_mask(n);
    _mm256_maskstore_ps(y, m, tanh8(_mm256_maskload_ps(x, m)));
  }
}
