/* Fused GRU step, AVX2+FMA; scalar twin gru-step-scalar.c (same equations and
 * per-output order, bit-identical). Tiles as in lstm-step-avx2.c: a whole
 * 16-unit block (2 ymm x G gates) for one sequence, half a block x G gates x
 * up to 3 sequences otherwise. Passes: gru-step-inl.h; start and epilogue:
 * gru-step-avx2-inl.h (shared with the bf16 kernel). */
#include "gru-step-avx2-inl.h"

#define MAXS 3

static inline __attribute__((always_inline)) void tile(const int mode, const size_t nh, const size_t nseq,
                                                       const arnn_rnn_step_args *a, size_t u0,
                                                       const float *const *xp, const float *const *h,
                                                       float *const *h_out, float *const *scratch) {
  const size_t H = a->H, j = u0 / 16, half = (u0 % 16) / 8;
  const size_t G = arnn_gru_gates(mode);
  const float *w = (mode == PASS2 ? a->w_h : a->w) + j * H * G * 16 + half * 8;
  __m256 acc[MAXS][2][3];
  arnn_gru_avx2_acc_init(mode, nh, nseq, a, acc, u0, xp);
  for (size_t k = 0; k < H; k++) {
    __m256 hk[MAXS];
    for (size_t s = 0; s < nseq; s++) hk[s] = _mm256_broadcast_ss((mode == PASS2 ? scratch[s] : h[s]) + k);
    for (size_t g = 0; g < G; g++)
      for (size_t q = 0; q < nh; q++) {
        const __m256 wv = _mm256_loadu_ps(w + (k * G + g) * 16 + q * 8);
        for (size_t s = 0; s < nseq; s++) acc[s][q][g] = _mm256_fmadd_ps(hk[s], wv, acc[s][q][g]);
      }
  }
  arnn_gru_avx2_epilogue(mode, nh, nseq, a, acc, u0, xp, h, h_out, scratch);
}

#define TILE_FNS(mode)                                                                                   \
  ARNN_GRU_TILE_FN(mode, 2, 1) ARNN_GRU_TILE_FN(mode, 1, 1) ARNN_GRU_TILE_FN(mode, 1, 2) ARNN_GRU_TILE_FN(mode, 1, 3)
TILE_FNS(FULL) TILE_FNS(PASS1) TILE_FNS(PASS2)

static const arnn_rnn_tile_fn tiles[3][MAXS + 2] = {
    {0, tile_FULL_1_1, tile_FULL_1_2, tile_FULL_1_3, tile_FULL_2_1},
    {0, tile_PASS1_1_1, tile_PASS1_1_2, tile_PASS1_1_3, tile_PASS1_2_1},
    {0, tile_PASS2_1_1, tile_PASS2_1_2, tile_PASS2_1_3, tile_PASS2_2_1},
};

static void pass(int mode, const arnn_rnn_step_args *a, size_t nb, const float *const *xp, const float *const *h,
                 float *const *h_out, float *const *scratch) {
  arnn_rnn_half_blocks(a, nb, xp, h, h_out, scratch, tiles[mode][MAXS + 1], tiles[mode], MAXS);
}

void arnn_f32_gru_step__avx2(const arnn_rnn_step_args *a, size_t nb, const float *const *xp,
                             const float *const *h, float *const *h_out, float *const *scratch) {
  ARNN_KERNEL_ASSERT(arnn_rnn_step_args_ok(a, nb, xp, h, NULL, (const float *const *)h_out, (const float *const *)scratch, 0));
  arnn_gru_step_passes(pass, a, nb, xp, h, h_out, scratch);
}
