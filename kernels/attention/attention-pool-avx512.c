/* Fused attention pooling, AVX-512; scalar twin attention-pool-scalar.c (same
 * operations in the same order: bit-identical results).
 *
 * Two paths. F = 64, 128, 192, 256 (2H for the usual H) take the register
 * path, pool_two_behind() and pool_one_behind() below: w and c stay in
 * registers and the context update runs interleaved with the score pass.
 * Every other F takes pool_blocks():
 *
 * The sequence is walked once, in blocks of R timesteps (R = 16 when two
 * blocks, 2 R F floats, fit in L1 with room to spare, else 8):
 *   1. Scores: the rows of the block two at a time, each row with the 64
 *      partial sums of arnn_scalar_dot64 in 4 zmm, so 8 independent FMA
 *      chains are in flight while only two rows of x stream in. (Measured on
 *      the development machine: streaming 2 rows at a time from L2 runs at
 *      ~1.5x the speed of 8 or 16 interleaved rows; with 16 partial sums per
 *      row, 2 rows would leave the FMA units waiting on latency.) The F % 64
 *      tail uses masked loads and masked FMAs (masked lanes keep their value,
 *      as the twin skips them). Each row's 64 sums are folded to 16 (+32,
 *      +16) and the canonical 16-lane trees run 8 rows at a time
 *      (arnn_avx512_tree16_x8), leaving the block's scores in one vector.
 *   2. + b_t, tanh, exp on that vector (shared vmath functions), masked steps
 *      set to 0; the 16 lane sums S_{t mod 16} += a_t (one vector add).
 *   3. c_f = fma(a_t, x_t[f], c_f) for the kept rows, increasing t, 8 chunks
 *      of 16 features side by side (8 independent chains). This update is
 *      issued one block late (after the next block's scores), while the rows
 *      are still in L1: the tanh/exp dependency chain of one block overlaps
 *      with the previous block's update. Blocks are applied in increasing t,
 *      so the order per feature is the twin's.
 * A block whose steps are all masked (padding) is skipped entirely. Rows past
 * T in the last block reuse row T-1 for the dot products; their scores are
 * discarded. Finally c and a are divided by d = S + eps (true division). */
#include "attention.h"
#include "../common/dot16-avx512-inl.h"
#include "../common/dot16-scalar-inl.h"
#include "../vmath/vmath-avx512-inl.h"

/* The kept rows of one block whose context update is pending, with a_t. */
typedef struct {
  const float *rows[16];
  __m512 a[16];
  int n;
  /* full block (all R rows kept): rows are base + j F, a_j is lane j of av */
  const float *base;
  __m512 av;
} pending_rows;

/* c_f = fma(a_j, x_j[f], c_f) over the pending rows, in order, for the 16
 * (or, with mask m, fewer) features at offset f. */
static inline __m512 context_update(__m512 cv, const pending_rows *p, size_t f, __mmask16 m) {
  for (int j = 0; j < p->n; j++) cv = _mm512_fmadd_ps(p->a[j], _mm512_maskz_loadu_ps(m, p->rows[j] + f), cv);
  return cv;
}

