/* The canonical 16-lane dot-product tree, AVX-512 form; scalar twin
 * dot16-scalar-inl.h (which defines the order). One zmm holds the 16 partial
 * sums of one dot product. */
#ifndef ARNN_KERNELS_COMMON_DOT16_AVX512_INL_H
#define ARNN_KERNELS_COMMON_DOT16_AVX512_INL_H

#include <immintrin.h>

/* Tree of 8 accumulators at once (arnn_avx512_tree16_x8, in two pieces): lane i (i < 8) of the result is
 * tree16(v_i); lanes 8-15 are unspecified. Every addition below is one of the
 * tree's additions, (a + b) with the same a and b as in the scalar tree
 * (addition commutes exactly), just several dot products side by side:
 *   level 8+8: [v0.lo256 | v1.lo256] + [v0.hi256 | v1.hi256] = [s8_0 | s8_1]
 *   level 4+4: 128-bit blocks: [s8_0.q0 s8_1.q0 s8_2.q0 s8_3.q0] + [.q1 ...]
 *   level 2+2: within each 128-bit block [a0 a1 b0 b1] + [a2 a3 b2 b3]
 *   level 1+1: within each block [r0 r2 ..] + [r1 r3 ..]
 * after which block L holds (d_L, d_L+4); a permute gathers d_0..d_7. */
/* The first level for two dot products: [s8_a | s8_b]. A kernel that makes
 * its dot products one or two at a time calls this as soon as a pair is
 * ready, so only one vector per pair stays live. */
static inline __m512 arnn_avx512_tree16_pair(__m512 va, __m512 vb) {
  return _mm512_add_ps(_mm512_shuffle_f32x4(va, vb, 0x44), _mm512_shuffle_f32x4(va, vb, 0xEE));
}

/* The remaining levels from the four pairs (v0,v1) .. (v6,v7). */
static inline __m512 arnn_avx512_tree16_finish(__m512 p01, __m512 p23, __m512 p45, __m512 p67) {
  const __m512 q03 = _mm512_add_ps(_mm512_shuffle_f32x4(p01, p23, 0x88), _mm512_shuffle_f32x4(p01, p23, 0xDD));
  const __m512 q47 = _mm512_add_ps(_mm512_shuffle_f32x4(p45, p67, 0x88), _mm512_shuffle_f32x4(p45, p67, 0xDD));
  const __m512 r = _mm512_add_ps(_mm512_shuffle_ps(q03, q47, _MM_SHUFFLE(1, 0, 1, 0)),
                                 _mm512_shuffle_ps(q03, q47, _MM_SHUFFLE(3, 2, 3, 2)));
  const __m512 d = _mm512_add_ps(_mm512_shuffle_ps(r, r, _MM_SHUFFLE(2, 0, 2, 0)),
                                 _mm512_shuffle_ps(r, r, _MM_SHUFFLE(3, 1, 3, 1)));
  return _mm512_permutexvar_ps(_mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 0, 4, 8, 12, 1, 5, 9, 13), d);
}

static inline __m512 arnn_avx512_tree16_x8(__m512 v0, __m512 v1, __m512 v2, __m512 v3, __m512 v4, __m512 v5,
                                           __m512 v6, __m512 v7) {
  return arnn_avx512_tree16_finish(arnn_avx512_tree16_pair(v0, v1), arnn_avx512_tree16_pair(v2, v3),
                                   arnn_avx512_tree16_pair(v4, v5), arnn_avx512_tree16_pair(v6, v7));
}

#endif
