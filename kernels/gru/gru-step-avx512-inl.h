/* What the AVX-512 GRU step kernels (float32 and bf16 W_hh) share: the tile
 * bounds, each pass's start of the accumulators and its epilogue for a tile
 * of nblk 16-unit blocks x nseq sequences (acc[s][b][g]: sequence s, block
 * j0 + b, gate g), with the operations of the scalar twin
 * gru-step-scalar-inl.h, and the driver of a pass. Passes: gru-step-inl.h. */
#ifndef ARNN_KERNELS_GRU_GRU_STEP_AVX512_INL_H
#define ARNN_KERNELS_GRU_GRU_STEP_AVX512_INL_H

#include "../rnn/rnn-act-avx512-inl.h"
#include "../common/prefetch-inl.h"
#include "../rnn/rnn-step-batch-inl.h"
#include "gru-step-inl.h"

/* Bounds of a tile: blocks for one sequence, sequences (of one block) in a
 * batched step. The float32 kernel's batched tiles take up to 7 sequences
 * (21 accumulators, 7 broadcasts and a weight vector), the bf16 kernel's up
 * to 6 (it also holds widened pairs): each chunk of weights is then read
 * from L1 by 5 or 6 groups of sequences at batch 32 instead of 8, with fewer
 * tile calls and parked sums per FMA. Measured (BM_rnn_step nb = 32, p25,
 * four alternated runs each): 6 against 4, H = 512 float32 297-314 us
 * against 313-357, bf16 293-306 against 303-340; H = 128 bf16 19.8-21.0
 * against 21.4-22.6, float32 19.0-20.2 against 18.1-19.5; 7 against 6, H =
 * 128 float32 18.7-19.3 against 19.6-20.8, H = 512 276-305 against
 * 298-318, but bf16 H = 512 313-335 against 287-305. */
#define ARNN_GRU_AVX512_MAXB 4
#define ARNN_GRU_AVX512_MAXS 7

static inline __attribute__((always_inline)) void
arnn_gru_avx512_acc_init(const int mode, const size_t nblk, const size_t nseq, const arnn_rnn_step_args *a,
                         __m512 acc[][ARNN_GRU_AVX512_MAXB][3], size_t j0, const float *const *xp) {
  for (size_t s = 0; s < nseq; s++)
    for (size_t b = 0; b < nblk; b++) {
      const float *x = xp[s] + (j0 + b) * 48;
      if (mode == PASS2) {
        acc[s][b][0] = _mm512_loadu_ps(x + 32);
      } else {
        acc[s][b][0] = _mm512_loadu_ps(x);
        acc[s][b][1] = _mm512_loadu_ps(x + 16);
        if (mode == FULL) acc[s][b][2] = _mm512_loadu_ps(a->b_rec_h + (j0 + b) * 16);
      }
    }
}

/* Epilogue phase by phase over the whole tile (every gate activation, then
 * every candidate tanh, then the outputs), so that independent activation
 * chains sit next to each other in program order and overlap in the
 * out-of-order window, as in ../lstm/lstm-step-avx512-inl.h (loops unrolled
 * completely, as there). Same operations per output. */
