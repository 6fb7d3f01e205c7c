/* What the scalar GRU step kernels (float32 and bf16 W_hh) share: each
 * pass's start of the accumulators of one 16-unit block j and its epilogue.
 * Gate order z, r, h (Keras); s = recurrent activation; xp has G = 3
 * gate-interleaved columns in every mode.
 *
 * reset_after = 1 (acc z, r, a):
 *   z = s(acc_z), r = s(acc_r), hh = tanh(fma(r, acc_a, xp_h)),
 *   h' = fma(z, h - hh, hh)  (= z h + (1-z) hh)
 * reset_after = 0, pass 1 (acc z, r): h_out = z = s(acc_z), rh = s(acc_r) * h;
 *   pass 2 (acc_h from xp_h, R_h applied to rh): hh = tanh(acc_h),
 *   h' = fma(z, h - hh, hh). */
#ifndef ARNN_KERNELS_GRU_GRU_STEP_SCALAR_INL_H
#define ARNN_KERNELS_GRU_GRU_STEP_SCALAR_INL_H

#include "../rnn/rnn-act-scalar-inl.h"
#include "gru.h"

static inline __attribute__((always_inline)) void arnn_gru_scalar_full_init(float acc[3][16],
                                                                            const arnn_rnn_step_args *a,
                                                                            const float *xp, size_t j) {
  for (size_t l = 0; l < 16; l++) {
    acc[0][l] = xp[(j * 3 + 0) * 16 + l];
    acc[1][l] = xp[(j * 3 + 1) * 16 + l];
    acc[2][l] = a->b_rec_h[j * 16 + l];
  }
}

static inline __attribute__((always_inline)) void arnn_gru_scalar_full_epilogue(const arnn_rnn_step_args *a,
                                                                                float acc[3][16], const float *xp,
                                                                                const float *h, size_t j,
                                                                                float *h_out) {
  for (size_t l = 0; l < 16; l++) {
    const size_t u = j * 16 + l;
    const float z = arnn_scalar_ract(acc[0][l], a->ract);
    const float r = arnn_scalar_ract(acc[1][l], a->ract);
    const float hh = arnn_scalar_tanh(fmaf(r, acc[2][l], xp[(j * 3 + 2) * 16 + l]));
    h_out[u] = fmaf(z, h[u] - hh, hh);
  }
}

static inline __attribute__((always_inline)) void arnn_gru_scalar_pass1_init(float acc[2][16], const float *xp,
                                                                             size_t j) {
  for (size_t l = 0; l < 16; l++) {
    acc[0][l] = xp[(j * 3 + 0) * 16 + l];
    acc[1][l] = xp[(j * 3 + 1) * 16 + l];
  }
}

static inline __attribute__((always_inline)) void arnn_gru_scalar_pass1_epilogue(const arnn_rnn_step_args *a,
                                                                                 float acc[2][16], const float *h,
                                                                                 size_t j, float *h_out,
                                                                                 float *rh) {
  for (size_t l = 0; l < 16; l++) {
    const size_t u = j * 16 + l;
    h_out[u] = arnn_scalar_ract(acc[0][l], a->ract);
    rh[u] = arnn_scalar_ract(acc[1][l], a->ract) * h[u];
  }
}

static inline __attribute__((always_inline)) void arnn_gru_scalar_pass2_init(float acc[16], const float *xp,
                                                                             size_t j) {
  for (size_t l = 0; l < 16; l++) acc[l] = xp[(j * 3 + 2) * 16 + l];
}

static inline __attribute__((always_inline)) void arnn_gru_scalar_pass2_epilogue(float acc[16], const float *h,
                                                                                 size_t j, float *h_out) {
  for (size_t l = 0; l < 16; l++) {
    const size_t u = j * 16 + l;
    const float hh = arnn_scalar_tanh(acc[l]);
    h_out[u] = fmaf(h_out[u], h[u] - hh, hh);
  }
}

/* The step: each sequence in turn, its one pass (reset_after = 1) or its two
 * (reset_after = 0; rh in scratch). */
typedef void (*arnn_gru_scalar_reset_after_fn)(const arnn_rnn_step_args *, const float *, const float *, float *);
typedef void (*arnn_gru_scalar_reset_before_fn)(const arnn_rnn_step_args *, const float *, const float *, float *,
                                                float *);

static inline __attribute__((always_inline)) void
arnn_gru_scalar_step(const arnn_rnn_step_args *a, size_t nb, const float *const *xp, const float *const *h,
                     float *const *h_out, float *const *scratch, arnn_gru_scalar_reset_after_fn reset_after_step,
                     arnn_gru_scalar_reset_before_fn reset_before_step) {
  for (size_t s = 0; s < nb; s++) {
    if (a->reset_after)
      reset_after_step(a, xp[s], h[s], h_out[s]);
    else
      reset_before_step(a, xp[s], h[s], h_out[s], scratch[s]);
  }
}

#endif
