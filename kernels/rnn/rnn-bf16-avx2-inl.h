/* Reading bf16 W_hh on AVX2, shared by the bf16 LSTM and GRU step kernels:
 * 32 bytes of the bf16 packing (../rnn/rnn-step.h) hold 8 lanes of a gate for
 * k and k+1; the 32-bit lane l is (w[k+1][l] << 16) | w[k][l], so w[k] =
 * lane << 16 and w[k+1] = lane with the low half cleared, both exact. */
#ifndef ARNN_KERNELS_RNN_RNN_BF16_AVX2_INL_H
#define ARNN_KERNELS_RNN_RNN_BF16_AVX2_INL_H

#include <immintrin.h>
#include <stdint.h>

/* 32 bytes of bf16 pairs, held in a register for both widenings (see
 * rnn-bf16-avx512-inl.h: GCC would otherwise fold the load into the shift and
 * into the AND). */
static inline __m256i arnn_avx2_load_bf16_pairs(const uint16_t *p) {
  __m256i v = _mm256_loadu_si256((const __m256i *)p);
  __asm__("" : "+x"(v));
  return v;
}

/* w[k] (*wk) and w[k+1] (*wk1) of 8 lanes from 32 bytes of pairs at p. */
static inline __attribute__((always_inline)) void arnn_avx2_widen_bf16_pairs(const uint16_t *p, __m256 *wk,
                                                                             __m256 *wk1) {
  const __m256i pair = arnn_avx2_load_bf16_pairs(p);
  *wk = _mm256_castsi256_ps(_mm256_slli_epi32(pair, 16));
  *wk1 = _mm256_castsi256_ps(_mm256_and_si256(pair, _mm256_set1_epi32((int)0xFFFF0000u)));
}

/* w[k] alone: the last k of an odd H, whose pair partner is zero padding. */
static inline __attribute__((always_inline)) __m256 arnn_avx2_widen_bf16_first(const uint16_t *p) {
  return _mm256_castsi256_ps(_mm256_slli_epi32(arnn_avx2_load_bf16_pairs(p), 16));
}

#endif