static inline __attribute__((always_inline)) void
arnn_gru_avx512_epilogue(const int mode, const size_t nblk, const size_t nseq, const arnn_rnn_step_args *a,
                         __m512 acc[][ARNN_GRU_AVX512_MAXB][3], size_t j0, const float *const *xp,
                         const float *const *h, float *const *h_out, float *const *scratch) {
  __m512 v0[ARNN_GRU_AVX512_MAXS][ARNN_GRU_AVX512_MAXB], v1[ARNN_GRU_AVX512_MAXS][ARNN_GRU_AVX512_MAXB];
#pragma GCC unroll 16
  for (size_t s = 0; s < nseq; s++)
#pragma GCC unroll 16
    for (size_t b = 0; b < nblk; b++) {
      if (mode == PASS2) {
        v0[s][b] = arnn_avx512_tanh(acc[s][b][0]); /* hh */
      } else {
        v0[s][b] = arnn_avx512_ract(acc[s][b][0], a->ract); /* z */
        v1[s][b] = arnn_avx512_ract(acc[s][b][1], a->ract); /* r */
      }
    }
  if (mode == FULL) {
#pragma GCC unroll 16
    for (size_t s = 0; s < nseq; s++)
#pragma GCC unroll 16
      for (size_t b = 0; b < nblk; b++)
        v1[s][b] = arnn_avx512_tanh(_mm512_fmadd_ps(v1[s][b], acc[s][b][2], _mm512_loadu_ps(xp[s] + (j0 + b) * 48 + 32)));
  }
#pragma GCC unroll 16
  for (size_t s = 0; s < nseq; s++)
#pragma GCC unroll 16
    for (size_t b = 0; b < nblk; b++) {
      const size_t u = (j0 + b) * 16;
      const __m512 hv = _mm512_loadu_ps(h[s] + u);
      if (mode == FULL) {
        _mm512_storeu_ps(h_out[s] + u, _mm512_fmadd_ps(v0[s][b], _mm512_sub_ps(hv, v1[s][b]), v1[s][b]));
      } else if (mode == PASS1) {
        _mm512_storeu_ps(h_out[s] + u, v0[s][b]);
        _mm512_storeu_ps(scratch[s] + u, _mm512_mul_ps(v1[s][b], hv));
      } else {
        const __m512 z = _mm512_loadu_ps(h_out[s] + u);
        _mm512_storeu_ps(h_out[s] + u, _mm512_fmadd_ps(z, _mm512_sub_ps(hv, v0[s][b]), v0[s][b]));
      }
    }
}

/* A tile of several sequences (one block) starts as arnn_gru_avx512_acc_init
 * where its chunk starts the k range and from its parked sums elsewhere
 * (../rnn/rnn-step-batch-inl.h; batched: the instance's flags). */
static inline __attribute__((always_inline)) void
arnn_gru_avx512_batch_start(const int batched, const int mode, const size_t nseq, const arnn_rnn_step_args *a,
                            __m512 acc[][ARNN_GRU_AVX512_MAXB][3], size_t j0, const float *const *xp) {
  if (batched & ARNN_RNN_BATCH_FIRST) {
    arnn_gru_avx512_acc_init(mode, 1, nseq, a, acc, j0, xp);
    return;
  }
  const arnn_rnn_batch_tile *bt = arnn_rnn_batch_tile_of(a);
  const size_t G = arnn_gru_gates(mode);
  for (size_t s = 0; s < nseq; s++)
    for (size_t g = 0; g < G; g++) acc[s][0][g] = _mm512_load_ps(bt->partial + (s * G + g) * 16);
}

/* After the tile's k range, if it does not end the k loop: the sums parked. */
static inline __attribute__((always_inline)) void
arnn_gru_avx512_batch_park(const int mode, const size_t nseq, const arnn_rnn_step_args *a,
                           __m512 acc[][ARNN_GRU_AVX512_MAXB][3]) {
  const arnn_rnn_batch_tile *bt = arnn_rnn_batch_tile_of(a);
  const size_t G = arnn_gru_gates(mode);
  for (size_t s = 0; s < nseq; s++)
    for (size_t g = 0; g < G; g++) _mm512_store_ps(bt->partial + (s * G + g) * 16, acc[s][0][g]);
}

/* One pass over all blocks for the sequences [0, nb). One sequence: four
 * blocks at a time, then two, then one (arnn_rnn_one_sequence_tiles; tiles
 * = {one, two, four blocks}). Several: arnn_rnn_batched_blocks
 * (../rnn/rnn-step-batch-inl.h; batch[where][n], n sequences over a chunk,
 * where = ARNN_RNN_BATCH_FIRST / _LAST / _STREAM flags) over the pass's
 * packed weights (float32, or bf16 in pairs of k); the xp lines each tile
 * reads (z, r and h in one pass, z and r in pass 1, h in pass 2) are
 * requested one tile ahead. */