static inline __attribute__((always_inline)) void context_block(float *c, size_t F, size_t F16, __mmask16 ftail,
                                                                const pending_rows *p, int R) {
  if (p->n == R) {
    /* a_j broadcast from lane j of av, rows at fixed offsets: everything
     * stays in registers */
    __m512 ab[16];
    for (int j = 0; j < R; j++) ab[j] = _mm512_permutexvar_ps(_mm512_set1_epi32(j), p->av);
    /* full block: fixed trip count, unrolled; eight 16-feature chunks side
     * by side so eight independent FMA chains are in flight */
    size_t f = 0;
    for (; f + 128 <= F16; f += 128) {
      __m512 cv[8];
      for (int q = 0; q < 8; q++) cv[q] = _mm512_loadu_ps(c + f + 16 * q);
      for (int j = 0; j < R; j++) {
        const float *xr = p->base + (size_t)j * F + f;
        for (int q = 0; q < 8; q++) cv[q] = _mm512_fmadd_ps(ab[j], _mm512_loadu_ps(xr + 16 * q), cv[q]);
      }
      for (int q = 0; q < 8; q++) _mm512_storeu_ps(c + f + 16 * q, cv[q]);
    }
    for (; f < F16; f += 16) {
      __m512 cv = _mm512_loadu_ps(c + f);
      for (int j = 0; j < R; j++) cv = _mm512_fmadd_ps(ab[j], _mm512_loadu_ps(p->base + (size_t)j * F + f), cv);
      _mm512_storeu_ps(c + f, cv);
    }
  } else {
    for (size_t f = 0; f < F16; f += 16) _mm512_storeu_ps(c + f, context_update(_mm512_loadu_ps(c + f), p, f, 0xFFFF));
  }
  if (ftail) {
    __m512 cv = _mm512_maskz_loadu_ps(ftail, c + F16);
    if (p->n == R)
      for (int j = 0; j < R; j++)
        cv = _mm512_fmadd_ps(_mm512_permutexvar_ps(_mm512_set1_epi32(j), p->av),
                             _mm512_maskz_loadu_ps(ftail, p->base + (size_t)j * F + F16), cv);
    else
      cv = context_update(cv, p, F16, ftail);
    _mm512_mask_storeu_ps(c + F16, ftail, cv);
  }
}

/* The block of R steps at t0: its length tb (R, or less at the end), the
 * lane mask of those steps, and the result: bit i set when step t0 + i is
 * kept. A block with no kept step gets its weights (if wanted) set to 0
 * here; the caller skips it. */
static inline unsigned block_start(size_t T, size_t t0, size_t R, const uint8_t *mask, float *a, size_t *tb,
                                   __mmask16 *tmask) {
  *tb = T - t0 < R ? T - t0 : R;
  *tmask = *tb == 16 ? (__mmask16)0xFFFF : arnn_avx512_tail_mask(*tb);
  unsigned keep = 0;
  for (size_t i = 0; i < *tb; i++) keep |= (unsigned)(mask == NULL || mask[t0 + i] != 0) << i;
  if (keep == 0 && a != NULL) _mm512_mask_storeu_ps(a + t0, *tmask, _mm512_setzero_ps());
  return keep;
}

/* A block's scores s (lane i: step t0 + i) -> unnormalized weights
 * a_t = exp(tanh(s + b_t)), masked steps (and lanes >= tb) 0; stored to a
 * when the caller wants the weights. */
static inline __attribute__((always_inline)) __m512 block_weights(__m512 s, const float *bias, size_t t0,
                                                                  __mmask16 tmask, unsigned keep, float *a) {
  if (bias != NULL) s = _mm512_add_ps(s, _mm512_maskz_loadu_ps(tmask, bias + t0));
  const __m512 av = _mm512_maskz_mov_ps(_cvtu32_mask16(keep), arnn_avx512_exp(arnn_avx512_tanh(s)));
  if (a != NULL) _mm512_mask_storeu_ps(a + t0, tmask, av);
  return av;
}

/* Rows r0 and r1 dotted with w in the order of arnn_scalar_dot64: 64 partial
 * sums per row in 4 zmm (lanes 0-15, 16-31, 32-47, 48-63), k in steps of 64;
 * the tail (quarter q active on the lanes of tm[q]) with masked FMAs. Returns
 * each row's sums folded to 16 lanes: (a0 + a2) + (a1 + a3). */
