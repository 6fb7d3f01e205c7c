/* What the AVX-512 GRU step kernels (float32 and bf16 W_hh) share: the tile
 * bounds, each pass's start of the accumulators and its epilogue for a tile
 * of nblk 16-unit blocks x nseq sequences (acc[s][b][g]: sequence s, block
 * j0 + b, gate g), with the operations of the scalar twin
 * gru-step-scalar-inl.h, and the driver of a pass. Passes: gru-step-inl.h. */
#ifndef ARNN_KERNELS_GRU_GRU_STEP_AVX512_INL_H
#define ARNN_KERNELS_GRU_GRU_STEP_AVX512_INL_H

#include "../rnn/rnn-act-avx512-inl.h"
#include "../rnn/rnn-step-prefetch-inl.h"
#include "gru-step-inl.h"

/* Bounds of a tile: blocks for one sequence, sequences (of one block) in a
 * batched step. */
#define ARNN_GRU_AVX512_MAXB 4
#define ARNN_GRU_AVX512_MAXS 4

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

/* One pass over all blocks for the sequences [0, nb). tiles[n], 1 <= n <=
 * ARNN_GRU_AVX512_MAXS: one block x n sequences; tiles[MAXS + 1],
 * tiles[MAXS + 2]: two, four blocks x one sequence. One sequence: four blocks
 * at a time, then two, then one (arnn_rnn_one_sequence_tiles). Several: each block in turn, and for it
 * groups of sequences, so that the block's weights stay in L1 while every
 * group uses them; the xp lines each tile reads (z, r and h in one pass, z
 * and r in pass 1, h in pass 2) of the next tile are requested before each
 * tile (../rnn/rnn-step-prefetch-inl.h). */
static inline __attribute__((always_inline)) void arnn_gru_avx512_pass(int mode, const arnn_rnn_step_args *a,
                                                                       size_t nb, const float *const *xp,
                                                                       const float *const *h, float *const *h_out,
                                                                       float *const *scratch,
                                                                       const arnn_rnn_tile_fn *tiles) {
  const size_t blocks = a->Hp / 16, maxs = ARNN_GRU_AVX512_MAXS;
  if (nb == 1) {
    arnn_rnn_one_sequence_tiles(a, xp, h, h_out, scratch, 4, tiles[maxs + 2], tiles[maxs + 1], tiles[1]);
    return;
  }
  const size_t xp_first = mode == PASS2 ? 32 : 0, xp_lines = mode == FULL ? 3 : mode == PASS1 ? 2 : 1;
  for (size_t j = 0; j < blocks; j++)
    for (size_t s = 0; s < nb; s += maxs) {
      const size_t ns = nb - s >= maxs ? maxs : nb - s;
      arnn_rnn_prefetch_next_tile(xp, nb, blocks, j, s, maxs, 48, xp_first, xp_lines);
      tiles[ns](a, j, xp + s, h + s, h_out + s, scratch ? scratch + s : NULL);
    }
}

/* Instantiates the including kernel's tile() (see gru-step-inl.h) for every
 * mode and shape arnn_gru_avx512_pass() uses, their table tiles[mode][...],
 * and pass(), the kernel's one pass. */
#define ARNN_GRU_AVX512_TILES_OF(mode)                                                                   \
  ARNN_GRU_TILE_FN(mode, 4, 1) ARNN_GRU_TILE_FN(mode, 2, 1) ARNN_GRU_TILE_FN(mode, 1, 1)                 \
  ARNN_GRU_TILE_FN(mode, 1, 2) ARNN_GRU_TILE_FN(mode, 1, 3) ARNN_GRU_TILE_FN(mode, 1, 4)
#define ARNN_GRU_AVX512_TILE_ROW(mode)                                                                   \
  { 0, tile_##mode##_1_1, tile_##mode##_1_2, tile_##mode##_1_3, tile_##mode##_1_4, tile_##mode##_2_1,    \
    tile_##mode##_4_1 }
#define ARNN_GRU_AVX512_PASS                                                                             \
  ARNN_GRU_AVX512_TILES_OF(FULL) ARNN_GRU_AVX512_TILES_OF(PASS1) ARNN_GRU_AVX512_TILES_OF(PASS2)         \
  static const arnn_rnn_tile_fn tiles[3][ARNN_GRU_AVX512_MAXS + 3] = {                                  \
      ARNN_GRU_AVX512_TILE_ROW(FULL), ARNN_GRU_AVX512_TILE_ROW(PASS1), ARNN_GRU_AVX512_TILE_ROW(PASS2)}; \
  static void pass(int mode, const arnn_rnn_step_args *a, size_t nb, const float *const *xp,            \
                   const float *const *h, float *const *h_out, float *const *scratch) {                 \
    arnn_gru_avx512_pass(mode, a, nb, xp, h, h_out, scratch, tiles[mode]);                               \
  }

#endif
