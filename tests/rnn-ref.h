/* Plain double-precision implementation of the Keras recurrent layers
 * (docs/keras-layers.md), the truth the recurrent layer is tested against.
 * Weights in Keras layout (kernel [E,G*H], recurrent [H,G*H], bias [G*H] or
 * for GRU reset_after [2,G*H]; bias NULL = no bias). */
#ifndef ARNN_TESTS_RNN_REF_H
#define ARNN_TESTS_RNN_REF_H

#include <stddef.h>

typedef struct {
  int lstm;        /* 1 LSTM (i,f,c,o), 0 GRU (z,r,h) */
  int reset_after; /* GRU */
  int ract;        /* 0 sigmoid, 1 hard_sigmoid Keras 2, 2 hard_sigmoid Keras 3 */
  int bidirectional;
  int masked_zero; /* output at a masked step: 0 previous output, 1 zeros */
  size_t E, H;
  const float *kernel[2], *recurrent[2], *bias[2];
} ref_rnn;

/* y[B,T,D*H] from x[B,T,E] and an optional mask[B,T] (nonzero = keep). */
void ref_rnn_forward(const ref_rnn *r, size_t B, size_t T, const float *x, const unsigned char *mask, double *y);

#endif
