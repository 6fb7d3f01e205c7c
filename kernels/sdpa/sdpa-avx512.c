/* Fused attention (sdpa.h), AVX-512; scalar twin sdpa-scalar.c (same
 * operations in the same order: bit-identical results).
 *
 * Query rows are taken R = 8 at a time (a tile; the Tq % 8 rest as 4, 3, 2
 * or 1); the tile walks the keys once, in the contract's blocks of 16, and
 * every k and v vector loaded from memory serves all rows of the tile:
 *   1. Scores (dot): 8 rows x 2 keys (or 4 x 4) at a time, each dot
 *      product's 16 partial sums (lane d mod 16) in one zmm: 16 independent
 *      FMA chains per pass over D. The D % 16 tail uses masked loads and
 *      masked FMAs that keep the accumulator (the twin skips those lanes).
 *      The canonical tree runs 8 dot products at a time
 *      (arnn_avx512_tree16_pair + _finish), leaving one row's 16 block scores
 *      in one zmm (lane = key - j0), then * scale.
 *      Additive: per row 8 keys side by side (8 independent tanh chains), the
 *      same masking and tree.
 *   2. Online softmax, vectorized over the rows: invisible lanes -> -inf, the
 *      8 row maxima by one shuffle tree, m' = max(m, bmax) and
 *      c = exp(m - m') for the 8 rows as one vector, p = exp(s - m') per row
 *      (shared vmath exp, invisible lanes +0), the 8 block sums by one
 *      canonical tree call, l = fma(l, c, bsum).
 *   3. acc = acc * c (skipped when every c is 1 or the row is still empty:
 *      both exact), then acc = fma(p_j, v_j, acc) over the visible keys in
 *      increasing j: 32 output columns x 8 rows (or 64 x 4) in 16 zmm, each v
 *      chunk loaded once for all rows. When the rows of the tile do not see
 *      the same keys (causal diagonal blocks), the FMA of a row that does not
 *      see key j is masked off entirely, so v_j never reaches it (NaN-safe,
 *      and "+ 0 * v" would turn an accumulated -0 into +0).
 *   The next block's scores (1.) are issued between 2. and 3. of the current
 *   block, so the exp / tree latency overlaps with independent FMA work.
 * The accumulators live in out's rows between blocks; raw scores in probs'
 * rows until the tile is finished. Rows without a visible key take the
 * uniform path of the contract.
 *
 * Measured (this machine, one core, Tq = Tv = 400, Dv = D, no mask): D = 64
 * 0.9 ms (45 GFLOP/s), D = 128 1.4 ms (57), D = 256 2.6-3.0 ms (55-64); the
 * per-block overhead (16-lane trees: ~2 shuffles per dot product, which
 * share port 5 with the FMAs; softmax bookkeeping) is what keeps D = 64 off
 * the FMA peak. */
#include <math.h>
#include <string.h>

#include "sdpa.h"
#include "../common/dot16-avx512-inl.h"
#include "../vmath/vmath-avx512-inl.h"

#define INLINE static inline __attribute__((always_inline))

static inline __mmask16 lanes_below(size_t n) { return n >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << n) - 1u); }

/* The uniform row (no visible key): ((0 + v_0) + v_1) + ... then / Tv. */
static void uniform_row(const arnn_sdpa_args *a, float *o, float *pr) {
  const __m512 n = _mm512_set1_ps((float)a->Tv);
  for (size_t e = 0; e < a->Dv; e += 16) {
    const __mmask16 m = lanes_below(a->Dv - e);
    __m512 acc = _mm512_setzero_ps();
    for (size_t j = 0; j < a->Tv; j++) acc = _mm512_add_ps(acc, _mm512_maskz_loadu_ps(m, a->v + j * a->ldv + e));
    _mm512_mask_storeu_ps(o + e, m, _mm512_div_ps(acc, n));
  }
  if (pr != NULL) {
    const __m512 p = _mm512_div_ps(_mm512_set1_ps(1.0f), n);
    for (size_t j = 0; j < a->Tv; j += 16) _mm512_mask_storeu_ps(pr + j, lanes_below(a->Tv - j), p);
  }
}

/* Dot products of NR query rows with KG keys (NR x KG = 16 accumulators at
 * most); out: per row the tree pairs of keys (0,1), (2,3), ... at slot. */
