/* What the AVX-512 LSTM step kernels (float32 and bf16 W_hh) share: the
 * accumulators' start from xp, the epilogue of a tile of nblk 16-unit blocks
 * x nseq sequences (acc[s][b][g]: sequence s, block j0 + b, gate g), and the
 * driver of the tiles. Equations as in the scalar twin
 * lstm-step-scalar-inl.h. */
#ifndef ARNN_KERNELS_LSTM_LSTM_STEP_AVX512_INL_H
#define ARNN_KERNELS_LSTM_LSTM_STEP_AVX512_INL_H

#include "../rnn/rnn-act-avx512-inl.h"
#include "../rnn/rnn-step-prefetch-inl.h"
#include "lstm-step-inl.h"

#ifdef ARNN_LSTM_AVX512_ROLLED_EPILOGUE
#define ARNN_LSTM_AVX512_UNROLL _Pragma("GCC unroll 1")
#else
#define ARNN_LSTM_AVX512_UNROLL _Pragma("GCC unroll 16")
#endif

/* Bounds of a tile: blocks for one sequence, sequences (of one block) in a
 * batched step. The accumulator arrays of both kernels take these
 * dimensions; the compiler keeps only the used ones, in registers. */
#define ARNN_LSTM_AVX512_MAXB 4
#define ARNN_LSTM_AVX512_MAXS 4

static inline __attribute__((always_inline)) void
arnn_lstm_avx512_acc_init(const size_t nblk, const size_t nseq, __m512 acc[][ARNN_LSTM_AVX512_MAXB][4], size_t j0,
                          const float *const *xp) {
  for (size_t s = 0; s < nseq; s++)
    for (size_t b = 0; b < nblk; b++)
      for (size_t g = 0; g < 4; g++) acc[s][b][g] = _mm512_loadu_ps(xp[s] + ((j0 + b) * 4 + g) * 16);
}

/* Epilogue, written phase by phase over the whole tile (all gates of all
 * sequences, then every c', then every tanh(c')) so that the independent
 * activation chains sit next to each other in program order and overlap in
 * the out-of-order window: measured ~4% faster at batch 32 than one sequence
 * at a time (the step is bound by the FMA ports, which the activations share
 * with the k loop). Same operations per output. The loops are unrolled
 * completely (pragmas): otherwise GCC 12 parks the accumulators on the stack
 * and runs each phase as a loop over them (measured at batch 32, H = 128: the
 * steps at 78.4% of the FMA peak rolled, 79.7-80.0% unrolled). A kernel that
 * defines ARNN_LSTM_AVX512_ROLLED_EPILOGUE before including this header has
 * them kept rolled instead (the bf16 kernel: see there). */
static inline __attribute__((always_inline)) void
arnn_lstm_avx512_epilogue(const size_t nblk, const size_t nseq, const arnn_rnn_step_args *a,
                          __m512 acc[][ARNN_LSTM_AVX512_MAXB][4], size_t j0, float *const *c, float *const *h_out) {
  enum { MS = ARNN_LSTM_AVX512_MAXS, MB = ARNN_LSTM_AVX512_MAXB };
  __m512 gi[MS][MB], gf[MS][MB], gg[MS][MB], go[MS][MB], cn[MS][MB];
ARNN_LSTM_AVX512_UNROLL
  for (size_t s = 0; s < nseq; s++)
ARNN_LSTM_AVX512_UNROLL
    for (size_t b = 0; b < nblk; b++) {
      gi[s][b] = arnn_avx512_ract(acc[s][b][0], a->ract);
      gf[s][b] = arnn_avx512_ract(acc[s][b][1], a->ract);
      gg[s][b] = arnn_avx512_tanh(acc[s][b][2]);
      go[s][b] = arnn_avx512_ract(acc[s][b][3], a->ract);
    }
ARNN_LSTM_AVX512_UNROLL
  for (size_t s = 0; s < nseq; s++)
ARNN_LSTM_AVX512_UNROLL
    for (size_t b = 0; b < nblk; b++) {
      float *cp = c[s] + (j0 + b) * 16;
      cn[s][b] = _mm512_fmadd_ps(gf[s][b], _mm512_loadu_ps(cp), _mm512_mul_ps(gi[s][b], gg[s][b]));
      _mm512_storeu_ps(cp, cn[s][b]);
    }
ARNN_LSTM_AVX512_UNROLL
  for (size_t s = 0; s < nseq; s++)
ARNN_LSTM_AVX512_UNROLL
    for (size_t b = 0; b < nblk; b++)
      _mm512_storeu_ps(h_out[s] + (j0 + b) * 16, _mm512_mul_ps(go[s][b], arnn_avx512_tanh(cn[s][b])));
}

/* One sequence: wide_tile, two_tile, one_tile as in
 * arnn_rnn_one_sequence_tiles (../rnn/rnn-step-tiles-inl.h). Several: each
 * block in turn, and for it groups of up to ARNN_LSTM_AVX512_MAXS sequences
 * (seq_tiles[n]: n sequences), so that the block's weights stay in L1 while
 * every group uses them; the next tile's xp is requested before each tile
 * (rnn-step-prefetch-inl.h). */
static inline __attribute__((always_inline)) void
arnn_lstm_avx512_step(const arnn_rnn_step_args *a, size_t nb, const float *const *xp, const float *const *h,
                      float *const *c, float *const *h_out, size_t wide, arnn_rnn_tile_fn wide_tile,
                      arnn_rnn_tile_fn two_tile, arnn_rnn_tile_fn one_tile, const arnn_rnn_tile_fn *seq_tiles) {
  const size_t blocks = a->Hp / 16, maxs = ARNN_LSTM_AVX512_MAXS;
  if (nb == 1) {
    arnn_rnn_one_sequence_tiles(a, xp, h, c, h_out, wide, wide_tile, two_tile, one_tile);
    return;
  }
  for (size_t j = 0; j < blocks; j++)
    for (size_t s = 0; s < nb; s += maxs) {
      const size_t ns = nb - s >= maxs ? maxs : nb - s;
      arnn_rnn_prefetch_next_tile(xp, nb, blocks, j, s, maxs, 64, 0, 4);
      seq_tiles[ns](a, j, xp + s, h + s, c + s, h_out + s);
    }
}

#endif
