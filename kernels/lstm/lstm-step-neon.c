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
 * Epilogue with the shared activations on a stack copy of the sums (see
 * below); c and h stored once. */
#include "../rnn/rnn-act-neon-inl.h"
#include "lstm.h"

/* 2, not 3 as in lstm-step-avx2.c: GCC 12 keeps an accumulator array of
 * more than 16 vectors in memory and stores it back every k, and 24
 * accumulators + 8 weights + 3 broadcasts would not fit the 32 registers
 * anyway (measured in the disassembly: 41-61 instructions per 24 FMAs with
 * 3 sequences against 26 per 16 with 2). acc is one flat array indexed
 * (s*nq + q)*4 + g, so the 16 accumulators of either tile are a dense
 * prefix, which GCC does keep in registers. */
#define MAXS 2

/* Units [u0, u0 + 4*nq), u0 a multiple of 8 (nq == 4 only at a block start). */
static inline __attribute__((always_inline)) void tile(const size_t nq, const size_t nseq, const arnn_rnn_step_args *a,
                                                       size_t u0, const float *const *xp, const float *const *h,
                                                       float *const *c, float *const *h_out) {
  const size_t H = a->H, j = u0 / 16, off = u0 % 16;
  const float *w = a->w + j * H * 64 + off;
  float32x4_t acc[16]; /* [(s*nq + q)*4 + g], see MAXS */
  for (size_t s = 0; s < nseq; s++)
    for (size_t q = 0; q < nq; q++)
      for (size_t g = 0; g < 4; g++) acc[(s * nq + q) * 4 + g] = vld1q_f32(xp[s] + (j * 4 + g) * 16 + off + q * 4);
  for (size_t k = 0; k < H; k++) {
    float32x4_t hk[MAXS];
    for (size_t s = 0; s < nseq; s++) hk[s] = vld1q_dup_f32(h[s] + k);
    for (size_t g = 0; g < 4; g++)
      for (size_t q = 0; q < nq; q++) {
        const float32x4_t wv = vld1q_f32(w + k * 64 + g * 16 + q * 4);
        for (size_t s = 0; s < nseq; s++) acc[(s * nq + q) * 4 + g] = vfmaq_f32(acc[(s * nq + q) * 4 + g], hk[s], wv);
      }
  }
  /* The epilogue reads the sums from memory: were acc indexed in a loop
   * GCC does not unroll, it would keep all of acc in memory, storing it back
   * every k (measured: 16 extra stores per k in the one-block tile). */
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

void arnn_f32_lstm_step__neon(const arnn_rnn_step_args *a, size_t nb, const float *const *xp,
                              const float *const *h, float *const *c, float *const *h_out) {
  ARNN_KERNEL_ASSERT(arnn_rnn_step_args_ok(a, nb, xp, h, (const float *const *)c, (const float *const *)h_out, NULL, 1));
  const size_t Hp = a->Hp;
  if (nb == 1) {
    for (size_t u = 0; u < Hp; u += 16) tile_4_1(a, u, xp, h, c, h_out);
    return;
  }
  /* half-block outside, sequence groups inside: its weights stay in L1 */
  for (size_t u = 0; u < Hp; u += 8)
    for (size_t s = 0; s < nb; s += MAXS) {
      const size_t ns = nb - s >= MAXS ? MAXS : nb - s;
      seq_tiles[ns](a, u, xp + s, h + s, c + s, h_out + s);
    }
}
