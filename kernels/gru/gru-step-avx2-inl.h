/* What the AVX2 GRU step kernels (float32 and bf16 W_hh) share: each pass's
 * start of the accumulators and its epilogue for a tile of nh 8-unit halves
 * x nseq sequences (acc[s][q][g]: sequence s, half q, gate g), with the
 * operations of the scalar twin gru-step-scalar-inl.h. Passes:
 * gru-step-inl.h. */
#ifndef ARNN_KERNELS_GRU_GRU_STEP_AVX2_INL_H
#define ARNN_KERNELS_GRU_GRU_STEP_AVX2_INL_H

#include "../rnn/rnn-act-avx2-inl.h"
#include "gru-step-inl.h"

/* Units [u0, u0 + 8*nh), u0 a multiple of 8 (nh == 2 only at a block start). */
static inline __attribute__((always_inline)) void arnn_gru_avx2_acc_init(const int mode, const size_t nh,
                                                                         const size_t nseq,
                                                                         const arnn_rnn_step_args *a,
                                                                         __m256 acc[][2][3], size_t u0,
                                                                         const float *const *xp) {
  const size_t j = u0 / 16, half = (u0 % 16) / 8;
  for (size_t s = 0; s < nseq; s++)
    for (size_t q = 0; q < nh; q++) {
      const float *x = xp[s] + j * 48 + half * 8 + q * 8;
      if (mode == PASS2) {
        acc[s][q][0] = _mm256_loadu_ps(x + 32);
      } else {
        acc[s][q][0] = _mm256_loadu_ps(x);
        acc[s][q][1] = _mm256_loadu_ps(x + 16);
        if (mode == FULL) acc[s][q][2] = _mm256_loadu_ps(a->b_rec_h + u0 + q * 8);
      }
    }
}

static inline __attribute__((always_inline)) void arnn_gru_avx2_epilogue(const int mode, const size_t nh,
                                                                         const size_t nseq,
                                                                         const arnn_rnn_step_args *a,
                                                                         __m256 acc[][2][3], size_t u0,
                                                                         const float *const *xp,
                                                                         const float *const *h,
                                                                         float *const *h_out,
                                                                         float *const *scratch) {
  const size_t j = u0 / 16, half = (u0 % 16) / 8;
  for (size_t s = 0; s < nseq; s++)
    for (size_t q = 0; q < nh; q++) {
      const size_t u = u0 + q * 8;
      const __m256 hv = _mm256_loadu_ps(h[s] + u);
      if (mode == FULL) {
        const __m256 z = arnn_avx2_ract(acc[s][q][0], a->ract);
        const __m256 r = arnn_avx2_ract(acc[s][q][1], a->ract);
        const __m256 xh = _mm256_loadu_ps(xp[s] + j * 48 + 32 + half * 8 + q * 8);
        const __m256 hh = arnn_avx2_tanh(_mm256_fmadd_ps(r, acc[s][q][2], xh));
        _mm256_storeu_ps(h_out[s] + u, _mm256_fmadd_ps(z, _mm256_sub_ps(hv, hh), hh));
      } else if (mode == PASS1) {
        _mm256_storeu_ps(h_out[s] + u, arnn_avx2_ract(acc[s][q][0], a->ract));
        _mm256_storeu_ps(scratch[s] + u, _mm256_mul_ps(arnn_avx2_ract(acc[s][q][1], a->ract), hv));
      } else {
        const __m256 hh = arnn_avx2_tanh(acc[s][q][0]);
        const __m256 z = _mm256_loadu_ps(h_out[s] + u);
        _mm256_storeu_ps(h_out[s] + u, _mm256_fmadd_ps(z, _mm256_sub_ps(hv, hh), hh));
      }
    }
}

#endif
