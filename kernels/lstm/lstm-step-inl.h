/* What every LSTM step kernel shares, whatever its ISA and however it reads
 * W_hh (float32 or bf16): how its tile instances are made (the tile type and
 * the half-block driver, shared with GRU: ../rnn/rnn-step-tiles-inl.h).
 *
 * A kernel writes one tile(shape1, shape2, a, u0, xp, h, c, h_out), always
 * inlined, whose shape arguments are constants, and instantiates the shapes
 * it uses with ARNN_LSTM_TILE_FN: one out-of-line function per shape, named
 * tile_<shape1>_<shape2>, so that each shape's loops are unrolled for it. */
#ifndef ARNN_KERNELS_LSTM_LSTM_STEP_INL_H
#define ARNN_KERNELS_LSTM_LSTM_STEP_INL_H

#include "../rnn/rnn-step-tiles-inl.h"
#include "lstm.h"

#define ARNN_LSTM_TILE_FN(n1, n2)                                                                              \
  static void tile_##n1##_##n2(const arnn_rnn_step_args *a, size_t u0, const float *const *xp,                \
                               const float *const *h, float *const *c, float *const *h_out) {                 \
    tile(n1, n2, a, u0, xp, h, c, h_out);                                                                      \
  }

#endif
