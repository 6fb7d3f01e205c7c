/* Fused attention pooling, scalar: the exact oracle of attention-pool-avx2.c
 * and attention-pool-avx512.c (same operations, same order, same bits).
 *
 * One pass over the sequence (NOTES.md section 1, seed 002 / seed 003):
 *   s_t = x_t . w            64 partial sums folded into the canonical
 *                            16-lane tree (arnn_scalar_dot64, dot16-scalar-inl.h)
 *   s_t = s_t + b_t          only when a bias is given
 *   a_t = exp(tanh(s_t))     shared per-element functions (vmath-scalar-inl.h);
 *                            e_t in [-1, 1], so a_t in [1/e, e]: no overflow
 *                            and no max subtraction needed, even for softmax
 *   S_j = S_j + a_t          j = t mod 16, increasing t, kept steps only;
 *                            S = the canonical 16-lane tree of S_0..S_15
 *                            (one vector add per 16 steps in the SIMD
 *                            kernels instead of a serial scalar chain)
 *   c_f = fma(a_t, x_t[f], c_f)   increasing t, kept steps only
 * then d = S + eps (eps = 1e-7 for the Keras layer of seed 002, 0 for the
 * exact softmax of seed 003) and c_f = c_f / d, a_t = a_t / d with a true
 * division. With every step masked S = 0: d = eps, c = 0 / eps = 0 and a = 0;
 * for eps = 0 the division is skipped, so the result is still 0, never NaN.
 * Masked steps are skipped, not multiplied by 0: their x rows never reach c. */
#include <math.h>

#include "attention.h"
#include "../common/dot16-scalar-inl.h"
#include "../vmath/vmath-scalar-inl.h"

void arnn_f32_attention_pool__scalar(size_t T, size_t F, const float *x, const float *w, const float *bias,
                                     const uint8_t *mask, float eps, float *c, float *a) {
  ARNN_KERNEL_ASSERT(arnn_attention_pool_args_ok(T, F, x, w, bias, mask, eps, c, a));
  for (size_t f = 0; f < F; f++) c[f] = 0.0f;
  float S[16] = {0};
  for (size_t t = 0; t < T; t++) {
    if (mask != NULL && mask[t] == 0) {
      if (a != NULL) a[t] = 0.0f;
      continue;
    }
    const float *xt = x + t * F;
    float s = arnn_scalar_dot64(xt, w, F);
    if (bias != NULL) s = s + bias[t];
    const float at = arnn_scalar_exp(arnn_scalar_tanh(s));
    S[t & 15] = S[t & 15] + at;
    if (a != NULL) a[t] = at;
    for (size_t f = 0; f < F; f++) c[f] = fmaf(at, xt[f], c[f]);
  }
  const float d = arnn_scalar_tree16(S) + eps;
  if (d == 0.0f) return; /* every step masked, eps == 0: c and a are already 0 */
  for (size_t f = 0; f < F; f++) c[f] = c[f] / d;
  if (a != NULL)
    for (size_t t = 0; t < T; t++) a[t] = a[t] / d;
}
