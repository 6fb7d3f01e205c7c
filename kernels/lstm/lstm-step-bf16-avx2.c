/* Fused LSTM step with bf16 recurrent weights, AVX2+FMA; scalar twin
 * lstm-step-bf16-scalar.c (same equations, same per-output order,
 * bit-identical). Weights widened exactly, a shift or an AND per 8
 * (../rnn/rnn-bf16-avx2-inl.h). Register tiles (16 ymm):
 *  - one sequence: one 16-unit block = 2 ymm x 4 gates = 8 accumulators;
 *  - several sequences: half a block (8 units) x 4 gates x up to 2 sequences
 *    = 8 accumulators (2, not the float32 kernel's 3: the two broadcasts of
 *    h[k] and h[k+1] per sequence would not fit beside 12 accumulators).
 * Start and epilogue: lstm-step-avx2-inl.h (shared with the float32 kernel). */
#include "../rnn/rnn-bf16-avx2-inl.h"
#include "lstm-step-avx2-inl.h"

#define MAXS 2

/* Units [u0, u0 + 8*nh), u0 a multiple of 8 (nh == 2 only at a block start). */
static inline __attribute__((always_inline)) void tile(const size_t nh, const size_t nseq, const arnn_rnn_step_args *a,
                                                       size_t u0, const float *const *xp, const float *const *h,
                                                       float *const *c, float *const *h_out) {
  const size_t H = a->H, Kp = (H + 1) / 2, j = u0 / 16, half = (u0 % 16) / 8;
  const uint16_t *w = a->w16 + j * Kp * 128 + half * 16;
  __m256 acc[MAXS][2][4];
  arnn_lstm_avx2_acc_init(nh, nseq, acc, u0, xp);
  for (size_t p = 0; p < H / 2; p++) {
    __m256 h0[MAXS], h1[MAXS];
    for (size_t s = 0; s < nseq; s++) {
      h0[s] = _mm256_broadcast_ss(h[s] + 2 * p);
      h1[s] = _mm256_broadcast_ss(h[s] + 2 * p + 1);
    }
    for (size_t g = 0; g < 4; g++)
      for (size_t q = 0; q < nh; q++) {
        __m256 w0, w1;
        arnn_avx2_widen_bf16_pairs(w + (p * 4 + g) * 32 + q * 16, &w0, &w1);
        for (size_t s = 0; s < nseq; s++) acc[s][q][g] = _mm256_fmadd_ps(h0[s], w0, acc[s][q][g]);
        for (size_t s = 0; s < nseq; s++) acc[s][q][g] = _mm256_fmadd_ps(h1[s], w1, acc[s][q][g]);
      }
  }
  if (H % 2) { /* the last k alone: its pair partner is zero padding, never used */
    const size_t p = H / 2;
    for (size_t g = 0; g < 4; g++)
      for (size_t q = 0; q < nh; q++) {
        const __m256 w0 = arnn_avx2_widen_bf16_first(w + (p * 4 + g) * 32 + q * 16);
        for (size_t s = 0; s < nseq; s++) acc[s][q][g] = _mm256_fmadd_ps(_mm256_broadcast_ss(h[s] + 2 * p), w0, acc[s][q][g]);
      }
  }
  arnn_lstm_avx2_epilogue(nh, nseq, a, acc, u0, c, h_out);
}

ARNN_LSTM_TILE_FN(2, 1) ARNN_LSTM_TILE_FN(1, 1) ARNN_LSTM_TILE_FN(1, 2)

static const arnn_rnn_tile_fn seq_tiles[MAXS + 1] = {0, tile_1_1, tile_1_2};

void arnn_f32_lstm_step_bf16__avx2(const arnn_rnn_step_args *a, size_t nb, const float *const *xp,
                                   const float *const *h, float *const *c, float *const *h_out) {
  ARNN_KERNEL_ASSERT(arnn_rnn_step_args_ok(a, nb, xp, h, (const float *const *)c, (const float *const *)h_out, NULL, 1));
  arnn_rnn_half_blocks(a, nb, xp, h, c, h_out, tile_2_1, seq_tiles, MAXS);
}
