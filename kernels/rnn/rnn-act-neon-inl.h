/* Recurrent activations, AArch64 NEON; scalar twin rnn-act-scalar-inl.h.
 * hard_sigmoid = clip(fma(x, slope, 0.5), 0, 1): FMIN/FMAX (vminq/vmaxq)
 * return the NaN when x is NaN, as the scalar clamps do (vminnmq/vmaxnmq would
 * return the constant). fma(x, slope, 0.5) is never -0 (0.5 is exact and
 * nonzero), so FMAX's +0/-0 ordering cannot differ from the scalar clamp. */
#ifndef ARNN_KERNELS_RNN_RNN_ACT_NEON_INL_H
#define ARNN_KERNELS_RNN_RNN_ACT_NEON_INL_H

#include "../vmath/vmath-neon-inl.h"
#include "rnn-act-scalar-inl.h"

static inline float32x4_t arnn_neon_ract(float32x4_t x, int ract) {
  if (ract == ARNN_RACT_SIGMOID) return arnn_neon_sigmoid(x);
  const float slope = ract == ARNN_RACT_HARD_KERAS2 ? ARNN_HARD_SIGMOID_SLOPE_K2 : ARNN_HARD_SIGMOID_SLOPE_K3;
  const float32x4_t y = vminq_f32(vdupq_n_f32(1.0f), vfmaq_f32(vdupq_n_f32(0.5f), x, vdupq_n_f32(slope)));
  return vmaxq_f32(vdupq_n_f32(0.0f), y);
}

#endif
