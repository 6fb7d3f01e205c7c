/* The canonical scores of the sdpa kernels, scalar form (sdpa.h defines the
 * order; the SIMD kernels reproduce it lane for lane). */
#ifndef ARNN_KERNELS_SDPA_SCALAR_INL_H
#define ARNN_KERNELS_SDPA_SCALAR_INL_H

#include <math.h>

#include "sdpa.h"
#include "../common/dot16-scalar-inl.h"
#include "../vmath/vmath-scalar-inl.h"

/* dot : scale * (q . k) with the canonical 16-lane dot (arnn_scalar_dot16);
 * additive: lane d mod 16 += w[d] * tanh(scale * (q[d] + k[d])) (one fma per
 * d in increasing order), then the canonical 16-lane tree. Keras'
 * AdditiveAttention computes reduce_sum(scale * tanh(q + k)) with its learned
 * per-feature `scale` vector: that vector is `w` here and a->scale = 1. */
static inline float arnn_sdpa_scalar_score(const arnn_sdpa_args *a, const float *q, const float *k) {
  if (a->score_mode == ARNN_SDPA_DOT) return arnn_scalar_dot16(q, k, a->D) * a->scale;
  float p[16] = {0};
  for (size_t d = 0; d < a->D; d++)
    p[d % 16] = fmaf(a->w[d], arnn_scalar_tanh(a->scale * (q[d] + k[d])), p[d % 16]);
  return arnn_scalar_tree16(p);
}

#endif