static inline __attribute__((always_inline)) void arnn_gru_avx512_pass(int mode, int bf16, size_t maxs,
                                                                       const arnn_rnn_step_args *a,
                                                                       size_t nb, const float *const *xp,
                                                                       const float *const *h, float *const *h_out,
                                                                       float *const *scratch,
                                                                       const arnn_rnn_tile_fn *tiles,
                                                                       const arnn_rnn_tile_fn (*batch)[ARNN_RNN_BATCH_MAXS + 1]) {
  if (nb == 1) {
    arnn_rnn_one_sequence_tiles(a, xp, h, h_out, scratch, 4, tiles[2], tiles[1], tiles[0]);
    return;
  }
  const size_t G = arnn_gru_gates(mode), H = a->H;
  const size_t xp_first = mode == PASS2 ? 32 : 0, xp_lines = mode == FULL ? 3 : mode == PASS1 ? 2 : 1;
  if (bf16)
    arnn_rnn_batched_blocks(a, nb, xp, h, h_out, scratch, batch, maxs, G, mode == PASS2 ? a->w_h16 : a->w16,
                            (H + 1) / 2 * G * 64, G * 32, 2, 48, xp_first, xp_lines);
  else
    arnn_rnn_batched_blocks(a, nb, xp, h, h_out, scratch, batch, maxs, G, mode == PASS2 ? a->w_h : a->w, H * G * 64,
                            G * 64, 1, 48, xp_first, xp_lines);
}

/* Instantiates the including kernel's tile(mode, nblk, nseq, batched, ...)
 * for every mode and shape arnn_gru_avx512_pass() uses (batched 0: one
 * sequence; ARNN_RNN_BATCHED | where: several, over a chunk), their
 * tables, and pass(), the kernel's one pass (bf16: 1 for the kernel of bf16
 * weights). */
#define ARNN_GRU_AVX512_TILE_FN(mode, name, nblk, nseq, batched)                                           \
  static void name##_##mode(const arnn_rnn_step_args *a, size_t u0, const float *const *xp,              \
                            const float *const *h, float *const *h_out, float *const *scratch) {         \
    tile(mode, nblk, nseq, batched, a, u0, xp, h, h_out, scratch);                                       \
  }
