/* Fused GRU step with bf16 recurrent weights, AArch64 NEON; scalar twin
 * gru-step-bf16-scalar.c (same equations and per-output order,
 * bit-identical). Weights widened as in ../lstm/lstm-step-bf16-neon.c (16
 * bytes = 4 lanes of a gate for k and k+1; SHL or AND, exact); acc + h[k]*w
 * with one rounding (FMLA), k in order. Tiles and passes as in
 * gru-step-neon.c: a whole block (4 q x G gates) for one sequence, half a
 * block x G gates x up to 2 sequences otherwise (at most 12 accumulators). */
#include "../rnn/rnn-act-neon-inl.h"
#include "gru.h"

#define MAXS 2

enum { FULL = 0, PASS1 = 1, PASS2 = 2 };

/* Units [u0, u0 + 4*nq), u0 a multiple of 8 (nq == 4 only at a block start). */
static inline __attribute__((always_inline)) void tile(const int mode, const size_t nq, const size_t nseq,
                                                       const arnn_rnn_step_args *a, size_t u0,
                                                       const float *const *xp, const float *const *h,
                                                       float *const *h_out, float *const *scratch) {
  const size_t H = a->H, Kp = (H + 1) / 2, j = u0 / 16, off = u0 % 16;
  const size_t G = mode == FULL ? 3 : mode == PASS1 ? 2 : 1;
  const uint16_t *w = (mode == PASS2 ? a->w_h16 : a->w16) + j * Kp * G * 32 + off * 2;
  const uint32x4_t high = vdupq_n_u32(0xFFFF0000u);
  float32x4_t acc[12]; /* [(s*nq + q)*G + g]: a dense prefix (see lstm-step-neon.c) */
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
  for (size_t p = 0; p < H / 2; p++) {
    float32x4_t h0[MAXS], h1[MAXS];
    for (size_t s = 0; s < nseq; s++) {
      const float *hs = mode == PASS2 ? scratch[s] : h[s];
      h0[s] = vld1q_dup_f32(hs + 2 * p);
      h1[s] = vld1q_dup_f32(hs + 2 * p + 1);
    }
    for (size_t g = 0; g < G; g++)
      for (size_t q = 0; q < nq; q++) {
        const uint32x4_t pair = vreinterpretq_u32_u16(vld1q_u16(w + (p * G + g) * 32 + q * 8));
        const float32x4_t w0 = vreinterpretq_f32_u32(vshlq_n_u32(pair, 16));
        const float32x4_t w1 = vreinterpretq_f32_u32(vandq_u32(pair, high));
        for (size_t s = 0; s < nseq; s++) acc[(s * nq + q) * G + g] = vfmaq_f32(acc[(s * nq + q) * G + g], h0[s], w0);
        for (size_t s = 0; s < nseq; s++) acc[(s * nq + q) * G + g] = vfmaq_f32(acc[(s * nq + q) * G + g], h1[s], w1);
      }
  }
  if (H % 2) { /* the last k alone: its pair partner is zero padding, never used */
    const size_t p = H / 2;
    for (size_t g = 0; g < G; g++)
      for (size_t q = 0; q < nq; q++) {
        const uint32x4_t pair = vreinterpretq_u32_u16(vld1q_u16(w + (p * G + g) * 32 + q * 8));
        const float32x4_t w0 = vreinterpretq_f32_u32(vshlq_n_u32(pair, 16));
        for (size_t s = 0; s < nseq; s++)
          acc[(s * nq + q) * G + g] =
              vfmaq_f32(acc[(s * nq + q) * G + g], vld1q_dup_f32((mode == PASS2 ? scratch[s] : h[s]) + 2 * p), w0);
      }
  }
  /* the epilogue reads the sums from memory, as in gru-step-neon.c */
  float zs[MAXS][4][3][4];
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

#define TILE_FN(mode, nq, nseq)                                                                          \
  static void tile_##mode##_##nq##_##nseq(const arnn_rnn_step_args *a, size_t u0, const float *const *xp, \
                                          const float *const *h, float *const *h_out,                    \
                                          float *const *scratch) {                                       \
    tile(mode, nq, nseq, a, u0, xp, h, h_out, scratch);                                                  \
  }
#define TILE_FNS(mode) TILE_FN(mode, 4, 1) TILE_FN(mode, 2, 1) TILE_FN(mode, 2, 2)
TILE_FNS(FULL) TILE_FNS(PASS1) TILE_FNS(PASS2)

typedef void (*tile_fn)(const arnn_rnn_step_args *, size_t, const float *const *, const float *const *,
                        float *const *, float *const *);
static const tile_fn tiles[3][MAXS + 2] = {
    {0, tile_FULL_2_1, tile_FULL_2_2, tile_FULL_4_1},
    {0, tile_PASS1_2_1, tile_PASS1_2_2, tile_PASS1_4_1},
    {0, tile_PASS2_2_1, tile_PASS2_2_2, tile_PASS2_4_1},
};

static void pass(int mode, const arnn_rnn_step_args *a, size_t nb, const float *const *xp, const float *const *h,
                 float *const *h_out, float *const *scratch) {
  const size_t Hp = a->Hp;
  if (nb == 1) {
    for (size_t u = 0; u < Hp; u += 16) tiles[mode][MAXS + 1](a, u, xp, h, h_out, scratch);
    return;
  }
  /* half-block outside, sequence groups inside: its weights stay in L1 */
  for (size_t u = 0; u < Hp; u += 8)
    for (size_t s = 0; s < nb; s += MAXS) {
      const size_t ns = nb - s >= MAXS ? MAXS : nb - s;
      tiles[mode][ns](a, u, xp + s, h + s, h_out + s, scratch ? scratch + s : NULL);
    }
}

void arnn_f32_gru_step_bf16__neon(const arnn_rnn_step_args *a, size_t nb, const float *const *xp,
                              const float *const *h, float *const *h_out, float *const *scratch) {
  ARNN_KERNEL_ASSERT(arnn_rnn_step_args_ok(a, nb, xp, h, NULL, (const float *const *)h_out, (const float *const *)scratch, 0));
  if (a->reset_after) {
    pass(FULL, a, nb, xp, h, h_out, scratch);
  } else {
    pass(PASS1, a, nb, xp, h, h_out, scratch);
    pass(PASS2, a, nb, xp, h, h_out, scratch);
  }
}
