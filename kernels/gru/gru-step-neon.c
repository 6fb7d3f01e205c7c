/* Fused GRU step, AArch64 NEON; scalar twin gru-step-scalar.c (same equations
 * and per-output order, bit-identical). Gate order z, r, h (Keras).
 *  reset_after = 1: one pass, G = 3; the candidate's accumulator starts from
 *    the recurrent bias: hh = tanh(fma(r, a, xp_h)), h' = fma(z, h - hh, hh).
 *  reset_after = 0: pass 1 (G = 2, z and r; z parked in h_out, r*h in
 *    scratch), pass 2 (G = 1, R_h applied to r*h from xp_h).
 * Every accumulator takes acc + h[k]*w (one rounding) for k in order.
 * Tiles as in gru-step-avx2.c with 4-lane vectors: a whole 16-unit block
 * (4 q x G gates, at most 12 accumulators) for one sequence, half a block
 * (2 q) x G gates x up to 3 sequences (2 when G = 3: at most 12
 * accumulators) otherwise. Start and epilogue: gru-step-neon-inl.h (shared
 * with the bf16 kernel). */
#include "gru-step-neon-inl.h"

#define MAXS 3
/* At most 16 accumulators per tile: GCC 12 keeps a larger accumulator array
 * in memory and stores it back every k (measured: 37 instructions per 18
 * FMAs for the 3-sequence reset_after tile against 21 per 12 with 2), so the
 * reset_after pass (G = 3) groups 2 sequences, the others 3. */
#define MAXS_FULL 2

/* Units [u0, u0 + 4*nq), u0 a multiple of 8 (nq == 4 only at a block start). */
static inline __attribute__((always_inline)) void tile(const int mode, const size_t nq, const size_t nseq,
                                                       const arnn_rnn_step_args *a, size_t u0,
                                                       const float *const *xp, const float *const *h,
                                                       float *const *h_out, float *const *scratch) {
  const size_t H = a->H, j = u0 / 16, off = u0 % 16;
  const size_t G = arnn_gru_gates(mode);
  const float *w = (mode == PASS2 ? a->w_h : a->w) + j * H * G * 16 + off;
  float32x4_t acc[18]; /* [(s*nq + q)*G + g]: a dense prefix (see gru-step-neon-inl.h) */
  arnn_gru_neon_acc_init(mode, nq, nseq, a, acc, u0, xp);
  for (size_t k = 0; k < H; k++) {
    float32x4_t hk[MAXS];
    for (size_t s = 0; s < nseq; s++) hk[s] = vld1q_dup_f32((mode == PASS2 ? scratch[s] : h[s]) + k);
    for (size_t g = 0; g < G; g++)
      for (size_t q = 0; q < nq; q++) {
        const float32x4_t wv = vld1q_f32(w + (k * G + g) * 16 + q * 4);
        for (size_t s = 0; s < nseq; s++) acc[(s * nq + q) * G + g] = vfmaq_f32(acc[(s * nq + q) * G + g], hk[s], wv);
      }
  }
  float zs[MAXS][4][3][4];
  arnn_gru_neon_epilogue(mode, nq, nseq, a, acc, zs, u0, xp, h, h_out, scratch);
}

#define TILE_FNS(mode) ARNN_GRU_TILE_FN(mode, 4, 1) ARNN_GRU_TILE_FN(mode, 2, 1) ARNN_GRU_TILE_FN(mode, 2, 2)
TILE_FNS(FULL) TILE_FNS(PASS1) TILE_FNS(PASS2) ARNN_GRU_TILE_FN(PASS1, 2, 3) ARNN_GRU_TILE_FN(PASS2, 2, 3)

static const arnn_rnn_tile_fn tiles[3][MAXS + 2] = {
    {0, tile_FULL_2_1, tile_FULL_2_2, 0, tile_FULL_4_1},
    {0, tile_PASS1_2_1, tile_PASS1_2_2, tile_PASS1_2_3, tile_PASS1_4_1},
    {0, tile_PASS2_2_1, tile_PASS2_2_2, tile_PASS2_2_3, tile_PASS2_4_1},
};

static void pass(int mode, const arnn_rnn_step_args *a, size_t nb, const float *const *xp, const float *const *h,
                 float *const *h_out, float *const *scratch) {
  arnn_rnn_half_blocks(a, nb, xp, h, h_out, scratch, tiles[mode][MAXS + 1], tiles[mode],
                            mode == FULL ? MAXS_FULL : MAXS);
}

void arnn_f32_gru_step__neon(const arnn_rnn_step_args *a, size_t nb, const float *const *xp,
                             const float *const *h, float *const *h_out, float *const *scratch) {
  ARNN_KERNEL_ASSERT(arnn_rnn_step_args_ok(a, nb, xp, h, NULL, (const float *const *)h_out, (const float *const *)scratch, 0));
  arnn_gru_step_passes(pass, a, nb, xp, h, h_out, scratch);
}
