/* Fused GRU step with bf16 recurrent weights, AArch64 NEON; scalar twin
 * gru-step-bf16-scalar.c (same equations and per-output order,
 * bit-identical). Weights widened exactly (16 bytes = 4 lanes of a gate for k
 * and k+1; SHL or AND, ../rnn/rnn-bf16-neon-inl.h); acc + h[k]*w
 * with one rounding (FMLA), k in order. Tiles and passes as in
 * gru-step-neon.c: a whole block (4 q x G gates) for one sequence, half a
 * block x G gates x up to 2 sequences otherwise (at most 12 accumulators).
 * Start and epilogue: gru-step-neon-inl.h (shared with the float32 kernel). */
#include "../rnn/rnn-bf16-neon-inl.h"
#include "gru-step-neon-inl.h"

#define MAXS 2

/* Units [u0, u0 + 4*nq), u0 a multiple of 8 (nq == 4 only at a block start). */
static inline __attribute__((always_inline)) void tile(const int mode, const size_t nq, const size_t nseq,
                                                       const arnn_rnn_step_args *a, size_t u0,
                                                       const float *const *xp, const float *const *h,
                                                       float *const *h_out, float *const *scratch) {
  const size_t H = a->H, Kp = (H + 1) / 2, j = u0 / 16, off = u0 % 16;
  const size_t G = arnn_gru_gates(mode);
  const uint16_t *w = (mode == PASS2 ? a->w_h16 : a->w16) + j * Kp * G * 32 + off * 2;
  float32x4_t acc[12]; /* [(s*nq + q)*G + g]: a dense prefix (see gru-step-neon-inl.h) */
  arnn_gru_neon_acc_init(mode, nq, nseq, a, acc, u0, xp);
  for (size_t p = 0; p < H / 2; p++) {
    float32x4_t h0[MAXS], h1[MAXS];
    for (size_t s = 0; s < nseq; s++) {
      const float *hs = mode == PASS2 ? scratch[s] : h[s];
      h0[s] = vld1q_dup_f32(hs + 2 * p);
      h1[s] = vld1q_dup_f32(hs + 2 * p + 1);
    }
    for (size_t g = 0; g < G; g++)
      for (size_t q = 0; q < nq; q++) {
        float32x4_t w0, w1;
        arnn_neon_widen_bf16_pairs(w + (p * G + g) * 32 + q * 8, &w0, &w1);
        for (size_t s = 0; s < nseq; s++) acc[(s * nq + q) * G + g] = vfmaq_f32(acc[(s * nq + q) * G + g], h0[s], w0);
        for (size_t s = 0; s < nseq; s++) acc[(s * nq + q) * G + g] = vfmaq_f32(acc[(s * nq + q) * G + g], h1[s], w1);
      }
  }
  if (H % 2) { /* the last k alone: its pair partner is zero padding, never used */
    const size_t p = H / 2;
    for (size_t g = 0; g < G; g++)
      for (size_t q = 0; q < nq; q++) {
        const float32x4_t w0 = arnn_neon_widen_bf16_first(w + (p * G + g) * 32 + q * 8);
        for (size_t s = 0; s < nseq; s++)
          acc[(s * nq + q) * G + g] =
              vfmaq_f32(acc[(s * nq + q) * G + g], vld1q_dup_f32((mode == PASS2 ? scratch[s] : h[s]) + 2 * p), w0);
      }
  }
  float zs[MAXS][4][3][4];
  arnn_gru_neon_epilogue(mode, nq, nseq, a, acc, zs, u0, xp, h, h_out, scratch);
}

#define TILE_FNS(mode) ARNN_GRU_TILE_FN(mode, 4, 1) ARNN_GRU_TILE_FN(mode, 2, 1) ARNN_GRU_TILE_FN(mode, 2, 2)
TILE_FNS(FULL) TILE_FNS(PASS1) TILE_FNS(PASS2)

static const arnn_rnn_tile_fn tiles[3][MAXS + 2] = {
    {0, tile_FULL_2_1, tile_FULL_2_2, tile_FULL_4_1},
    {0, tile_PASS1_2_1, tile_PASS1_2_2, tile_PASS1_4_1},
    {0, tile_PASS2_2_1, tile_PASS2_2_2, tile_PASS2_4_1},
};

static void pass(int mode, const arnn_rnn_step_args *a, size_t nb, const float *const *xp, const float *const *h,
                 float *const *h_out, float *const *scratch) {
  arnn_rnn_half_blocks(a, nb, xp, h, h_out, scratch, tiles[mode][MAXS + 1], tiles[mode], MAXS);
}

void arnn_f32_gru_step_bf16__neon(const arnn_rnn_step_args *a, size_t nb, const float *const *xp,
                                  const float *const *h, float *const *h_out, float *const *scratch) {
  ARNN_KERNEL_ASSERT(arnn_rnn_step_args_ok(a, nb, xp, h, NULL, (const float *const *)h_out, (const float *const *)scratch, 0));
  arnn_gru_step_passes(pass, a, nb, xp, h, h_out, scratch);
}
