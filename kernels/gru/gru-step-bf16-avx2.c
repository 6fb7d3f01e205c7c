/* Fused GRU step with bf16 recurrent weights, AVX2+FMA; scalar twin
 * gru-step-bf16-scalar.c (same equations and per-output order,
 * bit-identical). Weights widened exactly (32 bytes = 8 lanes of a gate for k
 * and k+1; a shift or an AND, ../rnn/rnn-bf16-avx2-inl.h); tiles as in
 * gru-step-avx2.c with up to 2 sequences per tile (the broadcasts of h[k] and
 * h[k+1] take the registers of the third). Passes: gru-step-inl.h; start and
 * epilogue: gru-step-avx2-inl.h (shared with the float32 kernel). */
#include "../rnn/rnn-bf16-avx2-inl.h"
#include "gru-step-avx2-inl.h"

#define MAXS 2

static inline __attribute__((always_inline)) void tile(const int mode, const size_t nh, const size_t nseq,
                                                       const arnn_rnn_step_args *a, size_t u0,
                                                       const float *const *xp, const float *const *h,
                                                       float *const *h_out, float *const *scratch) {
  const size_t H = a->H, Kp = (H + 1) / 2, j = u0 / 16, half = (u0 % 16) / 8;
  const size_t G = arnn_gru_gates(mode);
  const uint16_t *w = (mode == PASS2 ? a->w_h16 : a->w16) + j * Kp * G * 32 + half * 16;
  __m256 acc[MAXS][2][3];
  arnn_gru_avx2_acc_init(mode, nh, nseq, a, acc, u0, xp);
  for (size_t p = 0; p < H / 2; p++) {
    __m256 h0[MAXS], h1[MAXS];
    for (size_t s = 0; s < nseq; s++) {
      const float *hs = mode == PASS2 ? scratch[s] : h[s];
      h0[s] = _mm256_broadcast_ss(hs + 2 * p);
      h1[s] = _mm256_broadcast_ss(hs + 2 * p + 1);
    }
    for (size_t g = 0; g < G; g++)
      for (size_t q = 0; q < nh; q++) {
        __m256 w0, w1;
        arnn_avx2_widen_bf16_pairs(w + (p * G + g) * 32 + q * 16, &w0, &w1);
        for (size_t s = 0; s < nseq; s++) acc[s][q][g] = _mm256_fmadd_ps(h0[s], w0, acc[s][q][g]);
        for (size_t s = 0; s < nseq; s++) acc[s][q][g] = _mm256_fmadd_ps(h1[s], w1, acc[s][q][g]);
      }
  }
  if (H % 2) { /* the last k alone: its pair partner is zero padding, never used */
    const size_t p = H / 2;
    for (size_t g = 0; g < G; g++)
      for (size_t q = 0; q < nh; q++) {
        const __m256 w0 = arnn_avx2_widen_bf16_first(w + (p * G + g) * 32 + q * 16);
        for (size_t s = 0; s < nseq; s++)
          acc[s][q][g] = _mm256_fmadd_ps(_mm256_broadcast_ss((mode == PASS2 ? scratch[s] : h[s]) + 2 * p), w0,
                                         acc[s][q][g]);
      }
  }
  arnn_gru_avx2_epilogue(mode, nh, nseq, a, acc, u0, xp, h, h_out, scratch);
}

#define TILE_FNS(mode) ARNN_GRU_TILE_FN(mode, 2, 1) ARNN_GRU_TILE_FN(mode, 1, 1) ARNN_GRU_TILE_FN(mode, 1, 2)
TILE_FNS(FULL) TILE_FNS(PASS1) TILE_FNS(PASS2)

static const arnn_rnn_tile_fn tiles[3][MAXS + 2] = {
    {0, tile_FULL_1_1, tile_FULL_1_2, tile_FULL_2_1},
    {0, tile_PASS1_1_1, tile_PASS1_1_2, tile_PASS1_2_1},
    {0, tile_PASS2_1_1, tile_PASS2_1_2, tile_PASS2_2_1},
};

static void pass(int mode, const arnn_rnn_step_args *a, size_t nb, const float *const *xp, const float *const *h,
                 float *const *h_out, float *const *scratch) {
  arnn_rnn_half_blocks(a, nb, xp, h, h_out, scratch, tiles[mode][MAXS + 1], tiles[mode], MAXS);
}

void arnn_f32_gru_step_bf16__avx2(const arnn_rnn_step_args *a, size_t nb, const float *const *xp,
                                  const float *const *h, float *const *h_out, float *const *scratch) {
  ARNN_KERNEL_ASSERT(arnn_rnn_step_args_ok(a, nb, xp, h, NULL, (const float *const *)h_out, (const float *const *)scratch, 0));
  arnn_gru_step_passes(pass, a, nb, xp, h, h_out, scratch);
}
