/* Fused LSTM step with bf16 recurrent weights, AVX-512; scalar twin
 * lstm-step-bf16-scalar.c (same equations, same per-output order,
 * bit-identical; and bit-identical to lstm-step-avx512.c on float32 weights
 * holding the same bf16 values).
 *
 * Weights: one 64-byte line holds a gate's 16 lanes for k and k+1 (the bf16
 * packing of ../rnn/rnn-step.h: element 2l + e = lane l of row k+e). Widening
 * is exact and costs one integer operation per 16 weights: the 32-bit lane l
 * is (w[k+1][l] << 16) | w[k][l], so w[k] = lane << 16 and w[k+1] = lane with
 * the low half cleared. Per accumulator the FMAs still run k = 0, 1, 2, ... in
 * order. Register tiles as in lstm-step-avx512.c:
 *  - one sequence: two 16-unit blocks x 4 gates = 8 accumulators, per pair of
 *    k 8 lines streamed (half the bytes of the float32 kernel);
 *  - several sequences: one block x 4 gates x up to 4 sequences = 16
 *    accumulators, each line widened once for the whole tile.
 * Epilogue as in lstm-step-avx512.c. */
#include "../rnn/rnn-act-avx512-inl.h"
#include "lstm.h"
#include "../rnn/rnn-step-prefetch-inl.h"

#define MAXB 2
#define MAXS 4

/* One 64-byte line of bf16 pairs, held in a register: both widenings read it
 * from there. (Left to itself GCC folds the load into the shift and into the
 * AND: two loads per line, which measured 1.38 against 1.13 us per H = 128
 * step here; the empty asm only marks the value as produced in a register.) */
static inline __m512i load_line(const uint16_t *p) {
  __m512i v = _mm512_loadu_si512((const void *)p);
  __asm__("" : "+v"(v));
  return v;
}

static inline __attribute__((always_inline)) void tile(const size_t nblk, const size_t nseq, const arnn_rnn_step_args *a,
                                                       size_t j0, const float *const *xp, const float *const *h,
                                                       float *const *c, float *const *h_out) {
  const size_t H = a->H, Kp = (H + 1) / 2;
  const uint16_t *w = a->w16 + j0 * Kp * 128;
  const __m512i high = _mm512_set1_epi32((int)0xFFFF0000u);
  __m512 acc[MAXS][MAXB][4];
  for (size_t s = 0; s < nseq; s++)
    for (size_t b = 0; b < nblk; b++)
      for (size_t g = 0; g < 4; g++) acc[s][b][g] = _mm512_loadu_ps(xp[s] + ((j0 + b) * 4 + g) * 16);
  for (size_t p = 0; p < H / 2; p++) {
    __m512 h0[MAXS], h1[MAXS];
    for (size_t s = 0; s < nseq; s++) {
      h0[s] = _mm512_set1_ps(h[s][2 * p]);
      h1[s] = _mm512_set1_ps(h[s][2 * p + 1]);
    }
    for (size_t b = 0; b < nblk; b++)
      for (size_t g = 0; g < 4; g++) {
        const __m512i pair = load_line(w + ((b * Kp + p) * 4 + g) * 32);
        const __m512 w0 = _mm512_castsi512_ps(_mm512_slli_epi32(pair, 16));
        const __m512 w1 = _mm512_castsi512_ps(_mm512_and_si512(pair, high));
        for (size_t s = 0; s < nseq; s++) acc[s][b][g] = _mm512_fmadd_ps(h0[s], w0, acc[s][b][g]);
        for (size_t s = 0; s < nseq; s++) acc[s][b][g] = _mm512_fmadd_ps(h1[s], w1, acc[s][b][g]);
      }
  }
  if (H % 2) { /* the last k alone: its pair partner is zero padding, never used */
    const size_t p = H / 2;
    __m512 h0[MAXS];
    for (size_t s = 0; s < nseq; s++) h0[s] = _mm512_set1_ps(h[s][2 * p]);
    for (size_t b = 0; b < nblk; b++)
      for (size_t g = 0; g < 4; g++) {
        const __m512i pair = load_line(w + ((b * Kp + p) * 4 + g) * 32);
        const __m512 w0 = _mm512_castsi512_ps(_mm512_slli_epi32(pair, 16));
        for (size_t s = 0; s < nseq; s++) acc[s][b][g] = _mm512_fmadd_ps(h0[s], w0, acc[s][b][g]);
      }
  }
  __m512 gi[MAXS][MAXB], gf[MAXS][MAXB], gg[MAXS][MAXB], go[MAXS][MAXB], cn[MAXS][MAXB];
  for (size_t s = 0; s < nseq; s++)
    for (size_t b = 0; b < nblk; b++) {
      gi[s][b] = arnn_avx512_ract(acc[s][b][0], a->ract);
      gf[s][b] = arnn_avx512_ract(acc[s][b][1], a->ract);
      gg[s][b] = arnn_avx512_tanh(acc[s][b][2]);
      go[s][b] = arnn_avx512_ract(acc[s][b][3], a->ract);
    }
  for (size_t s = 0; s < nseq; s++)
    for (size_t b = 0; b < nblk; b++) {
      float *cp = c[s] + (j0 + b) * 16;
      cn[s][b] = _mm512_fmadd_ps(gf[s][b], _mm512_loadu_ps(cp), _mm512_mul_ps(gi[s][b], gg[s][b]));
      _mm512_storeu_ps(cp, cn[s][b]);
    }
  for (size_t s = 0; s < nseq; s++)
    for (size_t b = 0; b < nblk; b++)
      _mm512_storeu_ps(h_out[s] + (j0 + b) * 16, _mm512_mul_ps(go[s][b], arnn_avx512_tanh(cn[s][b])));
}

