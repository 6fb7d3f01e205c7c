/* Fused LSTM step, AArch64 NEON; scalar twin lstm-step-scalar.c (same
 * equations, same per-output order, bit-identical):
 *
 *   z_g = xp + sum_k h[k] R[k][g*H+u]   (acc = acc + h[k]*w, one rounding, k in order)
 *   i = s(z_i), f = s(z_f), g = tanh(z_c), o = s(z_o)   (s = recurrent act.)
 *   c' = fma(f, c, i*g),  h' = o * tanh(c')
 *
 * Register tiles (32 q-registers), as lstm-step-avx2.c with 4-lane vectors:
 *  - one sequence: one 16-unit block = 4 q x 4 gates = 16 accumulators;
 *  - several sequences: half a block (8 units = 2 q) x 4 gates x up to 2
 *    sequences = 16 accumulators, each weight vector loaded once per k for
 *    the whole tile.
 * Start, epilogue (the shared activations on a stack copy of the sums; c and
 * h stored once) and tile bound: lstm-step-neon-inl.h, shared with the bf16
 * kernel. */
#include "lstm-step-neon-inl.h"

#define MAXS ARNN_LSTM_NEON_MAXS

/* Units [u0, u0 + 4*nq), u0 a multiple of 8 (nq == 4 only at a block start). */
static inline __attribute__((always_inline)) void tile(const size_t nq, const size_t nseq, const arnn_rnn_step_args *a,
                                                       size_t u0, const float *const *xp, const float *const *h,
                                                       float *const *c, float *const *h_out) {
  const size_t H = a->H, j = u0 / 16, off = u0 % 16;
  const float *w = a->w + j * H * 64 + off;
  float32x4_t acc[16]; /* [(s*nq + q)*4 + g], see ARNN_LSTM_NEON_MAXS */
  arnn_lstm_neon_acc_init(nq, nseq, acc, u0, xp);
  for (size_t k = 0; k < H; k++) {
    float32x4_t hk[MAXS];
    for (size_t s = 0; s < nseq; s++) hk[s] = vld1q_dup_f32(h[s] + k);
    for (size_t g = 0; g < 4; g++)
      for (size_t q = 0; q < nq; q++) {
        const float32x4_t wv = vld1q_f32(w + k * 64 + g * 16 + q * 4);
        for (size_t s = 0; s < nseq; s++) acc[(s * nq + q) * 4 + g] = vfmaq_f32(acc[(s * nq + q) * 4 + g], hk[s], wv);
      }
  }
  arnn_lstm_neon_epilogue(nq, nseq, a, acc, u0, c, h_out);
}

ARNN_LSTM_TILE_FN(4, 1) ARNN_LSTM_TILE_FN(2, 1) ARNN_LSTM_TILE_FN(2, 2)

static const arnn_rnn_tile_fn seq_tiles[MAXS + 1] = {0, tile_2_1, tile_2_2};

void arnn_f32_lstm_step__neon(const arnn_rnn_step_args *a, size_t nb, const float *const *xp,
                              const float *const *h, float *const *c, float *const *h_out) {
  ARNN_KERNEL_ASSERT(arnn_rnn_step_args_ok(a, nb, xp, h, (const float *const *)c, (const float *const *)h_out, NULL, 1));
  arnn_rnn_half_blocks(a, nb, xp, h, c, h_out, tile_4_1, seq_tiles, MAXS);
}
