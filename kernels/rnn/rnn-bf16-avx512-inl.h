/* Reading bf16 W_hh on AVX-512, shared by the bf16 LSTM and GRU step
 * kernels: one 64-byte line of the bf16 packing (../rnn/rnn-step.h) holds a
 * gate's 16 lanes for k and k+1; the 32-bit lane l is
 * (w[k+1][l] << 16) | w[k][l], so w[k] = lane << 16 and w[k+1] = lane with the
 * low half cleared, both exact: one integer operation per 16 weights. */
#ifndef ARNN_KERNELS_RNN_RNN_BF16_AVX512_INL_H
#define ARNN_KERNELS_RNN_RNN_BF16_AVX512_INL_H

#include <immintrin.h>
#include <stdint.h>

/* One 64-byte line of bf16 pairs, held in a register: both widenings read it
 * from there. (Left to itself GCC folds the load into the shift and into the
 * AND: two loads per line, which measured 1.38 against 1.13 us per H = 128
 * step of the GRU; the empty asm only marks the value as produced in a
 * register.) */
static inline __m512i arnn_avx512_load_bf16_pairs(const uint16_t *p) {
  __m512i v = _mm512_loadu_si512((const void *)p);
  __asm__("" : "+v"(v));
  return v;
}

/* w[k] (*wk) and w[k+1] (*wk1) of 16 lanes from the line of pairs at p. */
static inline __attribute__((always_inline)) void arnn_avx512_widen_bf16_pairs(const uint16_t *p, __m512 *wk,
                                                                               __m512 *wk1) {
  const __m512i pair = arnn_avx512_load_bf16_pairs(p);
  *wk = _mm512_castsi512_ps(_mm512_slli_epi32(pair, 16));
  *wk1 = _mm512_castsi512_ps(_mm512_and_si512(pair, _mm512_set1_epi32((int)0xFFFF0000u)));
}

/* w[k] alone: the last k of an odd H, whose pair partner is zero padding. */
static inline __attribute__((always_inline)) __m512 arnn_avx512_widen_bf16_first(const uint16_t *p) {
  return _mm512_castsi512_ps(_mm512_slli_epi32(arnn_avx512_load_bf16_pairs(p), 16));
}

#endif
