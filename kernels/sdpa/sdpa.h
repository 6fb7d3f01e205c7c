/* Fused attention of Keras' Attention (score_mode "dot"), AdditiveAttention
 * and one MultiHeadAttention head, every ISA. Full contract in
 * kernels/README.md ("Fused attention (`sdpa/`)"); in short:
 *
 *   s_ij = scale * (q_i . k_j)                                  ARNN_SDPA_DOT
 *   s_ij = sum_d w[d] tanh(scale (q_id + k_jd))            ARNN_SDPA_ADDITIVE
 *   key j visible to query i: (kmask == NULL || kmask[j] != 0)
 *                             && (!causal || j <= i)
 *   p_ij = softmax_j over the visible keys (invisible keys: exactly 0)
 *   out_i = sum_j p_ij v_j,   probs[i][j] = p_ij (if probs != NULL)
 *
 * This is Keras' BaseDenseAttention/Attention._apply_scores (keras/src/layers/
 * attention/attention.py): masked scores get 1e9 subtracted, then softmax over
 * the keys, then weights @ values. When a row has at least one visible key,
 * exp(s_masked - 1e9 - max) underflows to 0 in float32, so skipping the
 * invisible keys is the same function (for |s| far below 5e8). When a row has
 * NO visible key, every Keras score is s - 1e9, which rounds to -1e9 in float32
 * for every |s| < 32 (the float32 spacing at 1e9 is 64), so all Tv scores tie
 * and the weights are uniform: p_ij = 1/Tv over ALL Tv keys and
 * out_i = (sum_j v_j) / Tv. The kernels return exactly that for such rows.
 *
 * Operation order (every ISA, hence identical bits; the scalar kernel is the
 * oracle), per query row i, keys in blocks of 16 (j = 16b + lane):
 *   dot   : 16 partial sums over d (lane d mod 16, fma in increasing d, tail
 *           lanes skipped), the 16-lane tree 8+8, 4+4, 2+2, 1+1
 *           (arnn_scalar_dot16), then * scale;
 *   add.  : lane d mod 16 += w[d] * tanh(scale * (q_id + k_jd)) as one fma
 *           (the sum rounded, the product rounded, then tanh), same tree;
 *   block : skipped entirely for row i if none of its keys is visible to i;
 *           bmax = max of the visible s_ij, m' = max(m, bmax),
 *           c = exp(m - m')  (exp(-inf) = 0 on the first visible block),
 *           p_j = exp(s_ij - m') for visible j, +0 otherwise,
 *           bsum = 16-lane tree of p_0..p_15, l = fma(l, c, bsum),
 *           acc[e] = acc[e] * c, then acc[e] = fma(p_j, v_j[e], acc[e]) for
 *           the visible j in increasing order, m = m';
 *   end   : out[e] = acc[e] / l (true division);
 *           probs[i][j] = exp(s_ij - m) / l for visible j, +0 otherwise.
 *   Rows without a visible key: acc[e] = ((0 + v_0[e]) + v_1[e]) + ... in
 *   increasing j, out[e] = acc[e] / (float)Tv, probs[i][j] = 1 / (float)Tv
 *   (what the block rule gives with every key visible and every score 0).
 * exp/tanh are the shared vmath per-element functions. Max and the c == 1
 * shortcut are exact, so their evaluation order does not matter for
 * NaN-free scores; a NaN (or inf - inf) score makes its whole row NaN.
 *
 * Memory: q, k, v, w, kmask are read only inside the given rows (tails use
 * masked loads or stack copies); out and probs are written only at
 * [i*ld + 0 .. width). out/probs must not overlap any input or each other.
 * The kernels use out's row as their accumulator and probs' row to hold the
 * raw scores until the row is finished. No alignment requirement. MXCSR/FPCR
 * untouched. Masked (invisible) keys are skipped, never multiplied by 0:
 * their k and v rows may hold anything (NaN) when a row has a visible key. */
#ifndef ARNN_KERNELS_SDPA_SDPA_H
#define ARNN_KERNELS_SDPA_SDPA_H

#include <stddef.h>

#include "../common/kernel-assert.h"

enum { ARNN_SDPA_DOT = 0, ARNN_SDPA_ADDITIVE = 1 };

