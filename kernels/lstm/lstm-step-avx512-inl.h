/* What the AVX-512 LSTM step kernels (float32 and bf16 W_hh) share: the
 * accumulators' start from xp, the epilogue of a tile of nblk 16-unit blocks
 * x nseq sequences (acc[s][b][g]: sequence s, block j0 + b, gate g), and the
 * driver of the tiles. Equations as in the scalar twin
 * lstm-step-scalar-inl.h. */
#ifndef ARNN_KERNELS_LSTM_LSTM_STEP_AVX512_INL_H
#define ARNN_KERNELS_LSTM_LSTM_STEP_AVX512_INL_H

#include "../rnn/rnn-act-avx512-inl.h"
#include "../common/prefetch-inl.h"
#include "../rnn/rnn-step-batch-inl.h"
#include "lstm-step-inl.h"

#ifdef ARNN_LSTM_AVX512_ROLLED_EPILOGUE
#define ARNN_LSTM_AVX512_UNROLL _Pragma("GCC unroll 1")
#else
#define ARNN_LSTM_AVX512_UNROLL _Pragma("GCC unroll 16")
#endif

/* Bounds of a tile: blocks for one sequence, sequences (of one block) in a
 * batched step. The accumulator arrays of both kernels take these
 * dimensions; the compiler keeps only the used ones, in registers. The
 * float32 kernel's batched tiles take up to 6 sequences (24 accumulators,
 * 6 broadcasts and a weight vector: 31 of the 32 registers), the bf16
 * kernel's up to 4 (it also holds the widened pairs: with 6 its H = 128
 * batch-32 step went from 29.2-32.4 to 32.1-33.7 us). */
#define ARNN_LSTM_AVX512_MAXB 4
#define ARNN_LSTM_AVX512_MAXS 6

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

/* A tile of several sequences (one block) starts from xp where its chunk
 * starts the k range and from its parked sums elsewhere
 * (../rnn/rnn-step-batch-inl.h; batched: the instance's flags). */
static inline __attribute__((always_inline)) void
arnn_lstm_avx512_batch_start(const int batched, const size_t nseq, const arnn_rnn_step_args *a,
                             __m512 acc[][ARNN_LSTM_AVX512_MAXB][4], size_t j0, const float *const *xp) {
  if (batched & ARNN_RNN_BATCH_FIRST) {
    arnn_lstm_avx512_acc_init(1, nseq, acc, j0, xp);
    return;
  }
  const arnn_rnn_batch_tile *bt = arnn_rnn_batch_tile_of(a);
  for (size_t s = 0; s < nseq; s++)
    for (size_t g = 0; g < 4; g++) acc[s][0][g] = _mm512_load_ps(bt->partial + (s * 4 + g) * 16);
}

/* After the tile's k range, if it does not end the k loop: the sums parked. */
static inline __attribute__((always_inline)) void
arnn_lstm_avx512_batch_park(const size_t nseq, const arnn_rnn_step_args *a, __m512 acc[][ARNN_LSTM_AVX512_MAXB][4]) {
  const arnn_rnn_batch_tile *bt = arnn_rnn_batch_tile_of(a);
  for (size_t s = 0; s < nseq; s++)
    for (size_t g = 0; g < 4; g++) _mm512_store_ps(bt->partial + (s * 4 + g) * 16, acc[s][0][g]);
}

/* One sequence: wide_tile, two_tile, one_tile as in
 * arnn_rnn_one_sequence_tiles (../rnn/rnn-step-tiles-inl.h). Several:
 * arnn_rnn_batched_blocks (../rnn/rnn-step-batch-inl.h), tiles of up to
 * maxs sequences, over the packed
 * weights w (block j at w + j*block_bytes, one k = k_bytes, a prefetched
 * line per k_per_line k's). */
static inline __attribute__((always_inline)) void
arnn_lstm_avx512_step(const arnn_rnn_step_args *a, size_t nb, const float *const *xp, const float *const *h,
                      float *const *c, float *const *h_out, size_t wide, arnn_rnn_tile_fn wide_tile,
                      arnn_rnn_tile_fn two_tile, arnn_rnn_tile_fn one_tile,
                      const arnn_rnn_tile_fn (*batch_tiles)[ARNN_RNN_BATCH_MAXS + 1], size_t maxs, const void *w,
                      size_t block_bytes, size_t k_bytes, size_t k_per_line) {
  if (nb == 1) {
    arnn_rnn_one_sequence_tiles(a, xp, h, c, h_out, wide, wide_tile, two_tile, one_tile);
    return;
  }
  arnn_rnn_batched_blocks(a, nb, xp, h, c, h_out, batch_tiles, maxs, 4, w, block_bytes, k_bytes, k_per_line, 64, 0,
                          4);
}