INLINE void dot_rows(const float *const *qr, const float *const *kp, size_t D, __m512 pairs[][8], int slot,
                     const int NR, const int KG) {
  __m512 acc[8][4];
  for (int r = 0; r < NR; r++)
    for (int t = 0; t < KG; t++) acc[r][t] = _mm512_setzero_ps();
  const size_t D16 = D & ~(size_t)15;
  for (size_t d = 0; d < D16; d += 16) {
    __m512 kv[4];
    for (int t = 0; t < KG; t++) kv[t] = _mm512_loadu_ps(kp[t] + d);
    for (int r = 0; r < NR; r++) {
      __m512 qv = _mm512_loadu_ps(qr[r] + d);
      /* keep the query chunk in a register: GCC 12 otherwise folds the
       * load into each of the KG FMAs, and the loop becomes bound by the
       * load ports (an empty asm changes no arithmetic) */
      __asm__("" : "+v"(qv));
      for (int t = 0; t < KG; t++) acc[r][t] = _mm512_fmadd_ps(qv, kv[t], acc[r][t]);
    }
  }
  if (D16 < D) {
    const __mmask16 m = lanes_below(D - D16);
    __m512 kv[4];
    for (int t = 0; t < KG; t++) kv[t] = _mm512_maskz_loadu_ps(m, kp[t] + D16);
    for (int r = 0; r < NR; r++) {
      const __m512 qv = _mm512_maskz_loadu_ps(m, qr[r] + D16);
      for (int t = 0; t < KG; t++) acc[r][t] = _mm512_mask3_fmadd_ps(qv, kv[t], acc[r][t], m);
    }
  }
  for (int r = 0; r < NR; r++)
    for (int t = 0; t < KG; t += 2) pairs[r][slot + t / 2] = arnn_avx512_tree16_pair(acc[r][t], acc[r][t + 1]);
}

/* Additive scores of one row with 8 keys (kp[t] NULL: key not needed, its
 * lane is left at 0 and discarded): lanes 0-7 of the result. */
INLINE __m512 additive_row_x8(const arnn_sdpa_args *a, const float *qi, const float *const *kp) {
  __m512 acc[8];
  for (int t = 0; t < 8; t++) acc[t] = _mm512_setzero_ps();
  const __m512 scale = _mm512_set1_ps(a->scale);
  for (size_t d = 0; d < a->D; d += 16) {
    const __mmask16 m = lanes_below(a->D - d);
    const __m512 qv = _mm512_maskz_loadu_ps(m, qi + d), wv = _mm512_maskz_loadu_ps(m, a->w + d);
    for (int t = 0; t < 8; t++) {
      if (kp[t] == NULL) continue;
      const __m512 th = arnn_avx512_tanh(_mm512_mul_ps(scale, _mm512_add_ps(qv, _mm512_maskz_loadu_ps(m, kp[t] + d))));
      acc[t] = _mm512_mask3_fmadd_ps(wv, th, acc[t], m);
    }
  }
  return arnn_avx512_tree16_x8(acc[0], acc[1], acc[2], acc[3], acc[4], acc[5], acc[6], acc[7]);
}

/* The block's scores S[r] (lane t = key j0 + t) for the keys any row sees
 * (bits of U); lanes of other keys are unspecified (masked by the caller). */
INLINE void block_scores(const arnn_sdpa_args *a, const float *const *qr, size_t j0, unsigned U, __m512 *S,
                         const int NR) {
  const size_t last = a->Tv - 1;
  if (a->score_mode == ARNN_SDPA_DOT) {
    __m512 pairs[8][8];
    /* 4 rows x 4 keys or 8 rows x 2 keys per pass over D */
    const int KG = NR > 4 ? 2 : 4;
    for (int g = 0; g < 16 / KG; g++) {
      const unsigned gmask = (1u << KG) - 1u;
      if ((U >> (KG * g) & gmask) == 0) {
        for (int r = 0; r < NR; r++)
          for (int t = 0; t < KG; t += 2) pairs[r][KG / 2 * g + t / 2] = _mm512_setzero_ps();
        continue;
      }
      const float *kp[4];
      for (int t = 0; t < KG; t++) {
        const size_t j = j0 + (size_t)(KG * g + t);
        kp[t] = a->k + (j < last ? j : last) * a->ldk; /* keys past Tv: any row, discarded */
      }
      dot_rows(qr, kp, a->D, pairs, KG / 2 * g, NR, KG);
    }
    const __m512 scale = _mm512_set1_ps(a->scale);
    for (int r = 0; r < NR; r++) {
      const __m512 lo = arnn_avx512_tree16_finish(pairs[r][0], pairs[r][1], pairs[r][2], pairs[r][3]);
      const __m512 hi = arnn_avx512_tree16_finish(pairs[r][4], pairs[r][5], pairs[r][6], pairs[r][7]);
      S[r] = _mm512_mul_ps(_mm512_shuffle_f32x4(lo, hi, 0x44), scale);
    }
  } else {
    for (int r = 0; r < NR; r++) {
      __m512 half[2];
      for (int h = 0; h < 2; h++) {
        const float *kp[8];
        for (int t = 0; t < 8; t++) {
          const int lane = 8 * h + t;
          kp[t] = (U >> lane & 1u) ? a->k + (j0 + (size_t)lane) * a->ldk : NULL;
        }
        half[h] = (U >> (8 * h) & 0xFFu) ? additive_row_x8(a, qr[r], kp) : _mm512_setzero_ps();
      }
      S[r] = _mm512_shuffle_f32x4(half[0], half[1], 0x44);
    }
  }
}

