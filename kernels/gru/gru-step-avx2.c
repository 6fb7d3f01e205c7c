/* Fused GRU step, AVX2+FMA; scalar twin gru-step-scalar.c (same equations and
 * per-output order, bit-identical). Tiles as in lstm-step-avx2.c: a whole
 * 16-unit block (2 ymm x G gates) for one sequence, half a block x G gates x
 * up to 3 sequences otherwise. Passes as in gru-step-avx512.c. */
#include "../rnn/rnn-act-avx2-inl.h"
#include "gru.h"

#define MAXS 3

enum { FULL = 0, PASS1 = 1, PASS2 = 2 };

static inline __attribute__((always_inline)) void tile(const int mode, const size_t nh, const size_t nseq,
                                                       const arnn_rnn_step_args *a, size_t u0,
                                                       const float *const *xp, const float *const *h,
                                                       float *const *h_out, float *const *scratch) {
  const size_t H = a->H, j = u0 / 16, half = (u0 % 16) / 8;
  const size_t G = mode == FULL ? 3 : mode == PASS1 ? 2 : 1;
  const float *w = (mode == PASS2 ? a->w_h : a->w) + j * H * G * 16 + half * 8;
  __m256 acc[MAXS][2][3];
  for (size_t s = 0; s < nseq; s++)
    for (size_t q = 0; q < nh; q++) {
      const float *x = xp[s] + j * 48 + half * 8 + q * 8;
      if (mode == PASS2) {
        acc[s][q][0] = _mm256_loadu_ps(x + 32);
      } else {
        acc[s][q][0] = _mm256_loadu_ps(x);
        acc[s][q][1] = _mm256_loadu_ps(x + 16);
        if (mode == FULL) acc[s][q][2] = _mm256_loadu_ps(a->b_rec_h + u0 + q * 8);
      }
    }
  for (size_t k = 0; k < H; k++) {
    __m256 hk[MAXS];
    for (size_t s = 0; s < nseq; s++) hk[s] = _mm256_broadcast_ss((mode == PASS2 ? scratch[s] : h[s]) + k);
    for (size_t g = 0; g < G; g++)
      for (size_t q = 0; q < nh; q++) {
        const __m256 wv = _mm256_loadu_ps(w + (k * G + g) * 16 + q * 8);
        for (size_t s = 0; s < nseq; s++) acc[s][q][g] = _mm256_fmadd_ps(hk[s], wv, acc[s][q][g]);
      }
  }
  for (size_t s = 0; s < nseq; s++)
    for (size_t q = 0; q < nh; q++) {
      const size_t u = u0 + q * 8;
      const __m256 hv = _mm256_loadu_ps(h[s] + u);
      if (mode == FULL) {
        const __m256 z = arnn_avx2_ract(acc[s][q][0], a->ract);
        const __m256 r = arnn_avx2_ract(acc[s][q][1], a->ract);
        const __m256 xh = _mm256_loadu_ps(xp[s] + j * 48 + 32 + half * 8 + q * 8);
        const __m256 hh = arnn_avx2_tanh(_mm256_fmadd_ps(r, acc[s][q][2], xh));
        _mm256_storeu_ps(h_out[s] + u, _mm256_fmadd_ps(z, _mm256_sub_ps(hv, hh), hh));
      } else if (mode == PASS1) {
        _mm256_storeu_ps(h_out[s] + u, arnn_avx2_ract(acc[s][q][0], a->ract));
        _mm256_storeu_ps(scratch[s] + u, _mm256_mul_ps(arnn_avx2_ract(acc[s][q][1], a->ract), hv));
      } else {
        const __m256 hh = arnn_avx2_tanh(acc[s][q][0]);
        const __m256 z = _mm256_loadu_ps(h_out[s] + u);
        _mm256_storeu_ps(h_out[s] + u, _mm256_fmadd_ps(z, _mm256_sub_ps(hv, hh), hh));
      }
    }
}

#define TILE_FN(mode, nh, nseq)                                                                          \
  static void tile_##mode##_##nh##_##nseq(const arnn_rnn_step_args *a, size_t u0, const float *const *xp, \
                                          const float *const *h, float *const *h_out,                    \
                                          float *const *scratch) {                                       \
    tile(mode, nh, nseq, a, u0, xp, h, h_out, scratch);                                                  \
  }
#define TILE_FNS(mode) TILE_FN(mode, 2, 1) TILE_FN(mode, 1, 1) TILE_FN(mode, 1, 2) TILE_FN(mode, 1, 3)
TILE_FNS(FULL) TILE_FNS(PASS1) TILE_FNS(PASS2)

typedef void (*tile_fn)(const arnn_rnn_step_args *, size_t, const float *const *, const float *const *,
                        float *const *, float *const *);
static const tile_fn tiles[3][MAXS + 2] = {
    {0, tile_FULL_1_1, tile_FULL_1_2, tile_FULL_1_3, tile_FULL_2_1},
    {0, tile_PASS1_1_1, tile_PASS1_1_2, tile_PASS1_1_3, tile_PASS1_2_1},
    {0, tile_PASS2_1_1, tile_PASS2_1_2, tile_PASS2_1_3, tile_PASS2_2_1},
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

void arnn_f32_gru_step__avx2(const arnn_rnn_step_args *a, size_t nb, const float *const *xp,
                             const float *const *h, float *const *h_out, float *const *scratch) {
  ARNN_KERNEL_ASSERT(arnn_rnn_step_args_ok(a, nb, xp, h, NULL, (const float *const *)h_out, (const float *const *)scratch, 0));
  if (a->reset_after) {
    pass(FULL, a, nb, xp, h, h_out, scratch);
  } else {
    pass(PASS1, a, nb, xp, h, h_out, scratch);
    pass(PASS2, a, nb, xp, h, h_out, scratch);
  }
}
