/* Fused LSTM step with bf16 recurrent weights, AArch64 NEON; scalar twin
 * lstm-step-bf16-scalar.c (same equations, same per-output order,
 * bit-identical). Weights widened as in lstm-step-bf16-avx512.c: 16 bytes
 * hold 4 lanes of a gate for k and k+1; w[k] = lane << 16 (SHL), w[k+1] =
 * lane with the low half cleared (AND): exact. acc + h[k]*w with one rounding
 * (FMLA), k in order. Register tiles as in lstm-step-neon.c: one 16-unit
 * block = 4 q x 4 gates = 16 accumulators for one sequence; half a block x 4
 * gates x up to 2 sequences otherwise. */
#include "../rnn/rnn-act-neon-inl.h"
#include "lstm.h"

#define MAXS 2

/* Units [u0, u0 + 4*nq), u0 a multiple of 8 (nq == 4 only at a block start). */
static inline __attribute__((always_inline)) void tile(const size_t nq, const size_t nseq, const arnn_rnn_step_args *a,
                                                       size_t u0, const float *const *xp, const float *const *h,
                                                       float *const *c, float *const *h_out) {
  const size_t H = a->H, Kp = (H + 1) / 2, j = u0 / 16, off = u0 % 16;
  const uint16_t *w = a->w16 + j * Kp * 128 + off * 2;
  const uint32x4_t high = vdupq_n_u32(0xFFFF0000u);
  float32x4_t acc[16]; /* [(s*nq + q)*4 + g]: a dense prefix (see lstm-step-neon.c) */
  for (size_t s = 0; s < nseq; s++)
    for (size_t q = 0; q < nq; q++)
      for (size_t g = 0; g < 4; g++) acc[(s * nq + q) * 4 + g] = vld1q_f32(xp[s] + (j * 4 + g) * 16 + off + q * 4);
  for (size_t p = 0; p < H / 2; p++) {
    float32x4_t h0[MAXS], h1[MAXS];
    for (size_t s = 0; s < nseq; s++) {
      h0[s] = vld1q_dup_f32(h[s] + 2 * p);
      h1[s] = vld1q_dup_f32(h[s] + 2 * p + 1);
    }
    for (size_t g = 0; g < 4; g++)
      for (size_t q = 0; q < nq; q++) {
        const uint32x4_t pair = vreinterpretq_u32_u16(vld1q_u16(w + (p * 4 + g) * 32 + q * 8));
        const float32x4_t w0 = vreinterpretq_f32_u32(vshlq_n_u32(pair, 16));
        const float32x4_t w1 = vreinterpretq_f32_u32(vandq_u32(pair, high));
        for (size_t s = 0; s < nseq; s++) acc[(s * nq + q) * 4 + g] = vfmaq_f32(acc[(s * nq + q) * 4 + g], h0[s], w0);
        for (size_t s = 0; s < nseq; s++) acc[(s * nq + q) * 4 + g] = vfmaq_f32(acc[(s * nq + q) * 4 + g], h1[s], w1);
      }
  }
  if (H % 2) { /* the last k alone: its pair partner is zero padding, never used */
    const size_t p = H / 2;
    for (size_t g = 0; g < 4; g++)
      for (size_t q = 0; q < nq; q++) {
        const uint32x4_t pair = vreinterpretq_u32_u16(vld1q_u16(w + (p * 4 + g) * 32 + q * 8));
        const float32x4_t w0 = vreinterpretq_f32_u32(vshlq_n_u32(pair, 16));
        for (size_t s = 0; s < nseq; s++)
          acc[(s * nq + q) * 4 + g] = vfmaq_f32(acc[(s * nq + q) * 4 + g], vld1q_dup_f32(h[s] + 2 * p), w0);
      }
  }
  /* the epilogue reads the sums from memory, as in lstm-step-neon.c */
  float z[MAXS][4][4][4];
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

#define TILE_FN(nq, nseq)                                                                                      \
  static void tile_##nq##_##nseq(const arnn_rnn_step_args *a, size_t u0, const float *const *xp,              \
                                 const float *const *h, float *const *c, float *const *h_out) {               \
    tile(nq, nseq, a, u0, xp, h, c, h_out);                                                                    \
  }
TILE_FN(4, 1) TILE_FN(2, 1) TILE_FN(2, 2)

typedef void (*tile_fn)(const arnn_rnn_step_args *, size_t, const float *const *, const float *const *,
                        float *const *, float *const *);
static const tile_fn seq_tiles[MAXS + 1] = {0, tile_2_1, tile_2_2};

void arnn_f32_lstm_step_bf16__neon(const arnn_rnn_step_args *a, size_t nb, const float *const *xp,
                               const float *const *h, float *const *c, float *const *h_out) {
  ARNN_KERNEL_ASSERT(arnn_rnn_step_args_ok(a, nb, xp, h, (const float *const *)c, (const float *const *)h_out, NULL, 1));
  const size_t Hp = a->Hp;
  if (nb == 1) {
    for (size_t u = 0; u < Hp; u += 16) tile_4_1(a, u, xp, h, c, h_out);
    return;
  }
  for (size_t u = 0; u < Hp; u += 8)
    for (size_t s = 0; s < nb; s += MAXS) {
      const size_t ns = nb - s >= MAXS ? MAXS : nb - s;
      seq_tiles[ns](a, u, xp + s, h + s, c + s, h_out + s);
    }
}