/* acc = acc * c (if scale_acc), then the visible keys' p_j v_j, for NC
 * chunks of 16 output columns at e (the last one on the lanes of `lastm`). */
INLINE void pv_chunks(const arnn_sdpa_args *a, float *const *orow, const float (*parr)[16], const unsigned *vis,
                      unsigned U, int all_same, const float *cs, int scale_acc, size_t j0, size_t e, __mmask16 lastm,
                      const int NC, const int NR) {
  __m512 acc[8][4];
  for (int r = 0; r < NR; r++)
    for (int c = 0; c < NC; c++)
      acc[r][c] = _mm512_maskz_loadu_ps(c == NC - 1 ? lastm : (__mmask16)0xFFFF, orow[r] + e + 16 * c);
  if (scale_acc)
    for (int r = 0; r < NR; r++) {
      const __m512 cv = _mm512_set1_ps(cs[r]);
      for (int c = 0; c < NC; c++) acc[r][c] = _mm512_mul_ps(acc[r][c], cv);
    }
  for (unsigned bits = U; bits != 0; bits &= bits - 1) {
    const int t = __builtin_ctz(bits);
    const float *vj = a->v + (j0 + (size_t)t) * a->ldv + e;
    __m512 vv[4];
    for (int c = 0; c < NC; c++) vv[c] = _mm512_maskz_loadu_ps(c == NC - 1 ? lastm : (__mmask16)0xFFFF, vj + 16 * c);
    if (all_same) {
      for (int r = 0; r < NR; r++) {
        const __m512 pb = _mm512_set1_ps(parr[r][t]);
        for (int c = 0; c < NC; c++) acc[r][c] = _mm512_fmadd_ps(pb, vv[c], acc[r][c]);
      }
    } else {
      for (int r = 0; r < NR; r++) {
        const __mmask16 km = (vis[r] >> t & 1u) ? (__mmask16)0xFFFF : (__mmask16)0;
        const __m512 pb = _mm512_set1_ps(parr[r][t]);
        for (int c = 0; c < NC; c++) acc[r][c] = _mm512_mask3_fmadd_ps(pb, vv[c], acc[r][c], km);
      }
    }
  }
  for (int r = 0; r < NR; r++)
    for (int c = 0; c < NC; c++)
      _mm512_mask_storeu_ps(orow[r] + e + 16 * c, c == NC - 1 ? lastm : (__mmask16)0xFFFF, acc[r][c]);
}

INLINE void pv_update(const arnn_sdpa_args *a, float *const *orow, const float (*parr)[16], const unsigned *vis,
                      unsigned U, int all_same, const float *cs, int scale_acc, size_t j0, const int NR) {
  /* NR x NC <= 16 accumulators: 64 columns for up to 4 rows, 32 for 8 */
  const int NCMAX = NR > 4 ? 2 : 4;
  size_t e = 0;
  for (; e + 16 * (size_t)NCMAX <= a->Dv; e += 16 * (size_t)NCMAX)
    pv_chunks(a, orow, parr, vis, U, all_same, cs, scale_acc, j0, e, 0xFFFF, NCMAX, NR);
  const size_t rem = a->Dv - e;
  if (rem == 0) return;
  const size_t nc = (rem + 15) / 16;
  const __mmask16 lastm = lanes_below(rem - 16 * (nc - 1));
  switch (nc) {
    case 1: pv_chunks(a, orow, parr, vis, U, all_same, cs, scale_acc, j0, e, lastm, 1, NR); break;
    case 2: pv_chunks(a, orow, parr, vis, U, all_same, cs, scale_acc, j0, e, lastm, 2, NR); break;
    case 3: pv_chunks(a, orow, parr, vis, U, all_same, cs, scale_acc, j0, e, lastm, NR > 4 ? 1 : 3, NR); break;
    default: pv_chunks(a, orow, parr, vis, U, all_same, cs, scale_acc, j0, e, lastm, NR > 4 ? 1 : 4, NR); break;
  }
}

