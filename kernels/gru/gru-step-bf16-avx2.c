/* Fused GRU step with bf16 recurrent weights, AVX2+FMA; scalar twin
 * gru-step-bf16-scalar.c (same equations and per-output order,
 * bit-identical). Weights widened as in ../lstm/lstm-step-bf16-avx2.c (32
 * bytes = 8 lanes of a gate for k and k+1; a shift or an AND, exact); tiles
 * as in gru-step-avx2.c with up to 2 sequences per tile (the broadcasts of
 * h[k] and h[k+1] take the registers of the third); passes as in
 * gru-step-bf16-avx512.c. */
#include "../rnn/rnn-act-avx2-inl.h"
#include "gru.h"

#define MAXS 2

/* 32 bytes of bf16 pairs, held in a register for both widenings (see
 * load_line in ../lstm/lstm-step-bf16-avx512.c: GCC would otherwise fold the
 * load into the shift and into the AND). */
static inline __m256i load_line(const uint16_t *p) {
  __m256i v = _mm256_loadu_si256((const __m256i *)p);
  __asm__("" : "+x"(v));
  return v;
}

enum { FULL = 0, PASS1 = 1, PASS2 = 2 };

static inline __attribute__((always_inline)) void tile(const int mode, const size_t nh, const size_t nseq,
                                                       const arnn_rnn_step_args *a, size_t u0,
                                                       const float *const *xp, const float *const *h,
                                                       float *const *h_out, float *const *scratch) {
  const size_t H = a->H, Kp = (H + 1) / 2, j = u0 / 16, half = (u0 % 16) / 8;
  const size_t G = mode == FULL ? 3 : mode == PASS1 ? 2 : 1;
  const uint16_t *w = (mode == PASS2 ? a->w_h16 : a->w16) + j * Kp * G * 32 + half * 16;
  const __m256i high = _mm256_set1_epi32((int)0xFFFF0000u);
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
  for (size_t p = 0; p < H / 2; p++) {
    __m256 h0[MAXS], h1[MAXS];
    for (size_t s = 0; s < nseq; s++) {
      const float *hs = mode == PASS2 ? scratch[s] : h[s];
      h0[s] = _mm256_broadcast_ss(hs + 2 * p);
      h1[s] = _mm256_broadcast_ss(hs + 2 * p + 1);
    }
    for (size_t g = 0; g < G; g++)
      for (size_t q = 0; q < nh; q++) {
        const __m256i pair = load_line(w + (p * G + g) * 32 + q * 16);
        const __m256 w0 = _mm256_castsi256_ps(_mm256_slli_epi32(pair, 16));
        const __m256 w1 = _mm256_castsi256_ps(_mm256_and_si256(pair, high));
        for (size_t s = 0; s < nseq; s++) acc[s][q][g] = _mm256_fmadd_ps(h0[s], w0, acc[s][q][g]);
        for (size_t s = 0; s < nseq; s++) acc[s][q][g] = _mm256_fmadd_ps(h1[s], w1, acc[s][q][g]);
      }
  }
  if (H % 2) { /* the last k alone: its pair partner is zero padding, never used */
    const size_t p = H / 2;
    for (size_t g = 0; g < G; g++)
      for (size_t q = 0; q < nh; q++) {
        const __m256i pair = load_line(w + (p * G + g) * 32 + q * 16);
        const __m256 w0 = _mm256_castsi256_ps(_mm256_slli_epi32(pair, 16));
        for (size_t s = 0; s < nseq; s++)
          acc[s][q][g] = _mm256_fmadd_ps(_mm256_broadcast_ss((mode == PASS2 ? scratch[s] : h[s]) + 2 * p), w0,
                                         acc[s][q][g]);
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
#define TILE_FNS(mode) TILE_FN(mode, 2, 1) TILE_FN(mode, 1, 1) TILE_FN(mode, 1, 2)
TILE_FNS(FULL) TILE_FNS(PASS1) TILE_FNS(PASS2)

typedef void (*tile_fn)(const arnn_rnn_step_args *, size_t, const float *const *, const float *const *,
                        float *const *, float *const *);
static const tile_fn tiles[3][MAXS + 2] = {
    {0, tile_FULL_1_1, tile_FULL_1_2, tile_FULL_2_1},
    {0, tile_PASS1_1_1, tile_PASS1_1_2, tile_PASS1_2_1},
    {0, tile_PASS2_1_1, tile_PASS2_1_2, tile_PASS2_2_1},
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

void arnn_f32_gru_step_bf16__avx2(const arnn_rnn_step_args *a, size_t nb, const float *const *xp,
                              const float *const *h, float *const *h_out, float *const *scratch) {
  ARNN_KERNEL_ASSERT(arnn_rnn_step_args_ok(a, nb, xp, h, NULL, (const float *const *)h_out, (const float *const *)scratch, 0));
  if (a->reset_after) {
    pass(FULL, a, nb, xp, h, h_out, scratch);
  } else {
    pass(PASS1, a, nb, xp, h, h_out, scratch);
    pass(PASS2, a, nb, xp, h, h_out, scratch);
  }
}
