/* AVX-512 building blocks of the vmath kernels; the scalar twins are in
 * vmath-scalar-inl.h and must stay operation-for-operation identical. */
#ifndef ARNN_KERNELS_VMATH_AVX512_INL_H
#define ARNN_KERNELS_VMATH_AVX512_INL_H

#include <immintrin.h>

#include "vmath-constants.h"

/* Mask of the first `n` lanes (n < 16). */
static inline __mmask16 arnn_avx512_tail_mask(size_t n) { return _cvtu32_mask16((1u << n) - 1u); }

/* exp(x) per lane; twin of arnn_scalar_exp(), the kernel file vexp-scalar.c
 * describes the algorithm. */
static inline __m512 arnn_avx512_exp(__m512 x) {
  const __m512 magic = _mm512_set1_ps(ARNN_VEXP_ROUND_MAGIC16);
  /* clamp to [-104, 104]; NaN passes (second operand). (VRANGEPS would clamp
   * in one instruction but turns a NaN into the other operand.) */
  __m512 v = _mm512_min_ps(_mm512_set1_ps(ARNN_VEXP_CLAMP), x);
  v = _mm512_max_ps(_mm512_set1_ps(-ARNN_VEXP_CLAMP), v);
  const __m512 t = _mm512_fmadd_ps(v, _mm512_set1_ps(ARNN_VMATH_LOG2E), magic);
  const __m512 nq = _mm512_sub_ps(t, magic);
  __m512 r = _mm512_fmadd_ps(nq, _mm512_set1_ps(-ARNN_VMATH_LN2_HI), v);
  r = _mm512_fmadd_ps(nq, _mm512_set1_ps(-ARNN_VMATH_LN2_LO), r);
  /* T_k: the permute reads the low 4 bits of t's lanes, which hold k */
  const __m512 table = _mm512_permutexvar_ps(_mm512_castps_si512(t), _mm512_loadu_ps(arnn_vexp_table16));
  const __m512 q = _mm512_fmadd_ps(_mm512_set1_ps(ARNN_VEXP_C3), r, _mm512_set1_ps(ARNN_VEXP_C2));
  const __m512 s = _mm512_fmadd_ps(q, _mm512_mul_ps(r, r), r);
  const __m512 y = _mm512_fmadd_ps(table, s, table);
  /* VSCALEFPS: y * 2^floor(nq), rounded once, like arnn_scale_by_pow2() */
  return _mm512_scalef_ps(y, nq);
}

/* tanh(x) per lane; the kernel file vtanh-avx512.c describes the algorithm. */
static inline __m512 arnn_avx512_tanh(__m512 v) {
  const __m512 magic = _mm512_set1_ps(ARNN_VMATH_ROUND_MAGIC_BIASED);
  const __m512 abs_mask = _mm512_castsi512_ps(_mm512_set1_epi32(0x7fffffff));
  const __m512 a = _mm512_min_ps(_mm512_set1_ps(ARNN_VTANH_HI), _mm512_and_ps(v, abs_mask));
  /* n = floor(2a log2 e) = round(2a log2 e - 0.49); t holds n + 127 in its low bits */
  const __m512 t = _mm512_add_ps(_mm512_fmadd_ps(a, _mm512_set1_ps(ARNN_VTANH_2LOG2E), _mm512_set1_ps(ARNN_VTANH_ROUND_DOWN)), magic);
  const __m512 n = _mm512_sub_ps(t, magic);
  __m512 r = _mm512_fmadd_ps(n, _mm512_set1_ps(-ARNN_VTANH_LN2_HI_HALF), a);
  r = _mm512_fmadd_ps(n, _mm512_set1_ps(-ARNN_VTANH_LN2_LO_HALF), r);
  /* h = expm1(2r)/2 with halved coefficients; u = m/2 = fma(2^n, h, (2^n - 1)/2) */
  __m512 q = _mm512_fmadd_ps(_mm512_set1_ps(ARNN_VTANH_HQ4), r, _mm512_set1_ps(ARNN_VTANH_HQ3));
  q = _mm512_fmadd_ps(q, r, _mm512_set1_ps(ARNN_VTANH_HQ2));
  q = _mm512_fmadd_ps(q, r, _mm512_set1_ps(ARNN_VTANH_HQ1));
  q = _mm512_fmadd_ps(q, r, _mm512_set1_ps(ARNN_VTANH_HQ0));
  const __m512 h = _mm512_fmadd_ps(_mm512_mul_ps(r, r), q, r);
  const __m512 pow2n = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_castps_si512(t), 23));
  const __m512 u = _mm512_fmadd_ps(pow2n, h, _mm512_fmadd_ps(pow2n, _mm512_set1_ps(0.5f), _mm512_set1_ps(-0.5f)));
  const __m512 q0 = _mm512_div_ps(u, _mm512_add_ps(u, _mm512_set1_ps(1.0f)));
  /* u < 1/2: refine with tanh = u (1 - tanh), i.e. fma(-u, q0, u) */
  const __mmask16 refine = _mm512_cmp_ps_mask(u, _mm512_set1_ps(ARNN_VTANH_CORRECT_BELOW), _CMP_LT_OQ);
  const __m512 magnitude = _mm512_mask_fnmadd_ps(q0, refine, u, u);
  /* magnitude | (v & sign): 0xf8 = A | (B & C) */
  return _mm512_castsi512_ps(_mm512_ternarylogic_epi32(_mm512_castps_si512(magnitude), _mm512_castps_si512(v),
                                                       _mm512_set1_epi32((int)0x80000000u), 0xf8));
}

