/* Dense classifier head, every ISA. Contract (kernels/README.md, "Dense head"):
 *   z[b][c] = x_b . W[:, c] (+ bias[c])   canonical 16-lane dot order
 *   y[b][c] = z                     (ARNN_DENSE_ACT_LINEAR)
 *           = sigmoid(z)            (ARNN_DENSE_ACT_SIGMOID)
 *           = exp(z - m) / sum_c' exp(z_c' - m), m = max_c z   (SOFTMAX)
 * x is [B][F] row-major, y is [B][C] row-major; B, F, C >= 1.
 * wt is the packed weight: wt[c * ldw + k] = W[k][c] for k < F, 0 for
 * F <= k < ldw; ldw is a multiple of 16 and wt is 64-byte aligned (the SIMD
 * kernels load whole 16-float groups of wt; they never read x past F).
 * bias may be NULL. y must not overlap x or wt. */
#ifndef ARNN_KERNELS_DENSE_DENSE_H
#define ARNN_KERNELS_DENSE_DENSE_H

#include <stddef.h>
#include <stdint.h>

#include "../common/kernel-assert.h"

enum { ARNN_DENSE_ACT_LINEAR = 0, ARNN_DENSE_ACT_SIGMOID = 1, ARNN_DENSE_ACT_SOFTMAX = 2 };

typedef void (*arnn_f32_dense_head_fn)(size_t B, size_t F, size_t C, const float *x, const float *wt, size_t ldw,
                                       const float *bias, int activation, float *y);

#define ARNN_KERNEL(op, isa, arch)                                                                         \
  void arnn_f32_##op##__##isa(size_t B, size_t F, size_t C, const float *x, const float *wt, size_t ldw, \
                              const float *bias, int activation, float *y);
#include "f32-dense-head.inc"
#undef ARNN_KERNEL

/* The contract's preconditions (asserted in debug builds): sizes, the packed
 * weight's stride and 64-byte alignment, y overlapping neither x nor wt. */
static inline int arnn_dense_head_args_ok(size_t B, size_t F, size_t C, const float *x, const float *wt, size_t ldw,
                                          int activation, const float *y) {
  return B >= 1 && F >= 1 && C >= 1 && x != NULL && wt != NULL && y != NULL && ldw % 16 == 0 && ldw >= F &&
         (uintptr_t)wt % 64 == 0 && activation >= ARNN_DENSE_ACT_LINEAR && activation <= ARNN_DENSE_ACT_SOFTMAX &&
         arnn_kernel_disjoint(y, B * C * sizeof(float), x, B * F * sizeof(float)) &&
         arnn_kernel_disjoint(y, B * C * sizeof(float), wt, C * ldw * sizeof(float));
}

/* Softmax pieces every ISA evaluates with the same scalar code, so the
 * reductions over classes have one order: the maximum (a NaN logit is kept
 * only if it comes first, as with "z > m ? z : m"), and the sum of the
 * exponentials in increasing class order. */
static inline float arnn_dense_row_max(const float *z, size_t C) {
  float m = z[0];
  for (size_t c = 1; c < C; c++) m = z[c] > m ? z[c] : m;
  return m;
}

static inline float arnn_dense_row_sum(const float *e, size_t C) {
  float s = 0.0f;
  for (size_t c = 0; c < C; c++) s = s + e[c];
  return s;
}

/* The rows of x and wt a SIMD tile of n dot products reads (tile element i =
 * row r0 + i / cb, class c0 + i % cb); past the last row or class the tile
 * reuses the last one. Shared by every SIMD ISA. */
static inline void arnn_dense_tile_rows(size_t n, size_t r0, size_t c0, size_t cb, size_t B, size_t F, size_t C,
                                        const float *x, const float *wt, size_t ldw, const float **xr,
                                        const float **wr) {
  for (size_t i = 0; i < n; i++) {
    const size_t r = r0 + i / cb, c = c0 + i % cb;
    xr[i] = x + (r < B ? r : B - 1) * F;
    wr[i] = wt + (c < C ? c : C - 1) * ldw;
  }
}

/* Stores a SIMD tile's n dot products z (tile element i = row r0 + i / cb,
 * class c0 + i % cb), adding the bias; elements past the last row or class
 * (the tile reused the last one) are dropped. Shared by every SIMD ISA. */
static inline void arnn_dense_store_tile(const float *z, size_t n, size_t r0, size_t c0, size_t cb, size_t B, size_t C,
                                         const float *bias, float *y) {
  for (size_t i = 0; i < n; i++) {
    const size_t r = r0 + i / cb, c = c0 + i % cb;
    if (r < B && c < C) y[r * C + c] = bias != NULL ? z[i] + bias[c] : z[i];
  }
}

#endif
