/* What every GRU step kernel shares, whatever its ISA and however it reads
 * W_hh (float32 or bf16): the passes and how its tile instances are made (the
 * tile type and the half-block driver, shared with LSTM:
 * ../rnn/rnn-step-tiles-inl.h).
 *
 * reset_after = 1: one pass, FULL (G = 3 gates z, r, h; the candidate's
 * accumulator starts from the recurrent bias). reset_after = 0: PASS1 (G = 2,
 * z and r; z parked in h_out, r*h in scratch), then PASS2 (G = 1, R_h
 * applied to r*h).
 *
 * A kernel writes one tile(mode, shape1, shape2, a, u0, xp, h, h_out,
 * scratch), always inlined, whose mode and shape arguments are constants, and
 * instantiates those it uses with ARNN_GRU_TILE_FN: one out-of-line function
 * per mode and shape, tile_<mode>_<shape1>_<shape2>, so that each one's loops
 * are unrolled for it. */
#ifndef ARNN_KERNELS_GRU_GRU_STEP_INL_H
#define ARNN_KERNELS_GRU_GRU_STEP_INL_H

#include "../rnn/rnn-step-tiles-inl.h"
#include "gru.h"

enum { FULL = 0, PASS1 = 1, PASS2 = 2 };

/* Gates a pass accumulates. */
static inline size_t arnn_gru_gates(int mode) { return mode == FULL ? 3 : mode == PASS1 ? 2 : 1; }

#define ARNN_GRU_TILE_FN(mode, n1, n2)                                                                   \
  static void tile_##mode##_##n1##_##n2(const arnn_rnn_step_args *a, size_t u0, const float *const *xp,  \
                                        const float *const *h, float *const *h_out,                      \
                                        float *const *scratch) {                                         \
    tile(mode, n1, n2, a, u0, xp, h, h_out, scratch);                                                    \
  }

/* The step as its passes: pass(mode, a, nb, xp, h, h_out, scratch). */
typedef void (*arnn_gru_pass_fn)(int, const arnn_rnn_step_args *, size_t, const float *const *,
                                 const float *const *, float *const *, float *const *);

static inline __attribute__((always_inline)) void arnn_gru_step_passes(arnn_gru_pass_fn pass,
                                                                       const arnn_rnn_step_args *a, size_t nb,
                                                                       const float *const *xp,
                                                                       const float *const *h, float *const *h_out,
                                                                       float *const *scratch) {
  if (a->reset_after) {
    pass(FULL, a, nb, xp, h, h_out, scratch);
  } else {
    pass(PASS1, a, nb, xp, h, h_out, scratch);
    pass(PASS2, a, nb, xp, h, h_out, scratch);
  }
}

#endif
