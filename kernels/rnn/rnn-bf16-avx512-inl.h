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

/* The bf16 step tiles' k loop body (LSTM and GRU): the pair p = (k 2p,
 * 2p + 1) for nblk blocks x G gates x nseq sequences. w: the tile's packed
 * W_hh (per block Kp pairs x G gates x 32 bf16); hrow: sequence s's h row,
 * an expression of s; acc[s][b][g]: the accumulators (maxs sequences at
 * most). Each accumulator takes k = 2p, then 2p + 1: the float32 kernels'
 * order, so their bits. */
#define ARNN_AVX512_BF16_PAIR(nblk, nseq, G, w, Kp, p, s, hrow, acc, maxs)                              \
  do {                                                                                                 \
    __m512 h0_[maxs], h1_[maxs];                                                                       \
    for (size_t s = 0; s < (nseq); s++) {                                                              \
      h0_[s] = _mm512_set1_ps((hrow)[2 * (p)]);                                                        \
      h1_[s] = _mm512_set1_ps((hrow)[2 * (p) + 1]);                                                    \
    }                                                                                                  \
    for (size_t b_ = 0; b_ < (nblk); b_++)                                                             \
      for (size_t g_ = 0; g_ < (G); g_++) {                                                            \
        __m512 w0_, w1_;                                                                               \
        arnn_avx512_widen_bf16_pairs((w) + ((b_ * (Kp) + (p)) * (G) + g_) * 32, &w0_, &w1_);           \
        for (size_t s = 0; s < (nseq); s++) acc[s][b_][g_] = _mm512_fmadd_ps(h0_[s], w0_, acc[s][b_][g_]); \
        for (size_t s = 0; s < (nseq); s++) acc[s][b_][g_] = _mm512_fmadd_ps(h1_[s], w1_, acc[s][b_][g_]); \
      }                                                                                                \
  } while (0)

/* After a k range that ends at an odd H: its last k alone (pair p = H / 2,
 * whose partner is zero padding and is never added). Arguments as above. */
#define ARNN_AVX512_BF16_LAST_K(nblk, nseq, G, w, Kp, p, s, hrow, acc)                                  \
  do {                                                                                                 \
    for (size_t b_ = 0; b_ < (nblk); b_++)                                                             \
      for (size_t g_ = 0; g_ < (G); g_++) {                                                            \
        const __m512 w0_ = arnn_avx512_widen_bf16_first((w) + ((b_ * (Kp) + (p)) * (G) + g_) * 32);   \
        for (size_t s = 0; s < (nseq); s++)                                                            \
          acc[s][b_][g_] = _mm512_fmadd_ps(_mm512_set1_ps((hrow)[2 * (p)]), w0_, acc[s][b_][g_]);      \
      }                                                                                                \
  } while (0)

#endif