typedef struct {
  size_t Tq, Tv, D, Dv;       /* >= 1 */
  const float *q; size_t ldq; /* [Tq][D], row stride ldq >= D */
  const float *k; size_t ldk; /* [Tv][D] */
  const float *v; size_t ldv; /* [Tv][Dv] */
  int score_mode;             /* ARNN_SDPA_DOT or ARNN_SDPA_ADDITIVE */
  float scale;
  const float *w;             /* additive: [D]; unused for dot */
  const unsigned char *kmask; /* [Tv] or NULL: 0 = key/value step masked */
  int causal;                 /* key j visible to query i only if j <= i */
  float *out; size_t ldo;     /* [Tq][Dv] output */
  float *probs; size_t ldp;   /* [Tq][Tv] attention weights, or NULL */
} arnn_sdpa_args;

typedef void (*arnn_f32_sdpa_fn)(const arnn_sdpa_args *a);

#define ARNN_KERNEL(op, isa, arch) void arnn_f32_##op##__##isa(const arnn_sdpa_args *a);
#include "f32-sdpa.inc"
#undef ARNN_KERNEL

/* The contract's preconditions (asserted in debug builds): sizes, strides
 * that hold a row, the additive weights when used, and out/probs overlapping
 * no input nor each other. */
static inline int arnn_sdpa_args_ok(const arnn_sdpa_args *a) {
  if (a == NULL || a->Tq == 0 || a->Tv == 0 || a->D == 0 || a->Dv == 0) return 0;
  if (a->q == NULL || a->k == NULL || a->v == NULL || a->out == NULL) return 0;
  if (a->ldq < a->D || a->ldk < a->D || a->ldv < a->Dv || a->ldo < a->Dv || (a->probs != NULL && a->ldp < a->Tv))
    return 0;
  if (a->score_mode != ARNN_SDPA_DOT && (a->score_mode != ARNN_SDPA_ADDITIVE || a->w == NULL)) return 0;
  const size_t ob = arnn_kernel_rows_bytes(a->Tq, a->Dv, a->ldo);
  const size_t pb = a->probs ? arnn_kernel_rows_bytes(a->Tq, a->Tv, a->ldp) : 0;
  const size_t qb = arnn_kernel_rows_bytes(a->Tq, a->D, a->ldq), kb = arnn_kernel_rows_bytes(a->Tv, a->D, a->ldk);
  const size_t vb = arnn_kernel_rows_bytes(a->Tv, a->Dv, a->ldv), mb = a->kmask ? a->Tv : 0;
  const size_t wb = a->score_mode == ARNN_SDPA_ADDITIVE ? a->D * sizeof(float) : 0;
  return arnn_kernel_disjoint(a->out, ob, a->q, qb) && arnn_kernel_disjoint(a->out, ob, a->k, kb) &&
         arnn_kernel_disjoint(a->out, ob, a->v, vb) && arnn_kernel_disjoint(a->out, ob, a->kmask, mb) &&
         arnn_kernel_disjoint(a->out, ob, a->w, wb) && arnn_kernel_disjoint(a->probs, pb, a->q, qb) &&
         arnn_kernel_disjoint(a->probs, pb, a->k, kb) && arnn_kernel_disjoint(a->probs, pb, a->v, vb) &&
         arnn_kernel_disjoint(a->probs, pb, a->kmask, mb) && arnn_kernel_disjoint(a->probs, pb, a->w, wb) &&
         arnn_kernel_disjoint(a->probs, pb, a->out, ob);
}

/* The keys of the row: index of the first key with kmask != 0 (Tv if none).
 * Row i has a visible key iff first < Tv && (!causal || first <= i). Shared
 * by every ISA (integer work only). */
static inline size_t arnn_sdpa_first_key(const arnn_sdpa_args *a) {
  if (a->kmask == NULL) return 0;
  for (size_t j = 0; j < a->Tv; j++)
    if (a->kmask[j] != 0) return j;
  return a->Tv;
}

/* Keys of block [j0, j0 + 16) visible to row i, as a bit mask (bit = lane). */
static inline unsigned arnn_sdpa_block_visible(const arnn_sdpa_args *a, size_t i, size_t j0) {
  size_t n = a->Tv - j0 < 16 ? a->Tv - j0 : 16;
  if (a->causal) {
    if (i < j0) return 0;
    if (i - j0 + 1 < n) n = i - j0 + 1;
  }
  unsigned bits = n == 16 ? 0xffffu : (1u << n) - 1u;
  if (a->kmask != NULL)
    for (size_t t = 0; t < n; t++)
      if (a->kmask[j0 + t] == 0) bits &= ~(1u << t);
  return bits;
}

#endif
