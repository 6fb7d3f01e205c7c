/* Fused GRU step with bf16 recurrent weights, AVX-512; scalar twin
 * gru-step-bf16-scalar.c (same equations and per-output order,
 * bit-identical). Weights widened as in ../lstm/lstm-step-bf16-avx512.c (one
 * 64-byte line = a gate's 16 lanes for k and k+1; one shift or one AND per 16
 * weights, exact); passes as in gru-step-avx512.c. Tiles: for one sequence
 * four 16-unit blocks x G gates (12 accumulators with G = 3; with two blocks'
 * 6, each taking two dependent FMAs per pair of rows, the step waited on the
 * FMA latency: H = 128, reset_after, thread CPU time 0.97-1.04 -> 0.71 us per
 * step), then 2 and 1 for the rest; one block x G gates x up to 4 sequences
 * otherwise. reset_after = 1: one pass, G = 3, the candidate's accumulator
 * starts from the recurrent bias. reset_after = 0: pass 1 (G = 2, z and r; z
 * parked in h_out, r*h in scratch), pass 2 (G = 1, R_h applied to r*h). */
#include "../rnn/rnn-act-avx512-inl.h"
#include "gru.h"
#include "../rnn/rnn-step-prefetch-inl.h"

#define MAXB 4
#define MAXS 4

/* One 64-byte line of bf16 pairs, held in a register: both widenings read it
 * from there. (Left to itself GCC folds the load into the shift and into the
 * AND: two loads per line, which measured 1.38 against 1.13 us per H = 128
 * step here; the empty asm only marks the value as produced in a register.) */
static inline __m512i load_line(const uint16_t *p) {
  __m512i v = _mm512_loadu_si512((const void *)p);
  __asm__("" : "+v"(v));
  return v;
}

enum { FULL = 0, PASS1 = 1, PASS2 = 2 };

static inline __attribute__((always_inline)) void tile(const int mode, const size_t nblk, const size_t nseq,
                                                       const arnn_rnn_step_args *a, size_t j0,
                                                       const float *const *xp, const float *const *h,
                                                       float *const *h_out, float *const *scratch) {
  const size_t H = a->H, Kp = (H + 1) / 2;
  const size_t G = mode == FULL ? 3 : mode == PASS1 ? 2 : 1;
  const uint16_t *w = (mode == PASS2 ? a->w_h16 : a->w16) + j0 * Kp * G * 32;
  const __m512i high = _mm512_set1_epi32((int)0xFFFF0000u);
  __m512 acc[MAXS][MAXB][3];
  for (size_t s = 0; s < nseq; s++)
    for (size_t b = 0; b < nblk; b++) {
      const float *x = xp[s] + (j0 + b) * 48;
      if (mode == PASS2) {
        acc[s][b][0] = _mm512_loadu_ps(x + 32);
      } else {
        acc[s][b][0] = _mm512_loadu_ps(x);
        acc[s][b][1] = _mm512_loadu_ps(x + 16);
        if (mode == FULL) acc[s][b][2] = _mm512_loadu_ps(a->b_rec_h + (j0 + b) * 16);
      }
    }
  for (size_t p = 0; p < H / 2; p++) {
    __m512 h0[MAXS], h1[MAXS];
    for (size_t s = 0; s < nseq; s++) {
      const float *hs = mode == PASS2 ? scratch[s] : h[s];
      h0[s] = _mm512_set1_ps(hs[2 * p]);
      h1[s] = _mm512_set1_ps(hs[2 * p + 1]);
    }
    for (size_t b = 0; b < nblk; b++)
      for (size_t g = 0; g < G; g++) {
        const __m512i pair = load_line(w + ((b * Kp + p) * G + g) * 32);
        const __m512 w0 = _mm512_castsi512_ps(_mm512_slli_epi32(pair, 16));
        const __m512 w1 = _mm512_castsi512_ps(_mm512_and_si512(pair, high));
        for (size_t s = 0; s < nseq; s++) acc[s][b][g] = _mm512_fmadd_ps(h0[s], w0, acc[s][b][g]);
        for (size_t s = 0; s < nseq; s++) acc[s][b][g] = _mm512_fmadd_ps(h1[s], w1, acc[s][b][g]);
      }
  }
  if (H % 2) { /* the last k alone: its pair partner is zero padding, never used */
    const size_t p = H / 2;
    for (size_t b = 0; b < nblk; b++)
      for (size_t g = 0; g < G; g++) {
        const __m512i pair = load_line(w + ((b * Kp + p) * G + g) * 32);
        const __m512 w0 = _mm512_castsi512_ps(_mm512_slli_epi32(pair, 16));
        for (size_t s = 0; s < nseq; s++)
          acc[s][b][g] = _mm512_fmadd_ps(_mm512_set1_ps((mode == PASS2 ? scratch[s] : h[s])[2 * p]), w0, acc[s][b][g]);
      }
  }
  /* epilogue phase by phase over the whole tile, as in gru-step-avx512.c */
  __m512 v0[MAXS][MAXB], v1[MAXS][MAXB];
  for (size_t s = 0; s < nseq; s++)
    for (size_t b = 0; b < nblk; b++) {
      if (mode == PASS2) {
        v0[s][b] = arnn_avx512_tanh(acc[s][b][0]); /* hh */
      } else {
        v0[s][b] = arnn_avx512_ract(acc[s][b][0], a->ract); /* z */
        v1[s][b] = arnn_avx512_ract(acc[s][b][1], a->ract); /* r */
      }
    }
  if (mode == FULL)
    for (size_t s = 0; s < nseq; s++)
      for (size_t b = 0; b < nblk; b++)
        v1[s][b] = arnn_avx512_tanh(_mm512_fmadd_ps(v1[s][b], acc[s][b][2], _mm512_loadu_ps(xp[s] + (j0 + b) * 48 + 32)));
  for (size_t s = 0; s < nseq; s++)
    for (size_t b = 0; b < nblk; b++) {
      const size_t u = (j0 + b) * 16;
      const __m512 hv = _mm512_loadu_ps(h[s] + u);
      if (mode == FULL) {
        _mm512_storeu_ps(h_out[s] + u, _mm512_fmadd_ps(v0[s][b], _mm512_sub_ps(hv, v1[s][b]), v1[s][b]));
      } else if (mode == PASS1) {
        _mm512_storeu_ps(h_out[s] + u, v0[s][b]);
        _mm512_storeu_ps(scratch[s] + u, _mm512_mul_ps(v1[s][b], hv));
      } else {
        const __m512 z = _mm512_loadu_ps(h_out[s] + u);
        _mm512_storeu_ps(h_out[s] + u, _mm512_fmadd_ps(z, _mm512_sub_ps(hv, v0[s][b]), v0[s][b]));
      }
    }
}

