/* What the NEON LSTM step kernels (float32 and bf16 W_hh) share: the tile
 * bound, the accumulators' start from xp and the epilogue of a tile of nq
 * 4-unit quarters x nseq sequences. Equations as in the scalar twin
 * lstm-step-scalar-inl.h; c and h stored once. */
#ifndef ARNN_KERNELS_LSTM_LSTM_STEP_NEON_INL_H
#define ARNN_KERNELS_LSTM_LSTM_STEP_NEON_INL_H

#include "../rnn/rnn-act-neon-inl.h"
#include "lstm-step-inl.h"

/* Sequences per tile in a batched step: 2, not 3 as in lstm-step-avx2.c:
 * GCC 12 keeps an accumulator array of more than 16 vectors in memory and
 * stores it back every k, and 24 accumulators + 8 weights + 3 broadcasts
 * would not fit the 32 registers anyway (measured in the disassembly: 41-61
 * instructions per 24 FMAs with 3 sequences against 26 per 16 with 2). acc is
 * one flat array of 16 indexed (s*nq + q)*4 + g, so the accumulators of
 * either tile are a dense prefix, which GCC does keep in registers. */
#define ARNN_LSTM_NEON_MAXS 2

/* Units [u0, u0 + 4*nq), u0 a multiple of 8 (nq == 4 only at a block start). */
static inline __attribute__((always_inline)) void arnn_lstm_neon_acc_init(const size_t nq, const size_t nseq,
                                                                          float32x4_t *acc, size_t u0,
                                                                          const float *const *xp) {
  const size_t j = u0 / 16, off = u0 % 16;
  for (size_t s = 0; s < nseq; s++)
    for (size_t q = 0; q < nq; q++)
      for (size_t g = 0; g < 4; g++) acc[(s * nq + q) * 4 + g] = vld1q_f32(xp[s] + (j * 4 + g) * 16 + off + q * 4);
}

/* The epilogue reads the sums from memory: were acc indexed in a loop GCC does not
 * unroll, it would keep all of acc in memory, storing it back every k
 * (measured: 16 extra stores per k in the one-block tile). */
static inline __attribute__((always_inline)) void arnn_lstm_neon_epilogue(const size_t nq, const size_t nseq,
                                                                          const arnn_rnn_step_args *a,
                                                                          float32x4_t *acc, size_t u0,
                                                                          float *const *c, float *const *h_out) {
  float z[ARNN_LSTM_NEON_MAXS][4][4][4];
  for (size_t s = 0; s < nseq; s++)
    for (size_t q = 0; q < nq; q++)
      for (size_t g = 0; g < 4; g++) vst1q_f32(z[s][q][g], acc[(s * nq + q) * 4 + g]);
  for (size_t s = 0; s < nseq; s++)
    for (size_t q = 0; q < nq; q++) {
      const size_t u = u0 + q * 4;
      const float32x4_t i = arnn_neon_ract(vld1q_f32(z[s][q][0]), a->ract);
      const float32x4_t f = arnn_neon_ract(vld1q_f32(z[s][q][1]), a->ract);
      const float32x4_t g = arnn_neon_tanh(vld1q_f32(z[s][q][2]));
      const float32x4_t o = arnn_neon_ract(vld1q_f32(z[s][q][3]), a->ract);
      const float32x4_t cn = vfmaq_f32(vmulq_f32(i, g), f, vld1q_f32(c[s] + u));
      vst1q_f32(c[s] + u, cn);
      vst1q_f32(h_out[s] + u, vmulq_f32(o, arnn_neon_tanh(cn)));
    }
}

#endif
