/* The canonical 16-lane dot-product tree, AVX2 form; scalar twin
 * dot16-scalar-inl.h (which defines the order). The 16 partial sums of one
 * dot product live in two ymm: lo = lanes 0-7, hi = lanes 8-15. */
#ifndef ARNN_KERNELS_COMMON_DOT16_AVX2_INL_H
#define ARNN_KERNELS_COMMON_DOT16_AVX2_INL_H

#include <immintrin.h>

/* acc = fma(x, w, acc) on the lanes of `m` only; other lanes keep acc (the
 * scalar oracle skips them; "+ 0*0" would turn an accumulated -0 into +0). */
static inline __m256 arnn_avx2_fmadd_masked(__m256 x, __m256 w, __m256 acc, __m256i m) {
  return _mm256_blendv_ps(acc, _mm256_fmadd_ps(x, w, acc), _mm256_castsi256_ps(m));
}

/* Tree of 4 dot products at once (lo_i, hi_i): result lane i = tree16(v_i).
 *   level 8+8: lo_i + hi_i = s8_i
 *   level 4+4: [s8_0.lo128 | s8_1.lo128] + [s8_0.hi128 | s8_1.hi128]
 *   level 2+2: within each 128-bit block [a0 a1 b0 b1] + [a2 a3 b2 b3]
 *   level 1+1: within each block [r0 r2 ..] + [r1 r3 ..]
 * Each addition is one of the scalar tree's (addition commutes exactly). */
static inline __m128 arnn_avx2_tree16_x4(__m256 lo0, __m256 hi0, __m256 lo1, __m256 hi1, __m256 lo2, __m256 hi2,
                                         __m256 lo3, __m256 hi3) {
  const __m256 s0 = _mm256_add_ps(lo0, hi0), s1 = _mm256_add_ps(lo1, hi1);
  const __m256 s2 = _mm256_add_ps(lo2, hi2), s3 = _mm256_add_ps(lo3, hi3);
  const __m256 a = _mm256_add_ps(_mm256_permute2f128_ps(s0, s1, 0x20), _mm256_permute2f128_ps(s0, s1, 0x31));
  const __m256 b = _mm256_add_ps(_mm256_permute2f128_ps(s2, s3, 0x20), _mm256_permute2f128_ps(s2, s3, 0x31));
  const __m256 r = _mm256_add_ps(_mm256_shuffle_ps(a, b, _MM_SHUFFLE(1, 0, 1, 0)),
                                 _mm256_shuffle_ps(a, b, _MM_SHUFFLE(3, 2, 3, 2)));
  const __m256 d = _mm256_add_ps(_mm256_shuffle_ps(r, r, _MM_SHUFFLE(2, 0, 2, 0)),
                                 _mm256_shuffle_ps(r, r, _MM_SHUFFLE(3, 1, 3, 1)));
  /* block 0 = (d0, d2, ..), block 1 = (d1, d3, ..) */
  return _mm256_castps256_ps128(_mm256_permutevar8x32_ps(d, _mm256_setr_epi32(0, 4, 1, 5, 0, 4, 1, 5)));
}

/* 16-lane tail masks for n in [1, 15]: lanes of lo (0-7) and hi (8-15). */
static inline __m256i arnn_avx2_lane_mask(ptrdiff_t n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

#endif
