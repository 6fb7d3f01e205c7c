/* The cache-blocked loop nest shared by the single-panel GEMM kernels
 * (gemm-avx2.c, gemm-neon.c): K blocks, then row blocks, then 16-column
 * panels, then register tiles of at most MR rows. The first K block's tiles
 * start from the bias, later ones from the partial sums the previous block
 * stored in C (storing and reloading a float is exact), so every output is
 * still bias, then fma over k = 0..K-1 in order. Written once here so the
 * ISA files differ only in their register tile. */
#ifndef ARNN_KERNELS_GEMM_BLOCKING_INL_H
#define ARNN_KERNELS_GEMM_BLOCKING_INL_H

#include <stddef.h>
#include <string.h>

/* tile(mr, kc, A, lda, B, init, init_ld, C, ldc): rows [0, mr) of one panel
 * over a K block of kc, accumulators from init (row stride init_ld). */
typedef void (*arnn_gemm_panel_tile_fn)(size_t mr, size_t kc, const float *A, size_t lda, const float *B,
                                        const float *init, size_t init_ld, float *C, size_t ldc);

static inline __attribute__((always_inline)) void arnn_gemm_blocked(size_t M, size_t N, size_t K, const float *A,
                                                                     size_t lda, const float *Bp, const float *bias,
                                                                     float *C, size_t ldc, size_t MR, size_t KC,
                                                                     size_t MC, arnn_gemm_panel_tile_fn tile) {
  const size_t panels = N / 16;
  if (K == 0) {
    for (size_t m = 0; m < M; m++) memcpy(C + m * ldc, bias, N * sizeof(float));
    return;
  }
  for (size_t k0 = 0; k0 < K; k0 += KC) {
    const size_t kc = K - k0 >= KC ? KC : K - k0;
    for (size_t m0 = 0; m0 < M; m0 += MC) {
      const size_t m1 = M - m0 >= MC ? m0 + MC : M;
      for (size_t p = 0; p < panels; p++) {
        const float *B = Bp + p * K * 16 + k0 * 16;
        for (size_t m = m0; m < m1; m += MR) {
          const size_t mr = m1 - m >= MR ? MR : m1 - m;
          float *c = C + m * ldc + p * 16;
          tile(mr, kc, A + m * lda + k0, lda, B, k0 == 0 ? bias + p * 16 : c, k0 == 0 ? 0 : ldc, c, ldc);
        }
      }
    }
  }
}

#endif
