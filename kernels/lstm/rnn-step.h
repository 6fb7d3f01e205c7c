/* Fused recurrent step kernels (LSTM in kernels/lstm/, GRU in kernels/gru/):
 * contract shared by both families (see kernels/README.md).
 *
 * Layout. Hidden units are padded to Hp = round_up(H, 16) and grouped in
 * blocks of 16. The recurrent kernel R [H, G*H] (Keras layout, gate-major
 * columns) is packed once, gate-interleaved and K-major per block:
 *
 *   w[((j*H + k)*G + g)*16 + l] = R[k][g*H + 16j + l]   (0 where 16j+l >= H)
 *
 * for block j < Hp/16, k < H, gate g < G, lane l < 16. The pre-activations of
 * one step for one sequence (input projection with the input biases folded
 * in) use the matching column order: xp[(j*G + g)*16 + l].
 *
 * Per hidden unit and gate the accumulator starts from xp (or, for the GRU
 * candidate with reset_after, from the recurrent bias) and takes
 * fma(h[k], w, acc) for k = 0..H-1 in order on every ISA; the activations are
 * the shared per-element functions of kernels/vmath. So scalar, AVX2 and
 * AVX-512 give identical bits, and a sequence's result does not depend on the
 * other sequences in the call (nb).
 *
 * Arguments: nb >= 1 sequences; xp[s] (G*Hp floats), h[s] (previous hidden
 * state, Hp floats, lanes >= H are zero), c[s] (LSTM cell state, Hp floats,
 * updated in place), h_out[s] (next hidden state, Hp floats, written once;
 * must not alias h[s]), scratch[s] (GRU reset_after == 0 only: Hp floats).
 * With zero-padded weights and inputs the padded lanes stay exactly zero. */
#ifndef ARNN_KERNELS_LSTM_RNN_STEP_H
#define ARNN_KERNELS_LSTM_RNN_STEP_H

#include <stddef.h>

/* Recurrent activation (the gates' "sigmoid"). */
enum {
  ARNN_RACT_SIGMOID = 0,     /* 1 / (1 + e^-x), the vmath sigmoid */
  ARNN_RACT_HARD_KERAS2 = 1, /* clip(0.2 x + 0.5, 0, 1) as fma(x, 0.2, 0.5) */
  ARNN_RACT_HARD_KERAS3 = 2  /* clip(x / 6 + 0.5, 0, 1) as fma(x, 1/6, 0.5) */
};

typedef struct {
  size_t H;  /* hidden units: length of the k loop */
  size_t Hp; /* H rounded up to a multiple of 16 */
  /* LSTM: G = 4 (i, f, c, o). GRU reset_after = 1: G = 3 (z, r, h). GRU
   * reset_after = 0: G = 2 (z, r) here and the candidate's R_h packed alone
   * (G = 1) in w_h, applied to r*h in a second pass. */
  const float *w;
  const float *w_h;
  const float *b_rec_h; /* GRU reset_after = 1: recurrent bias of h, [Hp] */
  int reset_after;      /* GRU only */
  int ract;             /* ARNN_RACT_* */
} arnn_rnn_step_args;

typedef void (*arnn_f32_lstm_step_fn)(const arnn_rnn_step_args *a, size_t nb, const float *const *xp,
                                      const float *const *h, float *const *c, float *const *h_out);
typedef void (*arnn_f32_gru_step_fn)(const arnn_rnn_step_args *a, size_t nb, const float *const *xp,
                                     const float *const *h, float *const *h_out, float *const *scratch);

#define ARNN_LSTM_STEP_KERNEL(isa, arch)                                                                   \
  void arnn_f32_lstm_step__##isa(const arnn_rnn_step_args *a, size_t nb, const float *const *xp,          \
                                 const float *const *h, float *const *c, float *const *h_out);
#include "f32-lstm-step.inc"
#undef ARNN_LSTM_STEP_KERNEL

#define ARNN_GRU_STEP_KERNEL(isa, arch)                                                                    \
  void arnn_f32_gru_step__##isa(const arnn_rnn_step_args *a, size_t nb, const float *const *xp,           \
                                const float *const *h, float *const *h_out, float *const *scratch);
#include "../gru/f32-gru-step.inc"
#undef ARNN_GRU_STEP_KERNEL

#endif
