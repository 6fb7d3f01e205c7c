/* Recurrent activations, scalar; twins: rnn-act-avx2-inl.h, rnn-act-avx512-inl.h.
 * hard_sigmoid = clip(fma(x, slope, 0.5), 0, 1) with the clamps written so a
 * NaN propagates (x86 MINPS/MAXPS semantics, constant first). */
#ifndef ARNN_KERNELS_RNN_RNN_ACT_SCALAR_INL_H
#define ARNN_KERNELS_RNN_RNN_ACT_SCALAR_INL_H

#include "../vmath/vmath-scalar-inl.h"
#include "rnn-step.h"

#define ARNN_HARD_SIGMOID_SLOPE_K2 0.2f
#define ARNN_HARD_SIGMOID_SLOPE_K3 (1.0f / 6.0f)

static inline float arnn_scalar_ract(float x, int ract) {
  if (ract == ARNN_RACT_SIGMOID) return arnn_scalar_sigmoid(x);
  const float slope = ract == ARNN_RACT_HARD_KERAS2 ? ARNN_HARD_SIGMOID_SLOPE_K2 : ARNN_HARD_SIGMOID_SLOPE_K3;
  const float y = arnn_min_nan_passing(1.0f, fmaf(x, slope, 0.5f));
  return arnn_max_nan_passing(0.0f, y);
}

#endif
