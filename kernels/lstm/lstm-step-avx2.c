/* Fused LSTM step, AVX2+FMA; scalar twin lstm-step-scalar.c (same equations,
 * same per-output order, bit-identical). Register tiles (16 ymm):
 *  - one sequence: one 16-unit block = 2 ymm x 4 gates = 8 accumulators;
 *  - several sequences: half a block (8 units) x 4 gates x up to 3 sequences
 *    = 12 accumulators, each weight vector loaded once per k for the tile.
 * Epilogue in registers as in the scalar twin; c and h stored once. */
#include "../rnn/rnn-act-avx2-inl.h"
#include "lstm.h"

#define MAXS 3

/* Units [u0, u0 + 8*nh), u0 a multiple of 8 (nh == 2 only at a block start). */
static inline __attribute__((always_inline)) void tile(const size_t nh, const size_t nseq, const arnn_rnn_step_args *a,
                                                       size_t u0, const float *const *xp, const float *const *h,
                                                       float *const *c, float *const *h_out) {
  const size_t H = a->H, j = u0 / 16, half = (u0 % 16) / 8;
  const float *w = a->w + j * H * 64 + half * 8;
  __m256 acc[MAXS][2][4];
  for (size_t s = 0; s < nseq; s++)
    for (size_t q = 0; q < nh; q++)
      for (size_t g = 0; g < 4; g++) acc[s][q][g] = _mm256_loadu_ps(xp[s] + (j * 4 + g) * 16 + half * 8 + q * 8);
  for (size_t k = 0; k < H; k++) {
    __m256 hk[MAXS];
    for (size_t s = 0; s < nseq; s++) hk[s] = _mm256_broadcast_ss(h[s] + k);
    for (size_t g = 0; g < 4; g++)
      for (size_t q = 0; q < nh; q++) {
        const __m256 wv = _mm256_loadu_ps(w + k * 64 + g * 16 + q * 8);
        for (size_t s = 0; s < nseq; s++) acc[s][q][g] = _mm256_fmadd_ps(hk[s], wv, acc[s][q][g]);
      }
  }
  for (size_t s = 0; s < nseq; s++)
    for (size_t q = 0; q < nh; q++) {
      const size_t u = u0 + q * 8;
      const __m256 i = arnn_avx2_ract(acc[s][q][0], a->ract);
      const __m256 f = arnn_avx2_ract(acc[s][q][1], a->ract);
      const __m256 g = arnn_avx2_tanh(acc[s][q][2]);
      const __m256 o = arnn_avx2_ract(acc[s][q][3], a->ract);
      const __m256 cn = _mm256_fmadd_ps(f, _mm256_loadu_ps(c[s] + u), _mm256_mul_ps(i, g));
      _mm256_storeu_ps(c[s] + u, cn);
      _mm256_storeu_ps(h_out[s] + u, _mm256_mul_ps(o, arnn_avx2_tanh(cn)));
    }
}

#define TILE_FN(nh, nseq)                                                                                      \
  static void tile_##nh##_##nseq(const arnn_rnn_step_args *a, size_t u0, const float *const *xp,              \
                                 const float *const *h, float *const *c, float *const *h_out) {               \
    tile(nh, nseq, a, u0, xp, h, c, h_out);                                                                    \
  }
TILE_FN(2, 1) TILE_FN(1, 1) TILE_FN(1, 2) TILE_FN(1, 3)

typedef void (*tile_fn)(const arnn_rnn_step_args *, size_t, const float *const *, const float *const *,
                        float *const *, float *const *);
static const tile_fn seq_tiles[MAXS + 1] = {0, tile_1_1, tile_1_2, tile_1_3};

void arnn_f32_lstm_step__avx2(const arnn_rnn_step_args *a, size_t nb, const float *const *xp,
                              const float *const *h, float *const *c, float *const *h_out) {
  ARNN_KERNEL_ASSERT(arnn_rnn_step_args_ok(a, nb, xp, h, (const float *const *)c, (const float *const *)h_out, NULL, 1));
  const size_t Hp = a->Hp;
  if (nb == 1) {
    for (size_t u = 0; u < Hp; u += 16) tile_2_1(a, u, xp, h, c, h_out);
    return;
  }
  /* half-block outside, sequence groups inside: its weights stay in L1 */
  for (size_t u = 0; u < Hp; u += 8)
    for (size_t s = 0; s < nb; s += MAXS) {
      const size_t ns = nb - s >= MAXS ? MAXS : nb - s;
      seq_tiles[ns](a, u, xp + s, h + s, c + s, h_out + s);
    }
}