/* Lanes 0-7: the maxima of s0..s7 (16 lanes each), by the shuffles of
 * arnn_avx512_tree16_x8 with max for add. Max is exact, so the order of this
 * reduction does not matter for NaN-free scores. */
static inline __m512 max16_pair(__m512 a, __m512 b) {
  return _mm512_max_ps(_mm512_shuffle_f32x4(a, b, 0x44), _mm512_shuffle_f32x4(a, b, 0xEE));
}
static inline __m512 max16_x8(const __m512 *s) {
  const __m512 p01 = max16_pair(s[0], s[1]), p23 = max16_pair(s[2], s[3]);
  const __m512 p45 = max16_pair(s[4], s[5]), p67 = max16_pair(s[6], s[7]);
  const __m512 q03 = _mm512_max_ps(_mm512_shuffle_f32x4(p01, p23, 0x88), _mm512_shuffle_f32x4(p01, p23, 0xDD));
  const __m512 q47 = _mm512_max_ps(_mm512_shuffle_f32x4(p45, p67, 0x88), _mm512_shuffle_f32x4(p45, p67, 0xDD));
  const __m512 r = _mm512_max_ps(_mm512_shuffle_ps(q03, q47, _MM_SHUFFLE(1, 0, 1, 0)),
                                 _mm512_shuffle_ps(q03, q47, _MM_SHUFFLE(3, 2, 3, 2)));
  const __m512 d = _mm512_max_ps(_mm512_shuffle_ps(r, r, _MM_SHUFFLE(2, 0, 2, 0)),
                                 _mm512_shuffle_ps(r, r, _MM_SHUFFLE(3, 1, 3, 1)));
  return _mm512_permutexvar_ps(_mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 0, 4, 8, 12, 1, 5, 9, 13), d);
}

/* The next block at or after j0 that some row of the tile sees (Tv if
 * none), with each row's visible keys. */
static inline size_t next_block(const arnn_sdpa_args *a, size_t i0, int NR, size_t j0, unsigned *vis,
                                unsigned *U) {
  for (; j0 < a->Tv; j0 += 16) {
    *U = 0;
    for (int r = 0; r < 8; r++) *U |= vis[r] = r < NR ? arnn_sdpa_block_visible(a, i0 + (size_t)r, j0) : 0u;
    if (*U != 0) return j0;
  }
  return a->Tv;
}

/* NR (1..8) query rows from i0, every one with at least one visible key.
 * Software-pipelined: the scores of the next block are issued between the
 * softmax bookkeeping of the current block and its acc update, so the
 * exp / tree latency chain overlaps with independent FMA work (the order of
 * every row's operations is unchanged). */
