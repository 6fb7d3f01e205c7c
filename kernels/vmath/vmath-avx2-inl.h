/* AVX2+FMA building blocks of the vmath kernels; the scalar twins are in
 * vmath-scalar-inl.h and must stay operation-for-operation identical. */
#ifndef ARNN_KERNELS_VMATH_AVX2_INL_H
#define ARNN_KERNELS_VMATH_AVX2_INL_H

#include <immintrin.h>

#include "vmath-constants.h"

/* Lane mask for the first `n` lanes (n < 8), for maskload/maskstore, which
 * never touch memory of masked-off lanes. */
static inline __m256i arnn_avx2_tail_mask(size_t n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/* exp(x) per lane; twin of arnn_scalar_exp(), the kernel file vexp-scalar.c
 * describes the algorithm. */
static inline __m256 arnn_avx2_exp(__m256 x) {
  const __m256 magic = _mm256_set1_ps(ARNN_VEXP_ROUND_MAGIC16);
  __m256 v = _mm256_min_ps(_mm256_set1_ps(ARNN_VEXP_CLAMP), x); /* NaN passes (second operand) */
  v = _mm256_max_ps(_mm256_set1_ps(-ARNN_VEXP_CLAMP), v);
  const __m256 t = _mm256_fmadd_ps(v, _mm256_set1_ps(ARNN_VMATH_LOG2E), magic);
  const __m256 nq = _mm256_sub_ps(t, magic);
  __m256 r = _mm256_fmadd_ps(nq, _mm256_set1_ps(-ARNN_VMATH_LN2_HI), v);
  r = _mm256_fmadd_ps(nq, _mm256_set1_ps(-ARNN_VMATH_LN2_LO), r);
  /* T_k: two 8-entry permutes (low 3 bits of k), bit 3 of k picks one */
  const __m256i tb = _mm256_castps_si256(t);
  const __m256 table_lo = _mm256_permutevar8x32_ps(_mm256_loadu_ps(arnn_vexp_table16), tb);
  const __m256 table_hi = _mm256_permutevar8x32_ps(_mm256_loadu_ps(arnn_vexp_table16 + 8), tb);
  const __m256 table = _mm256_blendv_ps(table_lo, table_hi, _mm256_castsi256_ps(_mm256_slli_epi32(tb, 28)));
  const __m256 q = _mm256_fmadd_ps(_mm256_set1_ps(ARNN_VEXP_C3), r, _mm256_set1_ps(ARNN_VEXP_C2));
  const __m256 s = _mm256_fmadd_ps(q, _mm256_mul_ps(r, r), r);
  const __m256 y = _mm256_fmadd_ps(table, s, table);
  /* y * 2^n, n = floor(nq), as two exact power-of-two factors 2^n1 * 2^n2
   * (n1 = floor(n/2)): rounded once like arnn_scale_by_pow2() (whose split
   * differs, but both intermediate products are exact, so the result is the same) */
  const __m256i ni = _mm256_srai_epi32(_mm256_sub_epi32(tb, _mm256_castps_si256(magic)), 4);
  const __m256i n1 = _mm256_srai_epi32(ni, 1);
  const __m256i n2 = _mm256_sub_epi32(ni, n1);
  const __m256i bias = _mm256_set1_epi32(127);
  const __m256 s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n1, bias), 23));
  const __m256 s2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n2, bias), 23));
  return _mm256_mul_ps(_mm256_mul_ps(y, s1), s2);
}

