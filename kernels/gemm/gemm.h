/* Input-projection GEMM with a packed right-hand side (kernels/README.md):
 *
 *   C[m][n] = bias[n] + sum_{k=0}^{K-1} A[m][k] * B[k][n],  m < M, n < N
 *
 * - N is a multiple of 16. B is packed once (arnn_f32_gemm_pack below, by
 *   the layer at creation) into N/16 column panels; panel p holds columns
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

#include "../common/kernel-assert.h"

typedef void (*arnn_f32_gemm_fn)(size_t M, size_t N, size_t K, const float *A, size_t lda, const float *Bp,
                                 const float *bias, float *C, size_t ldc);

#define ARNN_KERNEL(op, isa, arch)                                                                      \
  void arnn_f32_##op##__##isa(size_t M, size_t N, size_t K, const float *A, size_t lda, const float *Bp, \
                            const float *bias, float *C, size_t ldc);
#include "f32-gemm.inc"
#undef ARNN_KERNEL

/* Packs B (element (k, n) at B[k*ldb + n], k < K, n < N <= ldb) into Bp, the
 * panel layout above, with zero columns from N up to Np (a multiple of 16):
 * Bp holds Np*K floats. gemm-pack.c. */
void arnn_f32_gemm_pack(size_t K, size_t N, size_t Np, const float *B, size_t ldb, float *Bp);

/* The contract's preconditions (asserted in debug builds): N a multiple of
 * 16, strides that hold a row, the pointers a non-empty call reads, and C
 * overlapping none of A, Bp, bias. */
static inline int arnn_gemm_args_ok(size_t M, size_t N, size_t K, const float *A, size_t lda, const float *Bp,
                                    const float *bias, const float *C, size_t ldc) {
  if (N % 16 != 0 || lda < K || ldc < N) return 0;
  if (M == 0 || N == 0) return 1;
  if (C == NULL || bias == NULL || (K > 0 && (A == NULL || Bp == NULL))) return 0;
  const size_t cb = arnn_kernel_rows_bytes(M, N, ldc);
  return arnn_kernel_disjoint(C, cb, A, arnn_kernel_rows_bytes(M, K, lda)) &&
         arnn_kernel_disjoint(C, cb, Bp, N * K * sizeof(float)) && arnn_kernel_disjoint(C, cb, bias, N * sizeof(float));
}

#endif
