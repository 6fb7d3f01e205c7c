/* Input-projection GEMM with a packed right-hand side (kernels/README.md):
 *
 *   C[m][n] = bias[n] + sum_{k=0}^{K-1} A[m][k] * B[k][n],  m < M, n < N
 *
 * - N is a multiple of 16. B is packed once (by the layer at creation, see
 *   src/rnn-layer.c) into N/16 column panels; panel p holds columns
 *   16p..16p+15, K-major: element (k, 16p + l) at Bp[p*K*16 + k*16 + l].
 *   The layout is the same for every ISA.
 * - Every output is accumulated in the same order on every ISA and for every
 *   register tile: acc = bias[n]; acc = fma(A[m][k], B[k][n], acc) for
 *   k = 0, 1, ..., K-1; C = acc. So scalar, AVX2 and AVX-512 are bit-identical,
 *   and a row's result does not depend on which other rows are in the call.
 * - A has row stride lda (>= K), C row stride ldc (>= N); no alignment
 *   requirement; M or K may be 0 (K == 0 gives C = bias). C must not overlap
 *   A, Bp or bias. */
#ifndef ARNN_KERNELS_GEMM_GEMM_H
#define ARNN_KERNELS_GEMM_GEMM_H

#include <stddef.h>

typedef void (*arnn_f32_gemm_fn)(size_t M, size_t N, size_t K, const float *A, size_t lda, const float *Bp,
                                 const float *bias, float *C, size_t ldc);

#define ARNN_GEMM_KERNEL(isa, arch)                                                                     \
  void arnn_f32_gemm__##isa(size_t M, size_t N, size_t K, const float *A, size_t lda, const float *Bp, \
                            const float *bias, float *C, size_t ldc);
#include "f32-gemm.inc"
#undef ARNN_GEMM_KERNEL

#endif
