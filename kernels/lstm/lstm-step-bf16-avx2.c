/* Fused LSTM step with bf16 recurrent weights, AVX2+FMA; scalar twin
 * lstm-step-bf16-scalar.c (same equations, same per-output order,
 * bit-identical). Weights widened as in lstm-step-bf16-avx512.c: 32 bytes
 * hold 8 lanes of a gate for k and k+1; w[k] = lane << 16, w[k+1] = lane with
 * the low half cleared (exact). Register tiles (16 ymm):
 *  - one sequence: one 16-unit block = 2 ymm x 4 gates = 8 accumulators;
 *  - several sequences: half a block (8 units) x 4 gates x up to 2 sequences
 *    = 8 accumulators (2, not the float32 kernel's 3: the two broadcasts of
 *    h[k] and h[k+1] per sequence would not fit beside 12 accumulators).
 * Epilogue in registers as in the scalar twin; c and h stored once. */
#include "../rnn/rnn-act-avx2-inl.h"
#include "lstm.h"

#define MAXS 2

/* 32 bytes of bf16 pairs, held in a register for both widenings (see
 * load_line in ../lstm/lstm-step-bf16-avx512.c: GCC would otherwise fold the
 * load into the shift and into the AND). */
static inline __m256i load_line(const uint16_t *p) {
  __m256i v = _mm256_loadu_si256((const __m256i *)p);
  __asm__("" : "+x"(v));
  return v;
}

/* Units [u0, u0 + 8*nh), u0 a multiple of 8 (nh == 2 only at a block start). */
static inline __attribute__((always_inline)) void tile(const size_t nh, const size_t nseq, const arnn_rnn_step_args *a,
                                                       size_t u0, const float *const *xp, const float *const *h,
                                                       float *const *c, float *const *h_out) {
  const size_t H = a->H, Kp = (H + 1) / 2, j = u0 / 16, half = (u0 % 16) / 8;
  const uint16_t *w = a->w16 + j * Kp * 128 + half * 16;
  const __m256i high = _mm256_set1_epi32((int)0xFFFF0000u);
  __m256 acc[MAXS][2][4];
  for (size_t s = 0; s < nseq; s++)
    for (size_t q = 0; q < nh; q++)
      for (size_t g = 0; g < 4; g++) acc[s][q][g] = _mm256_loadu_ps(xp[s] + (j * 4 + g) * 16 + half * 8 + q * 8);
  for (size_t p = 0; p < H / 2; p++) {
    __m256 h0[MAXS], h1[MAXS];
    for (size_t s = 0; s < nseq; s++) {
      h0[s] = _mm256_broadcast_ss(h[s] + 2 * p);
      h1[s] = _mm256_broadcast_ss(h[s] + 2 * p + 1);
    }
    for (size_t g = 0; g < 4; g++)
      for (size_t q = 0; q < nh; q++) {
        const __m256i pair = load_line(w + (p * 4 + g) * 32 + q * 16);
        const __m256 w0 = _mm256_castsi256_ps(_mm256_slli_epi32(pair, 16));
        const __m256 w1 = _mm256_castsi256_ps(_mm256_and_si256(pair, high));
        for (size_t s = 0; s < nseq; s++) acc[s][q][g] = _mm256_fmadd_ps(h0[s], w0, acc[s][q][g]);
        for (size_t s = 0; s < nseq; s++) acc[s][q][g] = _mm256_fmadd_ps(h1[s], w1, acc[s][q][g]);
      }
  }
  if (H % 2) { /* the last k alone: its pair partner is zero padding, never used */
    const size_t p = H / 2;
    for (size_t g = 0; g < 4; g++)
      for (size_t q = 0; q < nh; q++) {
        const __m256i pair = load_line(w + (p * 4 + g) * 32 + q * 16);
        const __m256 w0 = _mm256_castsi256_ps(_mm256_slli_epi32(pair, 16));
        for (size_t s = 0; s < nseq; s++) acc[s][q][g] = _mm256_fmadd_ps(_mm256_broadcast_ss(h[s] + 2 * p), w0, acc[s][q][g]);
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
TILE_FN(2, 1) TILE_FN(1, 1) TILE_FN(1, 2)

typedef void (*tile_fn)(const arnn_rnn_step_args *, size_t, const float *const *, const float *const *,
                        float *const *, float *const *);
static const tile_fn seq_tiles[MAXS + 1] = {0, tile_1_1, tile_1_2};

void arnn_f32_lstm_step_bf16__avx2(const arnn_rnn_step_args *a, size_t nb, const float *const *xp,
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
