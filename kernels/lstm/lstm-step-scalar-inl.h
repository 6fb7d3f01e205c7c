/* What the scalar LSTM step kernels (float32 and bf16 W_hh) share: the
 * accumulators' start from xp and the epilogue of one 16-unit block.
 *
 *   i = s(z_i), f = s(z_f), g = tanh(z_c), o = s(z_o)   (s = recurrent act.)
 *   c' = fma(f, c, i*g),  h' = o * tanh(c') */
#ifndef ARNN_KERNELS_LSTM_LSTM_STEP_SCALAR_INL_H
#define ARNN_KERNELS_LSTM_LSTM_STEP_SCALAR_INL_H

#include "../rnn/rnn-act-scalar-inl.h"
#include "lstm.h"

/* acc[g][l] = xp of gate g, lane l of block j. */
static inline __attribute__((always_inline)) void arnn_lstm_scalar_acc_init(float acc[4][16], const float *xp,
                                                                            size_t j) {
  for (size_t g = 0; g < 4; g++)
    for (size_t l = 0; l < 16; l++) acc[g][l] = xp[(j * 4 + g) * 16 + l];
}

/* Gates, c and h of block j from its sums acc[g][l]. */
static inline __attribute__((always_inline)) void arnn_lstm_scalar_epilogue(const arnn_rnn_step_args *a,
                                                                            float acc[4][16], size_t j, float *c,
                                                                            float *h_out) {
  for (size_t l = 0; l < 16; l++) {
    const size_t u = j * 16 + l;
    const float i = arnn_scalar_ract(acc[0][l], a->ract);
    const float f = arnn_scalar_ract(acc[1][l], a->ract);
    const float g = arnn_scalar_tanh(acc[2][l]);
    const float o = arnn_scalar_ract(acc[3][l], a->ract);
    const float cn = fmaf(f, c[u], i * g);
    c[u] = cn;
    h_out[u] = o * arnn_scalar_tanh(cn);
  }
}

#endif