static inline __attribute__((always_inline)) void dot64_pair(const float *r0, const float *r1, const float *w,
                                                             size_t F64, const __mmask16 *tm, __m512 *o0,
                                                             __m512 *o1) {
  __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
  for (size_t k = 0; k < F64; k += 64) {
    __m512 w0 = _mm512_loadu_ps(w + k), w1 = _mm512_loadu_ps(w + k + 16);
    __m512 w2 = _mm512_loadu_ps(w + k + 32), w3 = _mm512_loadu_ps(w + k + 48);
    /* keep w in registers: without this the compiler folds the w loads into
     * both rows' FMAs, doubling the loads of the loop */
    __asm__("" : "+v"(w0), "+v"(w1), "+v"(w2), "+v"(w3));
    a0 = _mm512_fmadd_ps(_mm512_loadu_ps(r0 + k), w0, a0);
    a1 = _mm512_fmadd_ps(_mm512_loadu_ps(r0 + k + 16), w1, a1);
    a2 = _mm512_fmadd_ps(_mm512_loadu_ps(r0 + k + 32), w2, a2);
    a3 = _mm512_fmadd_ps(_mm512_loadu_ps(r0 + k + 48), w3, a3);
    b0 = _mm512_fmadd_ps(_mm512_loadu_ps(r1 + k), w0, b0);
    b1 = _mm512_fmadd_ps(_mm512_loadu_ps(r1 + k + 16), w1, b1);
    b2 = _mm512_fmadd_ps(_mm512_loadu_ps(r1 + k + 32), w2, b2);
    b3 = _mm512_fmadd_ps(_mm512_loadu_ps(r1 + k + 48), w3, b3);
  }
  if (tm[0]) {
    const size_t k = F64;
    __m512 wq = _mm512_maskz_loadu_ps(tm[0], w + k);
    a0 = _mm512_mask3_fmadd_ps(_mm512_maskz_loadu_ps(tm[0], r0 + k), wq, a0, tm[0]);
    b0 = _mm512_mask3_fmadd_ps(_mm512_maskz_loadu_ps(tm[0], r1 + k), wq, b0, tm[0]);
    if (tm[1]) {
      wq = _mm512_maskz_loadu_ps(tm[1], w + k + 16);
      a1 = _mm512_mask3_fmadd_ps(_mm512_maskz_loadu_ps(tm[1], r0 + k + 16), wq, a1, tm[1]);
      b1 = _mm512_mask3_fmadd_ps(_mm512_maskz_loadu_ps(tm[1], r1 + k + 16), wq, b1, tm[1]);
    }
    if (tm[2]) {
      wq = _mm512_maskz_loadu_ps(tm[2], w + k + 32);
      a2 = _mm512_mask3_fmadd_ps(_mm512_maskz_loadu_ps(tm[2], r0 + k + 32), wq, a2, tm[2]);
      b2 = _mm512_mask3_fmadd_ps(_mm512_maskz_loadu_ps(tm[2], r1 + k + 32), wq, b2, tm[2]);
    }
    if (tm[3]) {
      wq = _mm512_maskz_loadu_ps(tm[3], w + k + 48);
      a3 = _mm512_mask3_fmadd_ps(_mm512_maskz_loadu_ps(tm[3], r0 + k + 48), wq, a3, tm[3]);
      b3 = _mm512_mask3_fmadd_ps(_mm512_maskz_loadu_ps(tm[3], r1 + k + 48), wq, b3, tm[3]);
    }
  }
  *o0 = _mm512_add_ps(_mm512_add_ps(a0, a2), _mm512_add_ps(a1, a3));
  *o1 = _mm512_add_ps(_mm512_add_ps(b0, b2), _mm512_add_ps(b1, b3));
}

/* d = S + eps with S the canonical tree of the 16 lane sums sv; c and a
 * (unnormalized in place) divided by d. */