INLINE void tile(const arnn_sdpa_args *a, size_t i0, const int NR) {
  const float *qr[8];
  float *orow[8], *prow[8];
  for (int r = 0; r < NR; r++) {
    qr[r] = a->q + (i0 + (size_t)r) * a->ldq;
    orow[r] = a->out + (i0 + (size_t)r) * a->ldo;
    prow[r] = a->probs != NULL ? a->probs + (i0 + (size_t)r) * a->ldp : NULL;
    for (size_t e = 0; e < a->Dv; e += 16) _mm512_mask_storeu_ps(orow[r] + e, lanes_below(a->Dv - e), _mm512_setzero_ps());
  }
  const __m512 neg_inf = _mm512_set1_ps(-INFINITY);
  __m512 mv = neg_inf;             /* lane r: m of row r */
  __m512 lv = _mm512_setzero_ps(); /* lane r: l of row r */
  unsigned vis[8], U = 0;
  size_t j0 = next_block(a, i0, NR, 0, vis, &U);
  __m512 S[8];
  if (j0 < a->Tv) block_scores(a, qr, j0, U, S, NR);
  while (j0 < a->Tv) {
    const size_t jc = j0;
    const unsigned Uc = U;
    unsigned visc[8];
    int all_same = 1;
    __mmask16 rows = 0;
    __m512 Sm[8];
    for (int r = 0; r < 8; r++) {
      visc[r] = vis[r];
      Sm[r] = r < NR ? _mm512_mask_mov_ps(neg_inf, (__mmask16)vis[r], S[r]) : neg_inf;
      if (r < NR) all_same &= vis[r] == Uc;
      rows |= (__mmask16)((vis[r] != 0) << r);
      if (r < NR && prow[r] != NULL) _mm512_mask_storeu_ps(prow[r] + jc, (__mmask16)vis[r], S[r]); /* raw, until the end */
    }
    /* rows that see no key of this block keep their state: c = exp(0) = 1, p = 0 */
    const __m512 mn = _mm512_max_ps(mv, max16_x8(Sm));
    const __m512 cv = arnn_avx512_exp(_mm512_maskz_sub_ps(rows, mv, mn)); /* exp(-inf) = 0 on the first block */
    __m512 P[8];
    for (int r = 0; r < 8; r++)
      P[r] = r < NR ? _mm512_maskz_mov_ps((__mmask16)visc[r],
                                          arnn_avx512_exp(_mm512_sub_ps(Sm[r], _mm512_permutexvar_ps(_mm512_set1_epi32(r), mn))))
                    : _mm512_setzero_ps();
    const __m512 bsum = arnn_avx512_tree16_x8(P[0], P[1], P[2], P[3], P[4], P[5], P[6], P[7]);
    lv = _mm512_fmadd_ps(lv, cv, bsum);
    /* acc * c is the identity for c == 1, and 0 * c = 0 while the row has
     * seen nothing yet (m = -inf) */
    const int scale_acc = (rows & _mm512_cmp_ps_mask(cv, _mm512_set1_ps(1.0f), _CMP_NEQ_UQ) &
                           _mm512_cmp_ps_mask(mv, neg_inf, _CMP_NEQ_UQ)) != 0;
    mv = _mm512_mask_mov_ps(mv, rows, mn);
    float cs[16], parr[8][16];
    _mm512_storeu_ps(cs, cv);
    for (int r = 0; r < NR; r++) _mm512_storeu_ps(parr[r], P[r]);
    j0 = next_block(a, i0, NR, jc + 16, vis, &U);
    if (j0 < a->Tv) block_scores(a, qr, j0, U, S, NR);
    pv_update(a, orow, (const float(*)[16])parr, visc, Uc, all_same, cs, scale_acc, jc, NR);
  }
  float l[16], m[16];
  _mm512_storeu_ps(l, lv);
  _mm512_storeu_ps(m, mv);
  for (int r = 0; r < NR; r++) {
    const __m512 lr = _mm512_set1_ps(l[r]);
    for (size_t e = 0; e < a->Dv; e += 16) {
      const __mmask16 em = lanes_below(a->Dv - e);
      _mm512_mask_storeu_ps(orow[r] + e, em, _mm512_div_ps(_mm512_maskz_loadu_ps(em, orow[r] + e), lr));
    }
    if (prow[r] == NULL) continue;
    const __m512 mr = _mm512_set1_ps(m[r]);
    for (size_t jb = 0; jb < a->Tv; jb += 16) {
      const __mmask16 vm = (__mmask16)arnn_sdpa_block_visible(a, i0 + (size_t)r, jb);
      const __m512 s = _mm512_maskz_loadu_ps(vm, prow[r] + jb);
      const __m512 p = _mm512_maskz_div_ps(vm, arnn_avx512_exp(_mm512_sub_ps(s, mr)), lr);
      _mm512_mask_storeu_ps(prow[r] + jb, lanes_below(a->Tv - jb), p);
    }
  }
}

void arnn_f32_sdpa__avx512(const arnn_sdpa_args *a) {
  ARNN_KERNEL_ASSERT(arnn_sdpa_args_ok(a));
  const size_t first = arnn_sdpa_first_key(a);
  /* rows without a visible key: all of them if every key is masked, else
   * (causal) the rows before the first unmasked key */
  size_t i_begin = first >= a->Tv ? a->Tq : a->causal ? (first < a->Tq ? first : a->Tq) : 0;
  for (size_t i = 0; i < i_begin; i++)
    uniform_row(a, a->out + i * a->ldo, a->probs != NULL ? a->probs + i * a->ldp : NULL);
  size_t i = i_begin;
  for (; i + 8 <= a->Tq; i += 8) tile(a, i, 8);
  if (i + 4 <= a->Tq) tile(a, i, 4), i += 4;
  switch (a->Tq - i) {
    case 3: tile(a, i, 3); break;
    case 2: tile(a, i, 2); break;
    case 1: tile(a, i, 1); break;
    default: break;
  }
}