/* sigmoid(x) per lane; the kernel file vsigmoid-avx512.c describes the algorithm. */
static inline __m512 arnn_avx512_sigmoid(__m512 v) {
  const __m512 magic = _mm512_set1_ps(ARNN_VMATH_ROUND_MAGIC_BIASED);
  const __m512 lo = _mm512_set1_ps(ARNN_VSIGMOID_LO);
  /* x clamped to at most -LO (no lower clamp: lanes below LO become 0 at
   * the end whatever they computed); w = -x is folded into the constants and into
   * fnmadd/fmsub (negation is exact), as in the scalar twin: r_neg = -r. */
  const __m512 xc = _mm512_min_ps(_mm512_set1_ps(-ARNN_VSIGMOID_LO), v); /* NaN passes (second operand) */
  const __m512 t = _mm512_fmadd_ps(xc, _mm512_set1_ps(-ARNN_VMATH_LOG2E), magic);
  const __m512 n = _mm512_sub_ps(t, magic);
  __m512 r_neg = _mm512_fmadd_ps(n, _mm512_set1_ps(ARNN_VMATH_LN2_HI), xc);
  r_neg = _mm512_fmadd_ps(n, _mm512_set1_ps(ARNN_VMATH_LN2_LO), r_neg);
  __m512 q = _mm512_fmadd_ps(_mm512_set1_ps(-ARNN_VEXP_Q4), r_neg, _mm512_set1_ps(ARNN_VEXP_Q3));
  q = _mm512_fnmadd_ps(q, r_neg, _mm512_set1_ps(ARNN_VEXP_Q2));
  q = _mm512_fnmadd_ps(q, r_neg, _mm512_set1_ps(ARNN_VEXP_Q1));
  q = _mm512_fnmadd_ps(q, r_neg, _mm512_set1_ps(ARNN_VEXP_Q0));
  const __m512 s = _mm512_fmsub_ps(_mm512_mul_ps(r_neg, r_neg), q, r_neg); /* expm1(-x - n ln2) */
  const __m512 pow2n = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_castps_si512(t), 23));
  /* 1 + e^-x = fma(2^n, s, 2^n + 1); for n >= 24, 2^n + 1 rounds to 2^n and
   * the 1 rides in s + 2^-n instead */
  const __mmask16 big = _mm512_cmp_ps_mask(pow2n, _mm512_set1_ps(0x1p24f), _CMP_GE_OQ);
  const __m512 inv_pow2n = _mm512_castsi512_ps(_mm512_sub_epi32(_mm512_set1_epi32(0x7f000000), _mm512_castps_si512(pow2n)));
  const __m512 s_adj = _mm512_mask_add_ps(s, big, s, inv_pow2n);
  const __m512 denominator = _mm512_fmadd_ps(pow2n, s_adj, _mm512_add_ps(pow2n, _mm512_set1_ps(1.0f)));
  /* lanes with x < LO become 0; "not less than, unordered" keeps NaN lanes */
  const __mmask16 keep = _mm512_cmp_ps_mask(v, lo, _CMP_NLT_UQ);
  return _mm512_maskz_div_ps(keep, _mm512_set1_ps(1.0f), denominator);
}

#endif