#define ARNN_GRU_AVX512_BATCH_TILES_6(mode, where)                                                       \
  ARNN_GRU_AVX512_TILE_FN(mode, b##where##_1, 1, 1, ARNN_RNN_BATCHED | where)                            \
  ARNN_GRU_AVX512_TILE_FN(mode, b##where##_2, 1, 2, ARNN_RNN_BATCHED | where)                            \
  ARNN_GRU_AVX512_TILE_FN(mode, b##where##_3, 1, 3, ARNN_RNN_BATCHED | where)                            \
  ARNN_GRU_AVX512_TILE_FN(mode, b##where##_4, 1, 4, ARNN_RNN_BATCHED | where)                            \
  ARNN_GRU_AVX512_TILE_FN(mode, b##where##_5, 1, 5, ARNN_RNN_BATCHED | where)                            \
  ARNN_GRU_AVX512_TILE_FN(mode, b##where##_6, 1, 6, ARNN_RNN_BATCHED | where)
#define ARNN_GRU_AVX512_BATCH_TILES_7(mode, where)                                                       \
  ARNN_GRU_AVX512_BATCH_TILES_6(mode, where)                                                             \
  ARNN_GRU_AVX512_TILE_FN(mode, b##where##_7, 1, 7, ARNN_RNN_BATCHED | where)
#define ARNN_GRU_AVX512_TILES_OF(mode, maxs)                                                             \
  ARNN_GRU_AVX512_TILE_FN(mode, one_4, 4, 1, 0) ARNN_GRU_AVX512_TILE_FN(mode, one_2, 2, 1, 0)            \
  ARNN_GRU_AVX512_TILE_FN(mode, one_1, 1, 1, 0) ARNN_GRU_AVX512_BATCH_TILES_##maxs(mode, 0)              \
  ARNN_GRU_AVX512_BATCH_TILES_##maxs(mode, 1) ARNN_GRU_AVX512_BATCH_TILES_##maxs(mode, 2)                \
  ARNN_GRU_AVX512_BATCH_TILES_##maxs(mode, 3) ARNN_GRU_AVX512_BATCH_TILES_##maxs(mode, 4)                \
  ARNN_GRU_AVX512_BATCH_TILES_##maxs(mode, 5) ARNN_GRU_AVX512_BATCH_TILES_##maxs(mode, 6)                \
  ARNN_GRU_AVX512_BATCH_TILES_##maxs(mode, 7)
#define ARNN_GRU_AVX512_TILE_ROW(mode) { one_1_##mode, one_2_##mode, one_4_##mode }
#define ARNN_GRU_AVX512_BATCH_ROW_6(mode, where)                                                         \
  { 0, b##where##_1_##mode, b##where##_2_##mode, b##where##_3_##mode, b##where##_4_##mode,               \
    b##where##_5_##mode, b##where##_6_##mode }
#define ARNN_GRU_AVX512_BATCH_ROW_7(mode, where)                                                         \
  { 0, b##where##_1_##mode, b##where##_2_##mode, b##where##_3_##mode, b##where##_4_##mode,               \
    b##where##_5_##mode, b##where##_6_##mode, b##where##_7_##mode }
#define ARNN_GRU_AVX512_BATCH_TABLE(mode, maxs)                                                          \
  {ARNN_GRU_AVX512_BATCH_ROW_##maxs(mode, 0), ARNN_GRU_AVX512_BATCH_ROW_##maxs(mode, 1),                 \
   ARNN_GRU_AVX512_BATCH_ROW_##maxs(mode, 2), ARNN_GRU_AVX512_BATCH_ROW_##maxs(mode, 3),                 \
   ARNN_GRU_AVX512_BATCH_ROW_##maxs(mode, 4), ARNN_GRU_AVX512_BATCH_ROW_##maxs(mode, 5),                 \
   ARNN_GRU_AVX512_BATCH_ROW_##maxs(mode, 6), ARNN_GRU_AVX512_BATCH_ROW_##maxs(mode, 7)}
#define ARNN_GRU_AVX512_PASS(bf16, maxs)                                                                 \
  ARNN_GRU_AVX512_TILES_OF(FULL, maxs) ARNN_GRU_AVX512_TILES_OF(PASS1, maxs)                             \
  ARNN_GRU_AVX512_TILES_OF(PASS2, maxs)                                                                  \
  static const arnn_rnn_tile_fn tiles[3][3] = {                                                         \
      ARNN_GRU_AVX512_TILE_ROW(FULL), ARNN_GRU_AVX512_TILE_ROW(PASS1), ARNN_GRU_AVX512_TILE_ROW(PASS2)}; \
  static const arnn_rnn_tile_fn batch[3][8][ARNN_RNN_BATCH_MAXS + 1] = {                               \
      ARNN_GRU_AVX512_BATCH_TABLE(FULL, maxs), ARNN_GRU_AVX512_BATCH_TABLE(PASS1, maxs),                 \
      ARNN_GRU_AVX512_BATCH_TABLE(PASS2, maxs)};                                                         \
  static void pass(int mode, const arnn_rnn_step_args *a, size_t nb, const float *const *xp,            \
                   const float *const *h, float *const *h_out, float *const *scratch) {                 \
    arnn_gru_avx512_pass(mode, bf16, maxs, a, nb, xp, h, h_out, scratch, tiles[mode], batch[mode]);      \
  }

#endif
