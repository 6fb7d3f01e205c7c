/* Input-projection GEMM, scalar: the exact oracle of gemm-avx2.c and
 * gemm-avx512.c. Each output: acc = bias[n]; acc = fmaf(A[m][k], B[k][n], acc)
 * for k in order. The panel layout is described in gemm.h. */
#include <math.h>

#include "gemm.h"

void arnn_f32_gemm__scalar(size_t M, size_t N, size_t K, const float *A, size_t lda, const float *Bp,
                           const float *bias, float *C, size_t ldc) {
  ARNN_KERNEL_ASSERT(arnn_gemm_args_ok(M, N, K, A, lda, Bp, bias, C, ldc));
  for (size_t p = 0; p < N / 16; p++) {
    const float *panel = Bp + p * K * 16;
    for (size_t m = 0; m < M; m++) {
      const float *a = A + m * lda;
      float acc[16];
      for (size_t l = 0; l < 16; l++) acc[l] = bias[p * 16 + l];
      for (size_t k = 0; k < K; k++)
        for (size_t l = 0; l < 16; l++) acc[l] = fmaf(a[k], panel[k * 16 + l], acc[l]);
      for (size_t l = 0; l < 16; l++) C[m * ldc + p * 16 + l] = acc[l];
    }
  }
}