static void normalize(size_t T, size_t F, __m512 sv, float eps, float *c, float *a) {
  float S[16];
  _mm512_storeu_ps(S, sv);
  const float d = arnn_scalar_tree16(S) + eps;
  if (d == 0.0f) return; /* every step masked, eps == 0: c and a are already 0 */
  const __m512 dv = _mm512_set1_ps(d);
  const size_t F16 = F & ~(size_t)15;
  for (size_t f = 0; f < F16; f += 16) _mm512_storeu_ps(c + f, _mm512_div_ps(_mm512_loadu_ps(c + f), dv));
  if (F & 15) {
    const __mmask16 m = arnn_avx512_tail_mask(F & 15);
    _mm512_mask_storeu_ps(c + F16, m, _mm512_div_ps(_mm512_maskz_loadu_ps(m, c + F16), dv));
  }
  if (a != NULL) {
    size_t t = 0;
    for (; t + 16 <= T; t += 16) _mm512_storeu_ps(a + t, _mm512_div_ps(_mm512_loadu_ps(a + t), dv));
    if (t < T) {
      const __mmask16 m = arnn_avx512_tail_mask(T - t);
      _mm512_mask_storeu_ps(a + t, m, _mm512_div_ps(_mm512_maskz_loadu_ps(m, a + t), dv));
    }
  }
}

/* The whole kernel for block size R (8 or 16; a constant after inlining). */
static inline __attribute__((always_inline)) void pool_blocks(size_t T, size_t F, const float *x, const float *w,
                                                              const float *bias, const uint8_t *mask, float eps,
                                                              float *c, float *a, int R) {
  const size_t F16 = F & ~(size_t)15, F64 = F & ~(size_t)63;
  const __mmask16 ftail = arnn_avx512_tail_mask(F & 15);
  __mmask16 tm[4]; /* lanes of the F % 64 tail in each 16-lane quarter */
  for (size_t q = 0; q < 4; q++) {
    const size_t left = F - F64 > 16 * q ? F - F64 - 16 * q : 0;
    tm[q] = left >= 16 ? (__mmask16)0xFFFF : arnn_avx512_tail_mask(left);
  }
  for (size_t f = 0; f < F16; f += 16) _mm512_storeu_ps(c + f, _mm512_setzero_ps());
  if (ftail) _mm512_mask_storeu_ps(c + F16, ftail, _mm512_setzero_ps());

  __m512 sv = _mm512_setzero_ps(); /* S_j, j = t mod 16 */
  pending_rows pending;
  pending.n = 0; /* base and av are set with n = R; set here too for the compiler */
  pending.base = x;
  pending.av = _mm512_setzero_ps();
  for (size_t t0 = 0; t0 < T; t0 += (size_t)R) {
    size_t tb;
    __mmask16 tmask;
    const unsigned keep = block_start(T, t0, (size_t)R, mask, a, &tb, &tmask);
    if (keep == 0) continue;
    const float *r[16];
    for (int i = 0; i < R; i++) r[i] = x + (t0 + ((size_t)i < tb ? (size_t)i : tb - 1)) * F;

    /* 1. R dot products, two rows at a time (arnn_scalar_dot64 order) */
    __m512 h[16];
    for (int i = 0; i < R; i += 2) dot64_pair(r[i], r[i + 1], w, F64, tm, &h[i], &h[i + 1]);
    __m512 s = arnn_avx512_tree16_x8(h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7]);
    if (R == 16) /* lanes 0-7 from the first tree, 8-15 from the second */
      s = _mm512_shuffle_f32x4(s, arnn_avx512_tree16_x8(h[8], h[9], h[10], h[11], h[12], h[13], h[14], h[15]), 0x44);

    /* 2. scores -> unnormalized weights */
    const __m512 av = block_weights(s, bias, t0, tmask, keep, a);

    /* 3. the previous block's context update (independent of this block's
     * tanh/exp chain), then this block's kept rows become pending */
    if (pending.n) context_block(c, F, F16, ftail, &pending, R);
    /* masked lanes of av are +0: adding them leaves S_j unchanged; R = 8
     * blocks starting at t = 8 mod 16 go to lanes 8..15 */
    sv = _mm512_add_ps(sv, R == 8 && (t0 & 8) ? _mm512_shuffle_f32x4(av, av, 0x4E) : av);
    float at[16];
    _mm512_storeu_ps(at, av);
    if (tb == (size_t)R && keep == (1u << R) - 1) {
      pending.n = R;
      pending.base = r[0];
      pending.av = av;
    } else {
      pending.n = 0;
      for (size_t i = 0; i < tb; i++)
        if (keep >> i & 1) {
          pending.rows[pending.n] = r[i];
          pending.a[pending.n++] = _mm512_set1_ps(at[i]);
        }
    }
  }
  if (pending.n) context_block(c, F, F16, ftail, &pending, R);

  normalize(T, F, sv, eps, c, a);
}

