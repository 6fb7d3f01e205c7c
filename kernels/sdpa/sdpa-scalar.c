/* Fused attention (Keras Attention / AdditiveAttention / one
 * MultiHeadAttention head), scalar: the oracle of the SIMD kernels. The
 * operation order is the contract's (sdpa.h): one pass over the keys per
 * query row, in blocks of 16, with an online softmax (running max m, running
 * denominator l, accumulator acc = sum_j exp(s_j - m) v_j kept in out's row
 * and rescaled by c = exp(m_old - m_new) whenever the max grows), so no
 * [Tq][Tv] array is needed unless probs is requested.
 * Built with -ffp-contract=off: only the explicit fmaf() calls are fused. */
#include <math.h>
#include <string.h>

#include "sdpa.h"
#include "sdpa-scalar-inl.h"

/* Row i without any visible key (see sdpa.h): Keras' scores all round to
 * -1e9, so the weights are uniform over all Tv keys. */
static void uniform_row(const arnn_sdpa_args *a, float *o, float *pr) {
  for (size_t e = 0; e < a->Dv; e++) o[e] = 0.0f;
  for (size_t j = 0; j < a->Tv; j++) {
    const float *vj = a->v + j * a->ldv;
    for (size_t e = 0; e < a->Dv; e++) o[e] = o[e] + vj[e];
  }
  const float n = (float)a->Tv;
  for (size_t e = 0; e < a->Dv; e++) o[e] = o[e] / n;
  if (pr != NULL)
    for (size_t j = 0; j < a->Tv; j++) pr[j] = 1.0f / n;
}

void arnn_f32_sdpa__scalar(const arnn_sdpa_args *a) {
  ARNN_KERNEL_ASSERT(arnn_sdpa_args_ok(a));
  const size_t first = arnn_sdpa_first_key(a);
  for (size_t i = 0; i < a->Tq; i++) {
    float *o = a->out + i * a->ldo;
    float *pr = a->probs != NULL ? a->probs + i * a->ldp : NULL;
    if (first >= a->Tv || (a->causal && first > i)) {
      uniform_row(a, o, pr);
      continue;
    }
    const float *qi = a->q + i * a->ldq;
    for (size_t e = 0; e < a->Dv; e++) o[e] = 0.0f;
    float m = -INFINITY, l = 0.0f;
    for (size_t j0 = 0; j0 < a->Tv; j0 += 16) {
      const unsigned vis = arnn_sdpa_block_visible(a, i, j0);
      if (vis == 0) continue; /* the block leaves row i's state as it is */
      float s[16], p[16];
      float bmax = -INFINITY;
      for (int t = 0; t < 16; t++) {
        if (!(vis >> t & 1)) continue;
        s[t] = arnn_sdpa_scalar_score(a, qi, a->k + (j0 + (size_t)t) * a->ldk);
        bmax = s[t] > bmax ? s[t] : bmax;
      }
      const float mn = bmax > m ? bmax : m;
      const float c = arnn_scalar_exp(m - mn); /* 0 on the first visible block */
      for (int t = 0; t < 16; t++) p[t] = (vis >> t & 1) ? arnn_scalar_exp(s[t] - mn) : 0.0f;
      float tp[16];
      memcpy(tp, p, sizeof tp);
      l = fmaf(l, c, arnn_scalar_tree16(tp));
      for (size_t e = 0; e < a->Dv; e++) o[e] = o[e] * c;
      for (int t = 0; t < 16; t++) {
        if (!(vis >> t & 1)) continue; /* skipped, not multiplied by 0 */
        const float *vj = a->v + (j0 + (size_t)t) * a->ldv;
        for (size_t e = 0; e < a->Dv; e++) o[e] = fmaf(p[t], vj[e], o[e]);
        if (pr != NULL) pr[j0 + (size_t)t] = s[t]; /* raw score until the row is done */
      }
      m = mn;
    }
    for (size_t e = 0; e < a->Dv; e++) o[e] = o[e] / l;
    if (pr != NULL)
      for (size_t j0 = 0; j0 < a->Tv; j0 += 16) {
        const unsigned vis = arnn_sdpa_block_visible(a, i, j0);
        for (size_t t = 0; t < 16 && j0 + t < a->Tv; t++)
          pr[j0 + t] = (vis >> t & 1) ? arnn_scalar_exp(pr[j0 + t] - m) / l : 0.0f;
      }
  }
}
