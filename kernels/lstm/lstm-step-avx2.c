/* Fused LSTM step, AVX2+FMA; scalar twin lstm-step-scalar.c (same equations,
 * same per-output order, bit-identical). Register tiles (16 ymm):
 *  - one sequence: one 16-unit block = 2 ymm x 4 gates = 8 accumulators;
 *  - several sequences: half a block (8 units) x 4 gates x up to 3 sequences
 *    = 12 accumulators, each weight vector loaded once per k for the tile.
 * Start and epilogue: lstm-step-avx2-inl.h (shared with the bf16 kernel). */
#include "lstm-step-avx2-inl.h"

#define MAXS 3

/* Units [u0, u0 + 8*nh), u0 a multiple of 8 (nh == 2 only at a block start). */
static inline __attribute__((always_inline)) void tile(const size_t nh, const size_t nseq, const arnn_rnn_step_args *a,
                                                       size_t u0, const float *const *xp, const float *const *h,
                                                       float *const *c, float *const *h_out) {
  const size_t H = a->H, j = u0 / 16, half = (u0 % 16) / 8;
  const float *w = a->w + j * H * 64 + half * 8;
  __m256 acc[MAXS][2][4];
  arnn_lstm_avx2_acc_init(nh, nseq, acc, u0, xp);
  for (size_t k = 0; k < H; k++) {
    __m256 hk[MAXS];
    for (size_t s = 0; s < nseq; s++) hk[s] = _mm256_broadcast_ss(h[s] + k);
    for (size_t g = 0; g < 4; g++)
      for (size_t q = 0; q < nh; q++) {
        const __m256 wv = _mm256_loadu_ps(w + k * 64 + g * 16 + q * 8);
        for (size_t s = 0; s < nseq; s++) acc[s][q][g] = _mm256_fmadd_ps(hk[s], wv, acc[s][q][g]);
      }
  }
  arnn_lstm_avx2_epilogue(nh, nseq, a, acc, u0, c, h_out);
}

ARNN_LSTM_TILE_FN(2, 1) ARNN_LSTM_TILE_FN(1, 1) ARNN_LSTM_TILE_FN(1, 2) ARNN_LSTM_TILE_FN(1, 3)

static const arnn_rnn_tile_fn seq_tiles[MAXS + 1] = {0, tile_1_1, tile_1_2, tile_1_3};

void arnn_f32_lstm_step__avx2(const arnn_rnn_step_args *a, size_t nb, const float *const *xp,
                              const float *const *h, float *const *c, float *const *h_out) {
  ARNN_KERNEL_ASSERT(arnn_rnn_step_args_ok(a, nb, xp, h, (const float *const *)c, (const float *const *)h_out, NULL, 1));
  arnn_rnn_half_blocks(a, nb, xp, h, c, h_out, tile_2_1, seq_tiles, MAXS);
}