/* Fast path for F = 64 NK, NK = 1..4 (F = 2H for H = 32, 64, 96, 128).
 * What limits it (measured, bench/README.md "attention-bench"): the two
 * 512-bit vector ports and the load ports. Each element of x takes one FMA
 * for its score and one for the context; with x made L1-resident the kernel
 * is only ~25% faster than with x streamed from L2. So nothing else may take
 * a port or a load slot:
 *  - w stays in 4 NK zmm for the whole call, c in up to 8 zmm (half of it at
 *    a time when F > 128: the features split into two groups): per 64-byte
 *    line of x one load from L2 (score) and one from L1 (context), nothing
 *    else (w from L1 measured ~8% slower);
 *  - the context update is interleaved row by row with the score pass, so
 *    the L2 stream never stops (pool_blocks runs it as a separate pass);
 *  - the weights a_t of a block are known only after its tanh/exp chain
 *    (about 100-150 cycles), so the update of a block runs during the
 *    second half of the next block's score loop or later.
 * Each entirely kept block's update is cut into two groups: F > 128, group
 * 0 = features [0, F/2) of rows 0..15 and group 1 = features [F/2, F);
 * F <= 128, group 0 = rows 0..7 and group 1 = rows 8..15 (all features).
 * Two schedules, by how much of x the pending rows keep in L1:
 *  - F <= 128, pool_two_behind: the loop of block k applies group 1 of
 *    block k-2 at positions 0..7 and group 0 of block k-1 at 8..15; a_t is
 *    always ready (a few % better than one_behind at F = 64 and 128, where
 *    2.5 blocks are at most 20 KiB);
 *  - F = 192, 256, pool_one_behind: the loop of block k applies all of
 *    block k-1 at positions 8..15 (group 0 at 8..11, group 1 at 12..15).
 *    L1 then holds 2 blocks (32 KiB at F = 256) instead of 2.5 (40 KiB of
 *    the 48 KiB L1): the context loads stop missing L1, measured 8-9%
 *    faster at F = 256 and 3.5% at F = 192.
 * A block with masked rows, or the last partial one, is applied right after
 * its scores, with what is pending before it. The order of operations is
 * the twin's: each row's dot product in the arnn_scalar_dot64 order, each
 * c_f updated by the kept rows in increasing t. */
static inline __attribute__((always_inline)) __m512 dot64_row(const float *r, const __m512 *wv, const int NK) {
  __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
#pragma GCC unroll 16
  for (int k = 0; k < NK; k++) {
    a0 = _mm512_fmadd_ps(_mm512_loadu_ps(r + 64 * k), wv[4 * k], a0);
    a1 = _mm512_fmadd_ps(_mm512_loadu_ps(r + 64 * k + 16), wv[4 * k + 1], a1);
    a2 = _mm512_fmadd_ps(_mm512_loadu_ps(r + 64 * k + 32), wv[4 * k + 2], a2);
    a3 = _mm512_fmadd_ps(_mm512_loadu_ps(r + 64 * k + 48), wv[4 * k + 3], a3);
  }
  return _mm512_add_ps(_mm512_add_ps(a0, a2), _mm512_add_ps(a1, a3));
}

