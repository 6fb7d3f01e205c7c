/* What the AVX2 LSTM step kernels (float32 and bf16 W_hh) share: the
 * accumulators' start from xp and the epilogue of a tile of nh 8-unit halves
 * x nseq sequences (acc[s][q][g]: sequence s, half q, gate g), in registers
 * as in the scalar twin lstm-step-scalar-inl.h; c and h stored once.
 *
 * The epilogue's loops are unrolled completely (pragmas): rolled, GCC 12
 * keeps acc in memory and the float32 k loop stores accumulators back every
 * k (H = 128, one core: 78.1 -> 47.1 us per step at batch 32, 2.12 -> 1.77
 * us at batch 1; the bf16 kernel within 1%). */
#ifndef ARNN_KERNELS_LSTM_LSTM_STEP_AVX2_INL_H
#define ARNN_KERNELS_LSTM_LSTM_STEP_AVX2_INL_H

#include "../rnn/rnn-act-avx2-inl.h"
#include "lstm-step-inl.h"

/* Units [u0, u0 + 8*nh), u0 a multiple of 8 (nh == 2 only at a block start). */
static inline __attribute__((always_inline)) void arnn_lstm_avx2_acc_init(const size_t nh, const size_t nseq,
                                                                          __m256 acc[][2][4], size_t u0,
                                                                          const float *const *xp) {
  const size_t j = u0 / 16, half = (u0 % 16) / 8;
  for (size_t s = 0; s < nseq; s++)
    for (size_t q = 0; q < nh; q++)
      for (size_t g = 0; g < 4; g++) acc[s][q][g] = _mm256_loadu_ps(xp[s] + (j * 4 + g) * 16 + half * 8 + q * 8);
}

static inline __attribute__((always_inline)) void arnn_lstm_avx2_epilogue(const size_t nh, const size_t nseq,
                                                                          const arnn_rnn_step_args *a,
                                                                          __m256 acc[][2][4], size_t u0,
                                                                          float *const *c, float *const *h_out) {
#pragma GCC unroll 16
  for (size_t s = 0; s < nseq; s++)
#pragma GCC unroll 16
    for (size_t q = 0; q < nh; q++) {
      const size_t u = u0 + q * 8;
      const __m256 i = arnn_avx2_ract(acc[s][q][0], a->ract);
      const __m256 f = arnn_avx2_ract(acc[s][q][1], a->ract);
      const __m256 g = arnn_avx2_tanh(acc[s][q][2]);
      const __m256 o = arnn_avx2_ract(acc[s][q][3], a->ract);
      const __m256 cn = _mm256_fmadd_ps(f, _mm256_loadu_ps(c[s] + u), _mm256_mul_ps(i, g));
      _mm256_storeu_ps(c[s] + u, cn);
      _mm256_storeu_ps(h_out[s] + u, _mm256_mul_ps(o, arnn_avx2_tanh(cn)));
    }
}

#endif