/* The kernel's tile instances, from its tile(nblk, nseq, batched, ...):
 * one_<n>, n blocks of one sequence (batched 0); b<where>_<n>, one block of
 * n sequences over a chunk of k (batched = ARNN_RNN_BATCHED | where, where =
 * ARNN_RNN_BATCH_FIRST / _LAST / _STREAM flags), in batch_tiles[where][n],
 * n up to maxs (4 or 6: ARNN_LSTM_AVX512_TILES(maxs)). */
#define ARNN_LSTM_AVX512_TILE_FN(name, nblk, nseq, batched)                                                  \
  static void name(const arnn_rnn_step_args *a, size_t u0, const float *const *xp, const float *const *h,   \
                   float *const *c, float *const *h_out) {                                                  \
    tile(nblk, nseq, batched, a, u0, xp, h, c, h_out);                                                      \
  }
#define ARNN_LSTM_AVX512_BATCH_TILES_4(where)                                                               \
  ARNN_LSTM_AVX512_TILE_FN(b##where##_1, 1, 1, ARNN_RNN_BATCHED | where)                                 \
  ARNN_LSTM_AVX512_TILE_FN(b##where##_2, 1, 2, ARNN_RNN_BATCHED | where)                                 \
  ARNN_LSTM_AVX512_TILE_FN(b##where##_3, 1, 3, ARNN_RNN_BATCHED | where)                                 \
  ARNN_LSTM_AVX512_TILE_FN(b##where##_4, 1, 4, ARNN_RNN_BATCHED | where)
#define ARNN_LSTM_AVX512_BATCH_TILES_6(where)                                                               \
  ARNN_LSTM_AVX512_BATCH_TILES_4(where)                                                                     \
  ARNN_LSTM_AVX512_TILE_FN(b##where##_5, 1, 5, ARNN_RNN_BATCHED | where)                                 \
  ARNN_LSTM_AVX512_TILE_FN(b##where##_6, 1, 6, ARNN_RNN_BATCHED | where)
#define ARNN_LSTM_AVX512_BATCH_ROW_4(where) {0, b##where##_1, b##where##_2, b##where##_3, b##where##_4}
#define ARNN_LSTM_AVX512_BATCH_ROW_6(where)                                                                 \
  {0, b##where##_1, b##where##_2, b##where##_3, b##where##_4, b##where##_5, b##where##_6}
#define ARNN_LSTM_AVX512_TILES(maxs)                                                                        \
  ARNN_LSTM_AVX512_TILE_FN(one_4, 4, 1, 0) ARNN_LSTM_AVX512_TILE_FN(one_2, 2, 1, 0)                        \
  ARNN_LSTM_AVX512_TILE_FN(one_1, 1, 1, 0) ARNN_LSTM_AVX512_BATCH_TILES_##maxs(0)                          \
  ARNN_LSTM_AVX512_BATCH_TILES_##maxs(1) ARNN_LSTM_AVX512_BATCH_TILES_##maxs(2)                            \
  ARNN_LSTM_AVX512_BATCH_TILES_##maxs(3) ARNN_LSTM_AVX512_BATCH_TILES_##maxs(4)                            \
  ARNN_LSTM_AVX512_BATCH_TILES_##maxs(5) ARNN_LSTM_AVX512_BATCH_TILES_##maxs(6)                            \
  ARNN_LSTM_AVX512_BATCH_TILES_##maxs(7)                                                                    \
  static const arnn_rnn_tile_fn batch_tiles[8][ARNN_RNN_BATCH_MAXS + 1] = {                                \
      ARNN_LSTM_AVX512_BATCH_ROW_##maxs(0), ARNN_LSTM_AVX512_BATCH_ROW_##maxs(1),                          \
      ARNN_LSTM_AVX512_BATCH_ROW_##maxs(2), ARNN_LSTM_AVX512_BATCH_ROW_##maxs(3),                          \
      ARNN_LSTM_AVX512_BATCH_ROW_##maxs(4), ARNN_LSTM_AVX512_BATCH_ROW_##maxs(5),                          \
      ARNN_LSTM_AVX512_BATCH_ROW_##maxs(6), ARNN_LSTM_AVX512_BATCH_ROW_##maxs(7)};

#endif