#define TILE_FN(mode, nblk, nseq)                                                                          \
  static void tile_##mode##_##nblk##_##nseq(const arnn_rnn_step_args *a, size_t j0, const float *const *xp, \
                                            const float *const *h, float *const *h_out,                    \
                                            float *const *scratch) {                                       \
    tile(mode, nblk, nseq, a, j0, xp, h, h_out, scratch);                                                  \
  }
#define TILE_FNS(mode) TILE_FN(mode, 4, 1) TILE_FN(mode, 2, 1) TILE_FN(mode, 1, 1) TILE_FN(mode, 1, 2) TILE_FN(mode, 1, 3) TILE_FN(mode, 1, 4)
TILE_FNS(FULL) TILE_FNS(PASS1) TILE_FNS(PASS2)

typedef void (*tile_fn)(const arnn_rnn_step_args *, size_t, const float *const *, const float *const *,
                        float *const *, float *const *);
static const tile_fn tiles[3][MAXS + 3] = {
    {0, tile_FULL_1_1, tile_FULL_1_2, tile_FULL_1_3, tile_FULL_1_4, tile_FULL_2_1, tile_FULL_4_1},
    {0, tile_PASS1_1_1, tile_PASS1_1_2, tile_PASS1_1_3, tile_PASS1_1_4, tile_PASS1_2_1, tile_PASS1_4_1},
    {0, tile_PASS2_1_1, tile_PASS2_1_2, tile_PASS2_1_3, tile_PASS2_1_4, tile_PASS2_2_1, tile_PASS2_4_1},
};

/* One pass over all blocks for the sequences [0, nb). */
static void pass(int mode, const arnn_rnn_step_args *a, size_t nb, const float *const *xp, const float *const *h,
                 float *const *h_out, float *const *scratch) {
  const size_t blocks = a->Hp / 16;
  if (nb == 1) {
    size_t j = 0;
    for (; j + 4 <= blocks; j += 4) tiles[mode][MAXS + 2](a, j, xp, h, h_out, scratch);
    for (; j + 2 <= blocks; j += 2) tiles[mode][MAXS + 1](a, j, xp, h, h_out, scratch);
    if (j < blocks) tiles[mode][1](a, j, xp, h, h_out, scratch);
    return;
  }
  /* block outside, sequence groups inside: the block's weights stay in L1;
   * the next tile's xp lines are requested before each tile */
  const size_t xp_first = mode == PASS2 ? 32 : 0, xp_lines = mode == FULL ? 3 : mode == PASS1 ? 2 : 1;
  for (size_t j = 0; j < blocks; j++)
    for (size_t s = 0; s < nb; s += MAXS) {
      const size_t ns = nb - s >= MAXS ? MAXS : nb - s;
      arnn_rnn_prefetch_next_tile(xp, nb, blocks, j, s, MAXS, 48, xp_first, xp_lines);
      tiles[mode][ns](a, j, xp + s, h + s, h_out + s, scratch ? scratch + s : NULL);
    }
}

void arnn_f32_gru_step_bf16__avx512(const arnn_rnn_step_args *a, size_t nb, const float *const *xp,
                                const float *const *h, float *const *h_out, float *const *scratch) {
  ARNN_KERNEL_ASSERT(arnn_rnn_step_args_ok(a, nb, xp, h, NULL, (const float *const *)h_out, (const float *const *)scratch, 0));
  if (a->reset_after) {
    pass(FULL, a, nb, xp, h, h_out, scratch);
  } else {
    pass(PASS1, a, nb, xp, h, h_out, scratch);
    pass(PASS2, a, nb, xp, h, h_out, scratch);
  }
}