#define TILE_FN(nblk, nseq)                                                                                    \
  static void tile_##nblk##_##nseq(const arnn_rnn_step_args *a, size_t j0, const float *const *xp,            \
                                   const float *const *h, float *const *c, float *const *h_out) {             \
    tile(nblk, nseq, a, j0, xp, h, c, h_out);                                                                  \
  }
TILE_FN(2, 1) TILE_FN(1, 1) TILE_FN(1, 2) TILE_FN(1, 3) TILE_FN(1, 4)

typedef void (*tile_fn)(const arnn_rnn_step_args *, size_t, const float *const *, const float *const *,
                        float *const *, float *const *);
static const tile_fn seq_tiles[MAXS + 1] = {0, tile_1_1, tile_1_2, tile_1_3, tile_1_4};

void arnn_f32_lstm_step_bf16__avx512(const arnn_rnn_step_args *a, size_t nb, const float *const *xp,
                                 const float *const *h, float *const *c, float *const *h_out) {
  ARNN_KERNEL_ASSERT(arnn_rnn_step_args_ok(a, nb, xp, h, (const float *const *)c, (const float *const *)h_out, NULL, 1));
  const size_t blocks = a->Hp / 16;
  if (nb == 1) {
    size_t j = 0;
    for (; j + 2 <= blocks; j += 2) tile_2_1(a, j, xp, h, c, h_out);
    if (j < blocks) tile_1_1(a, j, xp, h, c, h_out);
    return;
  }
  /* block outside, sequence groups inside: the block's weights (H*128 bytes)
   * stay in L1 while every group of sequences uses them */
  for (size_t j = 0; j < blocks; j++)
    for (size_t s = 0; s < nb; s += MAXS) {
      const size_t ns = nb - s >= MAXS ? MAXS : nb - s;
      arnn_rnn_prefetch_next_tile(xp, nb, blocks, j, s, MAXS, 64, 0, 4);
      seq_tiles[ns](a, j, xp + s, h + s, c + s, h_out + s);
    }
}
