/* What every LSTM step kernel shares, whatever its ISA and however it reads
 * W_hh (float32 or bf16): the type of a tile instance and the driver of the
 * half-block tiles (AVX2, NEON).
 *
 * A kernel writes one tile(shape1, shape2, a, u0, xp, h, c, h_out), always
 * inlined, whose shape arguments are constants, and instantiates the shapes
 * it uses with ARNN_LSTM_TILE_FN: one out-of-line function per shape, named
 * tile_<shape1>_<shape2>, so that each shape's loops are unrolled for it. */
#ifndef ARNN_KERNELS_LSTM_LSTM_STEP_INL_H
#define ARNN_KERNELS_LSTM_LSTM_STEP_INL_H

#include "lstm.h"

typedef void (*arnn_lstm_tile_fn)(const arnn_rnn_step_args *, size_t, const float *const *, const float *const *,
                                  float *const *, float *const *);

#define ARNN_LSTM_TILE_FN(n1, n2)                                                                              \
  static void tile_##n1##_##n2(const arnn_rnn_step_args *a, size_t u0, const float *const *xp,                \
                               const float *const *h, float *const *c, float *const *h_out) {                 \
    tile(n1, n2, a, u0, xp, h, c, h_out);                                                                      \
  }

/* One sequence: block_tile over each 16-unit block. Several: each half block
 * (8 units) in turn, and for it groups of up to maxs sequences (seq_tiles[n]:
 * n sequences), so that the half block's weights stay in L1 while every
 * group uses them. */
static inline __attribute__((always_inline)) void
arnn_lstm_step_half_blocks(const arnn_rnn_step_args *a, size_t nb, const float *const *xp, const float *const *h,
                           float *const *c, float *const *h_out, arnn_lstm_tile_fn block_tile,
                           const arnn_lstm_tile_fn *seq_tiles, size_t maxs) {
  const size_t Hp = a->Hp;
  if (nb == 1) {
    for (size_t u = 0; u < Hp; u += 16) block_tile(a, u, xp, h, c, h_out);
    return;
  }
  for (size_t u = 0; u < Hp; u += 8)
    for (size_t s = 0; s < nb; s += maxs) {
      const size_t ns = nb - s >= maxs ? maxs : nb - s;
      seq_tiles[ns](a, u, xp + s, h + s, c + s, h_out + s);
    }
}

#endif