/* tanh(x) per lane; the kernel file vtanh-avx2.c describes the algorithm. */
static inline __m256 arnn_avx2_tanh(__m256 v) {
  const __m256 magic = _mm256_set1_ps(ARNN_VMATH_ROUND_MAGIC_BIASED);
  const __m256 sign_mask = _mm256_set1_ps(-0.0f);
  const __m256 a = _mm256_min_ps(_mm256_set1_ps(ARNN_VTANH_HI), _mm256_andnot_ps(sign_mask, v));
  /* n = floor(2a log2 e) = round(2a log2 e - 0.49); t holds n + 127 in its low bits */
  const __m256 t = _mm256_add_ps(_mm256_fmadd_ps(a, _mm256_set1_ps(ARNN_VTANH_2LOG2E), _mm256_set1_ps(ARNN_VTANH_ROUND_DOWN)), magic);
  const __m256 n = _mm256_sub_ps(t, magic);
  __m256 r = _mm256_fmadd_ps(n, _mm256_set1_ps(-ARNN_VTANH_LN2_HI_HALF), a);
  r = _mm256_fmadd_ps(n, _mm256_set1_ps(-ARNN_VTANH_LN2_LO_HALF), r);
  /* h = expm1(2r)/2 with halved coefficients; u = m/2 = fma(2^n, h, (2^n - 1)/2) */
  __m256 q = _mm256_fmadd_ps(_mm256_set1_ps(ARNN_VTANH_HQ4), r, _mm256_set1_ps(ARNN_VTANH_HQ3));
  q = _mm256_fmadd_ps(q, r, _mm256_set1_ps(ARNN_VTANH_HQ2));
  q = _mm256_fmadd_ps(q, r, _mm256_set1_ps(ARNN_VTANH_HQ1));
  q = _mm256_fmadd_ps(q, r, _mm256_set1_ps(ARNN_VTANH_HQ0));
  const __m256 h = _mm256_fmadd_ps(_mm256_mul_ps(r, r), q, r);
  const __m256 pow2n = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_castps_si256(t), 23));
  const __m256 u = _mm256_fmadd_ps(pow2n, h, _mm256_fmadd_ps(pow2n, _mm256_set1_ps(0.5f), _mm256_set1_ps(-0.5f)));
  const __m256 q0 = _mm256_div_ps(u, _mm256_add_ps(u, _mm256_set1_ps(1.0f)));
  /* u < 1/2: refine with tanh = u (1 - tanh), i.e. fma(-u, q0, u) */
  const __m256 refine = _mm256_cmp_ps(u, _mm256_set1_ps(ARNN_VTANH_CORRECT_BELOW), _CMP_LT_OQ);
  const __m256 magnitude = _mm256_blendv_ps(q0, _mm256_fnmadd_ps(u, q0, u), refine);
  return _mm256_or_ps(magnitude, _mm256_and_ps(v, sign_mask));
}

/* sigmoid(x) per lane; the kernel file vsigmoid-avx2.c describes the algorithm. */
static inline __m256 arnn_avx2_sigmoid(__m256 v) {
  const __m256 magic = _mm256_set1_ps(ARNN_VMATH_ROUND_MAGIC_BIASED);
  const __m256 lo = _mm256_set1_ps(ARNN_VSIGMOID_LO);
  /* x clamped to at most -LO (no lower clamp: lanes below LO become 0 at
   * the end whatever they computed); w = -x is folded into the constants and into
   * fnmadd/fmsub (negation is exact), as in the scalar twin: r_neg = -r. */
  const __m256 xc = _mm256_min_ps(_mm256_set1_ps(-ARNN_VSIGMOID_LO), v); /* NaN passes (second operand) */
  const __m256 t = _mm256_fmadd_ps(xc, _mm256_set1_ps(-ARNN_VMATH_LOG2E), magic);
  const __m256 n = _mm256_sub_ps(t, magic);
  __m256 r_neg = _mm256_fmadd_ps(n, _mm256_set1_ps(ARNN_VMATH_LN2_HI), xc);
  r_neg = _mm256_fmadd_ps(n, _mm256_set1_ps(ARNN_VMATH_LN2_LO), r_neg);
  __m256 q = _mm256_fmadd_ps(_mm256_set1_ps(-ARNN_VEXP_Q4), r_neg, _mm256_set1_ps(ARNN_VEXP_Q3));
  q = _mm256_fnmadd_ps(q, r_neg, _mm256_set1_ps(ARNN_VEXP_Q2));
  q = _mm256_fnmadd_ps(q, r_neg, _mm256_set1_ps(ARNN_VEXP_Q1));
  q = _mm256_fnmadd_ps(q, r_neg, _mm256_set1_ps(ARNN_VEXP_Q0));
  const __m256 s = _mm256_fmsub_ps(_mm256_mul_ps(r_neg, r_neg), q, r_neg); /* expm1(-x - n ln2) */
  const __m256 pow2n = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_castps_si256(t), 23));
  /* 1 + e^-x = fma(2^n, s, 2^n + 1); for n >= 24, 2^n + 1 rounds to 2^n and
   * the 1 rides in s + 2^-n instead (adding +0 elsewhere leaves s unchanged) */
  const __m256 big = _mm256_cmp_ps(pow2n, _mm256_set1_ps(0x1p24f), _CMP_GE_OQ);
  const __m256 inv_pow2n = _mm256_castsi256_ps(_mm256_sub_epi32(_mm256_set1_epi32(0x7f000000), _mm256_castps_si256(pow2n)));
  const __m256 s_adj = _mm256_add_ps(s, _mm256_and_ps(big, inv_pow2n));
  const __m256 denominator = _mm256_fmadd_ps(pow2n, s_adj, _mm256_add_ps(pow2n, _mm256_set1_ps(1.0f)));
  /* lanes with x < LO become 0; "not less than, unordered" keeps NaN lanes */
  const __m256 keep = _mm256_cmp_ps(v, lo, _CMP_NLT_UQ);
  return _mm256_and_ps(keep, _mm256_div_ps(_mm256_set1_ps(1.0f), denominator));
}

#endif
