/* Fused LSTM step with bf16 recurrent weights, AArch64 NEON; scalar twin
 * lstm-step-bf16-scalar.c (same equations, same per-output order,
 * bit-identical). Weights widened exactly: 16 bytes hold 4 lanes of a gate
 * for k and k+1, SHL or AND (../rnn/rnn-bf16-neon-inl.h). acc + h[k]*w with
 * one rounding (FMLA), k in order. Register tiles as in lstm-step-neon.c: one 16-unit
 * block = 4 q x 4 gates = 16 accumulators for one sequence; half a block x 4
 * gates x up to 2 sequences otherwise. Start, epilogue and tile bound:
 * lstm-step-neon-inl.h, shared with the float32 kernel. */
#include "../rnn/rnn-bf16-neon-inl.h"
#include "lstm-step-neon-inl.h"

#define MAXS ARNN_LSTM_NEON_MAXS

/* Units [u0, u0 + 4*nq), u0 a multiple of 8 (nq == 4 only at a block start). */
static inline __attribute__((always_inline)) void tile(const size_t nq, const size_t nseq, const arnn_rnn_step_args *a,
                                                       size_t u0, const float *const *xp, const float *const *h,
                                                       float *const *c, float *const *h_out) {
  const size_t H = a->H, Kp = (H + 1) / 2, j = u0 / 16, off = u0 % 16;
  const uint16_t *w = a->w16 + j * Kp * 128 + off * 2;
  float32x4_t acc[16]; /* [(s*nq + q)*4 + g]: a dense prefix (see ARNN_LSTM_NEON_MAXS) */
  arnn_lstm_neon_acc_init(nq, nseq, acc, u0, xp);
  for (size_t p = 0; p < H / 2; p++) {
    float32x4_t h0[MAXS], h1[MAXS];
    for (size_t s = 0; s < nseq; s++) {
      h0[s] = vld1q_dup_f32(h[s] + 2 * p);
      h1[s] = vld1q_dup_f32(h[s] + 2 * p + 1);
    }
    for (size_t g = 0; g < 4; g++)
      for (size_t q = 0; q < nq; q++) {
        float32x4_t w0, w1;
        arnn_neon_widen_bf16_pairs(w + (p * 4 + g) * 32 + q * 8, &w0, &w1);
        for (size_t s = 0; s < nseq; s++) acc[(s * nq + q) * 4 + g] = vfmaq_f32(acc[(s * nq + q) * 4 + g], h0[s], w0);
        for (size_t s = 0; s < nseq; s++) acc[(s * nq + q) * 4 + g] = vfmaq_f32(acc[(s * nq + q) * 4 + g], h1[s], w1);
      }
  }
  if (H % 2) { /* the last k alone: its pair partner is zero padding, never used */
    const size_t p = H / 2;
    for (size_t g = 0; g < 4; g++)
      for (size_t q = 0; q < nq; q++) {
        const float32x4_t w0 = arnn_neon_widen_bf16_first(w + (p * 4 + g) * 32 + q * 8);
        for (size_t s = 0; s < nseq; s++)
          acc[(s * nq + q) * 4 + g] = vfmaq_f32(acc[(s * nq + q) * 4 + g], vld1q_dup_f32(h[s] + 2 * p), w0);
      }
  }
  arnn_lstm_neon_epilogue(nq, nseq, a, acc, u0, c, h_out);
}

ARNN_LSTM_TILE_FN(4, 1) ARNN_LSTM_TILE_FN(2, 1) ARNN_LSTM_TILE_FN(2, 2)

static const arnn_rnn_tile_fn seq_tiles[MAXS + 1] = {0, tile_2_1, tile_2_2};

void arnn_f32_lstm_step_bf16__neon(const arnn_rnn_step_args *a, size_t nb, const float *const *xp,
                                   const float *const *h, float *const *c, float *const *h_out) {
  ARNN_KERNEL_ASSERT(arnn_rnn_step_args_ok(a, nb, xp, h, (const float *const *)c, (const float *const *)h_out, NULL, 1));
  arnn_rnn_half_blocks(a, nb, xp, h, c, h_out, tile_4_1, seq_tiles, MAXS);
}
