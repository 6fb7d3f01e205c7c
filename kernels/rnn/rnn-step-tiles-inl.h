/* What the LSTM and GRU step kernels share about their register tiles,
 * whatever the ISA: the type of a tile instance and the driver of the
 * half-block tiles (AVX2, NEON).
 *
 * A tile instance computes units [u0, u0 + its width) of its sequences:
 * tile(a, u0, xp, h, out0, out1), where out0, out1 are the cell's two
 * per-sequence state arrays (LSTM: c, h_out; GRU: h_out, scratch, scratch
 * NULL when the pass needs none). */
#ifndef ARNN_KERNELS_RNN_RNN_STEP_TILES_INL_H
#define ARNN_KERNELS_RNN_RNN_STEP_TILES_INL_H

#include "rnn-step.h"

typedef void (*arnn_rnn_tile_fn)(const arnn_rnn_step_args *, size_t, const float *const *, const float *const *,
                                 float *const *, float *const *);

/* One sequence over the 16-unit blocks of a->Hp in tiles of wide (4 or 2)
 * blocks, then (wide 4) one tile of two, then one of one; the same tiles
 * last to first when a->reverse (rnn-step.h). The AVX-512 drivers. */
static inline __attribute__((always_inline)) void
arnn_rnn_one_sequence_tiles(const arnn_rnn_step_args *a, const float *const *xp, const float *const *h,
                            float *const *out0, float *const *out1, size_t wide, arnn_rnn_tile_fn wide_tile,
                            arnn_rnn_tile_fn two_tile, arnn_rnn_tile_fn one_tile) {
  const size_t blocks = a->Hp / 16, full = blocks / wide * wide, two = wide > 2 && blocks - full >= 2;
  const int one = full + 2 * two < blocks;
  if (a->reverse) {
    if (one) one_tile(a, blocks - 1, xp, h, out0, out1);
    if (two) two_tile(a, full, xp, h, out0, out1);
    for (size_t j = full; j > 0; j -= wide) wide_tile(a, j - wide, xp, h, out0, out1);
    return;
  }
  for (size_t j = 0; j < full; j += wide) wide_tile(a, j, xp, h, out0, out1);
  if (two) two_tile(a, full, xp, h, out0, out1);
  if (one) one_tile(a, blocks - 1, xp, h, out0, out1);
}

/* One sequence: block_tile over each 16-unit block (last to first when
 * a->reverse). Several: each half block
 * (8 units) in turn, and for it groups of up to maxs sequences (seq_tiles[n]:
 * n sequences), so that the half block's weights stay in L1 while every
 * group uses them. */
static inline __attribute__((always_inline)) void
arnn_rnn_half_blocks(const arnn_rnn_step_args *a, size_t nb, const float *const *xp, const float *const *h,
                     float *const *out0, float *const *out1, arnn_rnn_tile_fn block_tile,
                     const arnn_rnn_tile_fn *seq_tiles, size_t maxs) {
  const size_t Hp = a->Hp;
  if (nb == 1) {
    if (a->reverse)
      for (size_t u = Hp; u > 0; u -= 16) block_tile(a, u - 16, xp, h, out0, out1);
    else
      for (size_t u = 0; u < Hp; u += 16) block_tile(a, u, xp, h, out0, out1);
    return;
  }
  for (size_t u = 0; u < Hp; u += 8)
    for (size_t s = 0; s < nb; s += maxs) {
      const size_t ns = nb - s >= maxs ? maxs : nb - s;
      seq_tiles[ns](a, u, xp + s, h + s, out0 + s, out1 ? out1 + s : NULL);
    }
}

#endif
