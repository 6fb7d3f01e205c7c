/* AVX-512 building blocks of the vmath kernels; the scalar twins are in
 * vmath-scalar-inl.h and must stay operation-for-operation identical. */
#ifndef ARNN_KERNELS_VMATH_AVX512_INL_H
#define ARNN_KERNELS_VMATH_AVX512_INL_H

#include <immintrin.h>

#include "vmath-constants.h"

/* Twin of arnn_scalar_expm1_reduced(): r + r^2 Q(r). */
static inline __m512 arnn_avx512_expm1_reduced(__m512 r) {
  __m512 q = _mm512_fmadd_ps(_mm512_set1_ps(ARNN_VEXP_Q4), r, _mm512_set1_ps(ARNN_VEXP_Q3));
  q = _mm512_fmadd_ps(q, r, _mm512_set1_ps(ARNN_VEXP_Q2));
  q = _mm512_fmadd_ps(q, r, _mm512_set1_ps(ARNN_VEXP_Q1));
  q = _mm512_fmadd_ps(q, r, _mm512_set1_ps(ARNN_VEXP_Q0));
  return _mm512_fmadd_ps(_mm512_mul_ps(r, r), q, r);
}

/* Twin of arnn_scalar_exp_clamped(). VSCALEFPS computes p * 2^n with one
 * rounding, exactly like arnn_scale_by_pow2(). */
static inline __m512 arnn_avx512_exp_clamped(__m512 x) {
  const __m512 magic = _mm512_set1_ps(ARNN_VMATH_ROUND_MAGIC);
  const __m512 t = _mm512_fmadd_ps(x, _mm512_set1_ps(ARNN_VMATH_LOG2E), magic);
  const __m512 n = _mm512_sub_ps(t, magic);
  __m512 r = _mm512_fmadd_ps(n, _mm512_set1_ps(-ARNN_VMATH_LN2_HI), x);
  r = _mm512_fmadd_ps(n, _mm512_set1_ps(-ARNN_VMATH_LN2_LO), r);
  const __m512 p = _mm512_add_ps(_mm512_set1_ps(1.0f), arnn_avx512_expm1_reduced(r));
  return _mm512_scalef_ps(p, n);
}

/* Mask of the first `n` lanes (n < 16). */
static inline __mmask16 arnn_avx512_tail_mask(size_t n) { return _cvtu32_mask16((1u << n) - 1u); }

#endif