/* c[16 q0 ..) += a_j x_j[16 q0 ..) for NC chunks of 16 features held in cr.
 * a_j is broadcast from memory (at[j]): a load, where a lane permute would
 * take a slot of the two vector ports this kernel saturates. */
static inline __attribute__((always_inline)) void accumulate_row(__m512 *cr, const float *xj, const float *at, int j,
                                                                 const int NC) {
  const __m512 aj = _mm512_set1_ps(at[j]);
#pragma GCC unroll 16
  for (int q = 0; q < NC; q++) cr[q] = _mm512_fmadd_ps(aj, _mm512_loadu_ps(xj + 16 * q), cr[q]);
}

/* Group g of an entirely kept block (rows at xb, weights at) applied to c in
 * memory. */
static inline __attribute__((always_inline)) void apply_group(float *c, const float *xb, const float *at, int g,
                                                              const int NK) {
  const size_t F = 64 * (size_t)NK;
  const int split_rows = NK <= 2, NC = split_rows ? 4 * NK : 2 * NK;
  float *cg = split_rows ? c : c + g * 16 * NC;
  const float *xg = split_rows ? xb + (size_t)(8 * g) * F : xb + g * 16 * NC;
  __m512 cr[8];
#pragma GCC unroll 16
  for (int q = 0; q < NC; q++) cr[q] = _mm512_loadu_ps(cg + 16 * q);
  for (int j = 0; j < (split_rows ? 8 : 16); j++)
    accumulate_row(cr, xg + (size_t)j * F, at, split_rows ? 8 * g + j : j, NC);
#pragma GCC unroll 16
  for (int q = 0; q < NC; q++) _mm512_storeu_ps(cg + 16 * q, cr[q]);
}

/* w into 4 NK registers; c (F = 64 NK floats) cleared. */
static inline __attribute__((always_inline)) void load_w_clear_c(__m512 *wv, const float *w, float *c, const int NK) {
#pragma GCC unroll 16
  for (int q = 0; q < 4 * NK; q++) {
    wv[q] = _mm512_loadu_ps(w + 16 * q);
    _mm512_storeu_ps(c + 16 * q, _mm512_setzero_ps());
  }
}

/* The kept rows (bits of keep) among the tb rows at xb, weights in the
 * lanes of av, applied to c in memory, in order. */
static void apply_kept_rows(float *c, size_t F, const float *xb, size_t tb, unsigned keep, __m512 av) {
  pending_rows kept; /* context_block's row list */
  kept.n = 0;
  kept.base = xb;
  kept.av = av;
  for (size_t i = 0; i < tb; i++)
    if (keep >> i & 1) {
      kept.rows[kept.n] = xb + i * F;
      kept.a[kept.n++] = _mm512_permutexvar_ps(_mm512_set1_epi32((int)i), av);
    }
  context_block(c, F, F, 0, &kept, 16);
}

