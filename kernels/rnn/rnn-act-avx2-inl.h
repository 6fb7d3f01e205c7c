/* Recurrent activations, AVX2; scalar twin rnn-act-scalar-inl.h. */
#ifndef ARNN_KERNELS_RNN_RNN_ACT_AVX2_INL_H
#define ARNN_KERNELS_RNN_RNN_ACT_AVX2_INL_H

#include "../vmath/vmath-avx2-inl.h"
#include "rnn-act-scalar-inl.h"

static inline __m256 arnn_avx2_ract(__m256 x, int ract) {
  if (ract == ARNN_RACT_SIGMOID) return arnn_avx2_sigmoid(x);
  const float slope = ract == ARNN_RACT_HARD_KERAS2 ? ARNN_HARD_SIGMOID_SLOPE_K2 : ARNN_HARD_SIGMOID_SLOPE_K3;
  const __m256 y = _mm256_min_ps(_mm256_set1_ps(1.0f), _mm256_fmadd_ps(x, _mm256_set1_ps(slope), _mm256_set1_ps(0.5f)));
  return _mm256_max_ps(_mm256_setzero_ps(), y);
}

#endif
