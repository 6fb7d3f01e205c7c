/* AVX2+FMA building blocks of the vmath kernels; the scalar twins are in
 * vmath-scalar-inl.h and must stay operation-for-operation identical. */
#ifndef ARNN_KERNELS_VMATH_AVX2_INL_H
#define ARNN_KERNELS_VMATH_AVX2_INL_H

#include <immintrin.h>

#include "vmath-constants.h"

/* Twin of arnn_scalar_expm1_reduced(): r + r^2 Q(r). */
static inline __m256 arnn_avx2_expm1_reduced(__m256 r) {
  __m256 q = _mm256_fmadd_ps(_mm256_set1_ps(ARNN_VEXP_Q4), r, _mm256_set1_ps(ARNN_VEXP_Q3));
  q = _mm256_fmadd_ps(q, r, _mm256_set1_ps(ARNN_VEXP_Q2));
  q = _mm256_fmadd_ps(q, r, _mm256_set1_ps(ARNN_VEXP_Q1));
  q = _mm256_fmadd_ps(q, r, _mm256_set1_ps(ARNN_VEXP_Q0));
  return _mm256_fmadd_ps(_mm256_mul_ps(r, r), q, r);
}

/* Twin of arnn_scalar_exp_clamped(). 2^n is applied as two exact power-of-two
 * factors 2^n1 * 2^n2 (n1 = floor(n/2)), so the result is p * 2^n rounded once,
 * like arnn_scale_by_pow2() (whose split differs, but both intermediate
 * products are exact, so the rounded result is the same). */
static inline __m256 arnn_avx2_exp_clamped(__m256 x) {
  const __m256 magic = _mm256_set1_ps(ARNN_VMATH_ROUND_MAGIC);
  const __m256 t = _mm256_fmadd_ps(x, _mm256_set1_ps(ARNN_VMATH_LOG2E), magic);
  const __m256 n = _mm256_sub_ps(t, magic);
  __m256 r = _mm256_fmadd_ps(n, _mm256_set1_ps(-ARNN_VMATH_LN2_HI), x);
  r = _mm256_fmadd_ps(n, _mm256_set1_ps(-ARNN_VMATH_LN2_LO), r);
  const __m256 p = _mm256_add_ps(_mm256_set1_ps(1.0f), arnn_avx2_expm1_reduced(r));
  const __m256i ni = _mm256_sub_epi32(_mm256_castps_si256(t), _mm256_castps_si256(magic));
  const __m256i n1 = _mm256_srai_epi32(ni, 1);
  const __m256i n2 = _mm256_sub_epi32(ni, n1);
  const __m256i bias = _mm256_set1_epi32(127);
  const __m256 s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n1, bias), 23));
  const __m256 s2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n2, bias), 23));
  return _mm256_mul_ps(_mm256_mul_ps(p, s1), s2);
}

/* Lane mask for the first `n` lanes (n < 8), for maskload/maskstore, which
 * never touch memory of masked-off lanes. */
static inline __m256i arnn_avx2_tail_mask(size_t n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

#endif