static inline __attribute__((always_inline)) void pool_two_behind(size_t T, const float *x, const float *w,
                                                                  const float *bias, const uint8_t *mask,
                                                                  float eps, float *c, float *a, const int NK) {
  const size_t F = 64 * (size_t)NK;
  const int NC = 4 * NK; /* groups are row halves */
  __m512 wv[16];
  load_w_clear_c(wv, w, c, NK);
  __m512 sv = _mm512_setzero_ps(); /* S_j, j = t mod 16 (masked lanes add +0) */
  /* pending entirely kept blocks: group 1 of p2 and both groups of p1
   * (weights p2at, p1at: slots of atbuf), oldest first; NULL when none */
  const float *p2 = NULL, *p1 = NULL;
  float atbuf[2][16];
  float *p2at = atbuf[0], *p1at = atbuf[1];
  for (size_t t0 = 0; t0 < T; t0 += 16) {
    size_t tb;
    __mmask16 tmask;
    const unsigned keep = block_start(T, t0, 16, mask, a, &tb, &tmask);
    if (keep == 0) continue; /* all masked: nothing to score, the pending rows wait */
    const float *xb = x + t0 * F;
    /* the group being applied: 1 of p2 at positions 0..7, 0 of p1 at 8..15 */
    __m512 cr[8];
    if (p2 != NULL)
#pragma GCC unroll 16
      for (int q = 0; q < NC; q++) cr[q] = _mm512_loadu_ps(c + 16 * q);
    __m512 h0 = _mm512_setzero_ps(), pairs[8];
#pragma GCC unroll 16
    for (int i = 0; i < 16; i++) {
      if (i == 8) {
        if (p2 != NULL)
#pragma GCC unroll 16
          for (int q = 0; q < NC; q++) _mm512_storeu_ps(c + 16 * q, cr[q]);
        if (p1 != NULL)
#pragma GCC unroll 16
          for (int q = 0; q < NC; q++) cr[q] = _mm512_loadu_ps(c + 16 * q);
      }
      /* rows past T repeat row T-1: their scores are discarded */
      const __m512 h = dot64_row(xb + ((size_t)i < tb ? (size_t)i : tb - 1) * F, wv, NK);
      if (i & 1)
        pairs[i / 2] = arnn_avx512_tree16_pair(h0, h);
      else
        h0 = h;
      const float *pb = i < 8 ? p2 : p1;
      const float *pat = i < 8 ? p2at : p1at;
      const int g = i < 8;
      if (pb != NULL) { /* one row of the group per position */
        const int j = 8 * g + (i & 7);
        accumulate_row(cr, pb + (size_t)j * F, pat, j, NC);
      }
    }
    if (p1 != NULL)
#pragma GCC unroll 16
      for (int q = 0; q < NC; q++) _mm512_storeu_ps(c + 16 * q, cr[q]);
    p2 = p1; /* its group 1 is still pending */
    { /* p1's slot passes to p2; the new p1 (if any) takes the other one */
      float *freed = p2at;
      p2at = p1at;
      p1at = freed;
    }
    /* lanes 0-7 from the first tree, 8-15 from the second */
    __m512 s = _mm512_shuffle_f32x4(arnn_avx512_tree16_finish(pairs[0], pairs[1], pairs[2], pairs[3]),
                                    arnn_avx512_tree16_finish(pairs[4], pairs[5], pairs[6], pairs[7]), 0x44);
    const __m512 av = block_weights(s, bias, t0, tmask, keep, a);
    sv = _mm512_add_ps(sv, av);
    if (tb == 16 && keep == 0xFFFF) {
      p1 = xb;
      _mm512_storeu_ps(p1at, av);
    } else { /* apply everything now, in order */
      if (p2 != NULL) apply_group(c, p2, p2at, 1, NK);
      apply_kept_rows(c, F, xb, tb, keep, av);
      p2 = p1 = NULL;
    }
  }
  if (p2 != NULL) apply_group(c, p2, p2at, 1, NK);
  if (p1 != NULL) {
    apply_group(c, p1, p1at, 0, NK);
    apply_group(c, p1, p1at, 1, NK);
  }

  normalize(T, F, sv, eps, c, a);
}

