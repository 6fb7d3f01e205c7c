/* Input-projection GEMM, AArch64 NEON: register tile of up to 6 rows x 16
 * columns (one panel = 4 q-registers per row, 24 accumulators; with the 4
 * panel vectors and the broadcast A values that is 30 of the 32 registers),
 * cache-blocked like gemm-avx2.c. Per k: 4 panel loads, one load-and-broadcast
 * (LD1R) of A[m][k] per row, one FMA per accumulator. Same per-output order as
 * the scalar twin gemm-scalar.c (bias, then fma over k in order; K blocks go
 * through C and back exactly): bit-identical. */
#include <arm_neon.h>

#include "gemm.h"

#define ARNN_GEMM_MR 6
/* cache blocks as in gemm-avx2.c: a panel's K block is KC*64 bytes (24 KiB),
 * a row block of A is MC*KC*4 bytes */
#define ARNN_GEMM_KC 384
#define ARNN_GEMM_MC 120

/* Accumulators start from `init` (the bias, or the partial sums a previous
 * K block stored in C: exact), then acc = acc + A[m][k] * B[k][n] (one
 * rounding, = fmaf(A, B, acc)) over this K block in order. */
static inline __attribute__((always_inline)) void tile(const size_t mr, size_t K, const float *A, size_t lda,
                                                       const float *B, const float *init, size_t init_ld, float *C,
                                                       size_t ldc) {
  float32x4_t acc[ARNN_GEMM_MR][4];
  for (size_t r = 0; r < mr; r++)
    for (size_t q = 0; q < 4; q++) acc[r][q] = vld1q_f32(init + r * init_ld + 4 * q);
  const float *a[ARNN_GEMM_MR];
  for (size_t r = 0; r < mr; r++) a[r] = A + r * lda;
  for (size_t k = 0; k < K; k++) {
    const float32x4_t w0 = vld1q_f32(B + k * 16), w1 = vld1q_f32(B + k * 16 + 4);
    const float32x4_t w2 = vld1q_f32(B + k * 16 + 8), w3 = vld1q_f32(B + k * 16 + 12);
    for (size_t r = 0; r < mr; r++) {
      const float32x4_t av = vld1q_dup_f32(a[r] + k);
      acc[r][0] = vfmaq_f32(acc[r][0], av, w0);
      acc[r][1] = vfmaq_f32(acc[r][1], av, w1);
      acc[r][2] = vfmaq_f32(acc[r][2], av, w2);
      acc[r][3] = vfmaq_f32(acc[r][3], av, w3);
    }
  }
  for (size_t r = 0; r < mr; r++)
    for (size_t q = 0; q < 4; q++) vst1q_f32(C + r * ldc + 4 * q, acc[r][q]);
}

#define TILE_FN(mr)                                                                                        \
  static void tile_##mr(size_t K, const float *A, size_t lda, const float *B, const float *init, size_t init_ld, \
                        float *C, size_t ldc) {                                                            \
    tile(mr, K, A, lda, B, init, init_ld, C, ldc);                                                         \
  }
TILE_FN(1) TILE_FN(2) TILE_FN(3) TILE_FN(4) TILE_FN(5) TILE_FN(6)

typedef void (*tile_fn)(size_t, const float *, size_t, const float *, const float *, size_t, float *, size_t);
static const tile_fn tiles[ARNN_GEMM_MR + 1] = {0, tile_1, tile_2, tile_3, tile_4, tile_5, tile_6};

void arnn_f32_gemm__neon(size_t M, size_t N, size_t K, const float *A, size_t lda, const float *Bp,
                         const float *bias, float *C, size_t ldc) {
  const size_t panels = N / 16;
  if (K == 0) {
    for (size_t m = 0; m < M; m++)
      for (size_t n = 0; n < N; n += 4) vst1q_f32(C + m * ldc + n, vld1q_f32(bias + n));
    return;
  }
  /* K blocks, row blocks, panels, rows: as in gemm-avx2.c. */
  for (size_t k0 = 0; k0 < K; k0 += ARNN_GEMM_KC) {
    const size_t kc = K - k0 >= ARNN_GEMM_KC ? ARNN_GEMM_KC : K - k0;
    for (size_t m0 = 0; m0 < M; m0 += ARNN_GEMM_MC) {
      const size_t m1 = M - m0 >= ARNN_GEMM_MC ? m0 + ARNN_GEMM_MC : M;
      for (size_t p = 0; p < panels; p++) {
        const float *B = Bp + p * K * 16 + k0 * 16;
        for (size_t m = m0; m < m1; m += ARNN_GEMM_MR) {
          const size_t mr = m1 - m >= ARNN_GEMM_MR ? ARNN_GEMM_MR : m1 - m;
          float *c = C + m * ldc + p * 16;
          tiles[mr](kc, A + m * lda + k0, lda, B, k0 == 0 ? bias + p * 16 : c, k0 == 0 ? 0 : ldc, c, ldc);
        }
      }
    }
  }
}
