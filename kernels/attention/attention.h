/* Fused attention pooling (one sequence), every ISA. Contract
 * (kernels/README.md, "Attention pooling"):
 *   s_t = x_t . w (+ bias[t]),  e_t = tanh(s_t),
 *   a_t = exp(e_t) if mask == NULL or mask[t] != 0, else 0,
 *   S = sum_t a_t (16 lane sums S_{t mod 16}, increasing t, then the
 *       canonical 16-lane tree),  d = S + eps,
 *   c[f] = (sum_t a_t x[t][f]) / d,  a[t] = a_t / d (if a != NULL);
 *   d == 0 (all steps masked and eps == 0): c = 0 and a = 0.
 * x is [T][F] row-major; T >= 1, F >= 1, eps >= 0 finite; bias, mask, a may
 * be NULL; no alignment requirement; c and a must not overlap any input.
 * Nothing is read or written outside the given arrays. Masked steps do not
 * touch c at all (their x rows may hold anything, even NaN). */
#ifndef ARNN_KERNELS_ATTENTION_ATTENTION_H
#define ARNN_KERNELS_ATTENTION_ATTENTION_H

#include <stddef.h>
#include <stdint.h>

#include "../common/kernel-assert.h"

typedef void (*arnn_f32_attention_pool_fn)(size_t T, size_t F, const float *x, const float *w, const float *bias,
                                           const uint8_t *mask, float eps, float *c, float *a);

#define ARNN_KERNEL(op, isa, arch)                                                                             \
  void arnn_f32_##op##__##isa(size_t T, size_t F, const float *x, const float *w, const float *bias,           \
                              const uint8_t *mask, float eps, float *c, float *a);
#include "f32-attention-pool.inc"
#undef ARNN_KERNEL

/* The contract's preconditions (asserted in debug builds): sizes, eps, and
 * outputs that overlap no input nor each other. */
static inline int arnn_attention_pool_args_ok(size_t T, size_t F, const float *x, const float *w, const float *bias,
                                              const uint8_t *mask, float eps, const float *c, const float *a) {
  if (T == 0 || F == 0 || x == NULL || w == NULL || c == NULL || !(eps >= 0.0f && eps <= 3.4028235e38f)) return 0;
  const size_t xb = T * F * sizeof(float), fb = F * sizeof(float), tb = T * sizeof(float);
  const size_t bb = bias ? tb : 0, mb = mask ? T : 0, ab = a ? tb : 0;
  return arnn_kernel_disjoint(c, fb, x, xb) && arnn_kernel_disjoint(c, fb, w, fb) &&
         arnn_kernel_disjoint(c, fb, bias, bb) && arnn_kernel_disjoint(c, fb, mask, mb) &&
         arnn_kernel_disjoint(a, ab, x, xb) && arnn_kernel_disjoint(a, ab, w, fb) &&
         arnn_kernel_disjoint(a, ab, bias, bb) && arnn_kernel_disjoint(a, ab, mask, mb) &&
         arnn_kernel_disjoint(a, ab, c, fb);
}

#endif
