/* Elementwise f32 math kernels, every ISA. Contract (kernels/README.md):
 * y[i] = f(x[i]) for i < n; any n (0 included), any alignment, y == x allowed
 * (exact aliasing only); nothing is read or written outside [0, n). */
#ifndef ARNN_KERNELS_VMATH_H
#define ARNN_KERNELS_VMATH_H

#include <stddef.h>

typedef void (*arnn_f32_vunary_fn)(const float *x, float *y, size_t n);

#define ARNN_DECLARE_VUNARY(op, isa) void arnn_f32_##op##__##isa(const float *x, float *y, size_t n);
#define ARNN_VUNARY_KERNEL(op, isa, arch) ARNN_DECLARE_VUNARY(op, isa)
#include "f32-vunary.inc"
#undef ARNN_VUNARY_KERNEL
#undef ARNN_DECLARE_VUNARY

#endif
