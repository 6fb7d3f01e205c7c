/* Recurrent activations, AVX-512; scalar twin rnn-act-scalar-inl.h. */
#ifndef ARNN_KERNELS_RNN_RNN_ACT_AVX512_INL_H
#define ARNN_KERNELS_RNN_RNN_ACT_AVX512_INL_H

#include "../vmath/vmath-avx512-inl.h"
#include "rnn-act-scalar-inl.h"

static inline __m512 arnn_avx512_ract(__m512 x, int ract) {
  if (ract == ARNN_RACT_SIGMOID) return arnn_avx512_sigmoid(x);
  const float slope = ract == ARNN_RACT_HARD_KERAS2 ? ARNN_HARD_SIGMOID_SLOPE_K2 : ARNN_HARD_SIGMOID_SLOPE_K3;
  const __m512 y = _mm512_min_ps(_mm512_set1_ps(1.0f), _mm512_fmadd_ps(x, _mm512_set1_ps(slope), _mm512_set1_ps(0.5f)));
  return _mm512_max_ps(_mm512_setzero_ps(), y);
}

#endif
