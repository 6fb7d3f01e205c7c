/* Elementwise f32 math kernels, every ISA. Contract (kernels/README.md):
 * y[i] = f(x[i]) for i < n; any n (0 included), any alignment, y == x allowed
 * (exact aliasing only); nothing is read or written outside [0, n). */
#ifndef ARNN_KERNELS_VMATH_H
#define ARNN_KERNELS_VMATH_H

#include <stddef.h>

#include "../common/kernel-assert.h"

typedef void (*arnn_f32_vunary_fn)(const float *x, float *y, size_t n);

#define ARNN_KERNEL(op, isa, arch) void arnn_f32_##op##__##isa(const float *x, float *y, size_t n);
#include "f32-vunary.inc"
#undef ARNN_KERNEL

/* The contract's preconditions (asserted in debug builds). */
static inline int arnn_vunary_args_ok(const float *x, const float *y, size_t n) {
  return n == 0 || (x != NULL && y != NULL && (x == y || arnn_kernel_disjoint(x, n * sizeof(float), y, n * sizeof(float))));
}

#endif
