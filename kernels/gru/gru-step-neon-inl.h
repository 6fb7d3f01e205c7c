/* What the NEON GRU step kernels (float32 and bf16 W_hh) share: each pass's
 * start of the accumulators and its epilogue for a tile of nq 4-unit
 * quarters x nseq sequences, with the operations of the scalar twin
 * gru-step-scalar-inl.h. acc is one flat array indexed (s*nq + q)*G + g, so
 * that the accumulators of every tile are a dense prefix, which GCC keeps in
 * registers (see ../lstm/lstm-step-neon-inl.h). Passes: gru-step-inl.h. */
#ifndef ARNN_KERNELS_GRU_GRU_STEP_NEON_INL_H
#define ARNN_KERNELS_GRU_GRU_STEP_NEON_INL_H

#include "../rnn/rnn-act-neon-inl.h"
#include "gru-step-inl.h"

/* Units [u0, u0 + 4*nq), u0 a multiple of 8 (nq == 4 only at a block start). */
static inline __attribute__((always_inline)) void arnn_gru_neon_acc_init(const int mode, const size_t nq,
                                                                         const size_t nseq,
                                                                         const arnn_rnn_step_args *a,
                                                                         float32x4_t *acc, size_t u0,
                                                                         const float *const *xp) {
  const size_t j = u0 / 16, off = u0 % 16, G = arnn_gru_gates(mode);
  for (size_t s = 0; s < nseq; s++)
    for (size_t q = 0; q < nq; q++) {
      const float *x = xp[s] + j * 48 + off + q * 4;
      if (mode == PASS2) {
        acc[(s * nq + q) * G + 0] = vld1q_f32(x + 32);
      } else {
        acc[(s * nq + q) * G + 0] = vld1q_f32(x);
        acc[(s * nq + q) * G + 1] = vld1q_f32(x + 16);
        if (mode == FULL) acc[(s * nq + q) * G + 2] = vld1q_f32(a->b_rec_h + u0 + q * 4);
      }
    }
}

/* The epilogue reads the sums from memory, zs (the caller's, one per
 * sequence of its tiles): an accumulator array indexed in a loop GCC does
 * not unroll stays in memory (see ../lstm/lstm-step-neon-inl.h). */
static inline __attribute__((always_inline)) void
arnn_gru_neon_epilogue(const int mode, const size_t nq, const size_t nseq, const arnn_rnn_step_args *a,
                       float32x4_t *acc, float zs[][4][3][4], size_t u0, const float *const *xp,
                       const float *const *h, float *const *h_out, float *const *scratch) {
  const size_t j = u0 / 16, off = u0 % 16, G = arnn_gru_gates(mode);
  for (size_t s = 0; s < nseq; s++)
    for (size_t q = 0; q < nq; q++)
      for (size_t g = 0; g < G; g++) vst1q_f32(zs[s][q][g], acc[(s * nq + q) * G + g]);
  for (size_t s = 0; s < nseq; s++)
    for (size_t q = 0; q < nq; q++) {
      const size_t u = u0 + q * 4;
      const float32x4_t hv = vld1q_f32(h[s] + u);
      if (mode == FULL) {
        const float32x4_t z = arnn_neon_ract(vld1q_f32(zs[s][q][0]), a->ract);
        const float32x4_t r = arnn_neon_ract(vld1q_f32(zs[s][q][1]), a->ract);
        const float32x4_t xh = vld1q_f32(xp[s] + j * 48 + 32 + off + q * 4);
        const float32x4_t hh = arnn_neon_tanh(vfmaq_f32(xh, r, vld1q_f32(zs[s][q][2])));
        vst1q_f32(h_out[s] + u, vfmaq_f32(hh, z, vsubq_f32(hv, hh)));
      } else if (mode == PASS1) {
        vst1q_f32(h_out[s] + u, arnn_neon_ract(vld1q_f32(zs[s][q][0]), a->ract));
        vst1q_f32(scratch[s] + u, vmulq_f32(arnn_neon_ract(vld1q_f32(zs[s][q][1]), a->ract), hv));
      } else {
        const float32x4_t hh = arnn_neon_tanh(vld1q_f32(zs[s][q][0]));
        const float32x4_t z = vld1q_f32(h_out[s] + u);
        vst1q_f32(h_out[s] + u, vfmaq_f32(hh, z, vsubq_f32(hv, hh)));
      }
    }
}

#endif