static inline __attribute__((always_inline)) void pool_one_behind(size_t T, const float *x, const float *w,
                                                                  const float *bias, const uint8_t *mask,
                                                                  float eps, float *c, float *a, const int NK) {
  const size_t F = 64 * (size_t)NK;
  const int NC = 2 * NK; /* groups are feature halves */
  __m512 wv[16];
  load_w_clear_c(wv, w, c, NK);
  __m512 sv = _mm512_setzero_ps(); /* S_j, j = t mod 16 (masked lanes add +0) */
  const float *p1 = NULL; /* the pending entirely kept block, or NULL */
  float p1at[16];         /* its weights */
  for (size_t t0 = 0; t0 < T; t0 += 16) {
    size_t tb;
    __mmask16 tmask;
    const unsigned keep = block_start(T, t0, 16, mask, a, &tb, &tmask);
    if (keep == 0) continue; /* all masked: nothing to score, the pending block waits */
    const float *xb = x + t0 * F;
    __m512 cr[8];
    /* the first tree half is finished at position 7, so at most four pair
     * vectors are live while the context accumulators are */
    __m512 h0 = _mm512_setzero_ps(), pairs[4], lo = h0;
#pragma GCC unroll 16
    for (int i = 0; i < 16; i++) {
      if (p1 != NULL && i == 8)
#pragma GCC unroll 16
        for (int q = 0; q < NC; q++) cr[q] = _mm512_loadu_ps(c + 16 * q);
      if (p1 != NULL && i == 12)
#pragma GCC unroll 16
        for (int q = 0; q < NC; q++) {
          _mm512_storeu_ps(c + 16 * q, cr[q]);
          cr[q] = _mm512_loadu_ps(c + 16 * NC + 16 * q);
        }
      /* rows past T repeat row T-1: their scores are discarded */
      const __m512 h = dot64_row(xb + ((size_t)i < tb ? (size_t)i : tb - 1) * F, wv, NK);
      if (i & 1) {
        pairs[(i / 2) & 3] = arnn_avx512_tree16_pair(h0, h);
        if (i == 7) lo = arnn_avx512_tree16_finish(pairs[0], pairs[1], pairs[2], pairs[3]);
      } else {
        h0 = h;
      }
      if (p1 != NULL && i >= 8) { /* feature half g of rows j0 .. j0+3 */
        const int g = i >= 12, j0 = 4 * (i & 3);
        for (int j = j0; j < j0 + 4; j++) accumulate_row(cr, p1 + (size_t)j * F + g * 16 * NC, p1at, j, NC);
      }
    }
    if (p1 != NULL)
#pragma GCC unroll 16
      for (int q = 0; q < NC; q++) _mm512_storeu_ps(c + 16 * NC + 16 * q, cr[q]);
    p1 = NULL;
    /* lanes 0-7 from the first tree, 8-15 from the second */
    __m512 s = _mm512_shuffle_f32x4(lo, arnn_avx512_tree16_finish(pairs[0], pairs[1], pairs[2], pairs[3]), 0x44);
    const __m512 av = block_weights(s, bias, t0, tmask, keep, a);
    sv = _mm512_add_ps(sv, av);
    if (tb == 16 && keep == 0xFFFF) {
      p1 = xb;
      _mm512_storeu_ps(p1at, av);
    } else { /* apply it now (what was pending is already applied) */
      apply_kept_rows(c, F, xb, tb, keep, av);
    }
  }
  if (p1 != NULL) {
    apply_group(c, p1, p1at, 0, NK);
    apply_group(c, p1, p1at, 1, NK);
  }

  normalize(T, F, sv, eps, c, a);
}

void arnn_f32_attention_pool__avx512(size_t T, size_t F, const float *x, const float *w, const float *bias,
                                     const uint8_t *mask, float eps, float *c, float *a) {
  ARNN_KERNEL_ASSERT(arnn_attention_pool_args_ok(T, F, x, w, bias, mask, eps, c, a));
  /* two blocks (the pending one and the current one) must stay in L1 (32 KiB
   * or more): 2 x 16 rows of F <= 256 floats are 32 KiB */
  switch (F) {
    case 64: pool_two_behind(T, x, w, bias, mask, eps, c, a, 1); return;
    case 128: pool_two_behind(T, x, w, bias, mask, eps, c, a, 2); return;
    case 192: pool_one_behind(T, x, w, bias, mask, eps, c, a, 3); return;
    case 256: pool_one_behind(T, x, w, bias, mask, eps, c, a, 4); return;
    default: break;
  }
  if (F <= 256)
    pool_blocks(T, F, x, w, bias, mask, eps, c, a, 16);
  else
    pool_blocks(T, F, x, w, bias, mask, eps, c, a, 8);
}
