/* The packer of the GEMM's right-hand side (layout in gemm.h): one copy per
 * element, so every ISA's kernel reads the same numbers. */
#include <assert.h>

#include "gemm.h"

void arnn_f32_gemm_pack(size_t K, size_t N, size_t Np, const float *B, size_t ldb, float *Bp) {
  assert(Np % 16 == 0 && N <= Np && N <= ldb && Bp != NULL && (B != NULL || K == 0 || N == 0));
  for (size_t p = 0; p < Np / 16; p++)
    for (size_t k = 0; k < K; k++)
      for (size_t l = 0; l < 16; l++) {
        const size_t n = p * 16 + l;
        Bp[(p * K + k) * 16 + l] = n < N ? B[k * ldb + n] : 0.0f;
      }
}
