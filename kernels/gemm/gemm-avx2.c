/* Input-projection GEMM, AVX2+FMA: register tile of up to 6 rows x 16 columns
 * (one panel = 2 ymm per row, 12 accumulators), cache-blocked by
 * gemm-blocking-inl.h. Same per-output order as the
 * scalar twin gemm-scalar.c (bias, then fma over k in order): bit-identical. */
#include <immintrin.h>

#include "gemm.h"
#include "gemm-blocking-inl.h"

#define ARNN_GEMM_MR 6
/* cache blocks: a panel's K block is KC*64 bytes (24 KiB, L1); a row block
 * of A is MC*KC*4 bytes (L2) */
#define ARNN_GEMM_KC 384
#define ARNN_GEMM_MC 120

/* Accumulators start from `init` (the bias, or the partial sums a previous
 * K block stored in C: exact), then fma over this K block in order. */
static inline __attribute__((always_inline)) void tile(const size_t mr, size_t K, const float *A, size_t lda,
                                                       const float *B, const float *init, size_t init_ld, float *C,
                                                       size_t ldc) {
  __m256 acc[ARNN_GEMM_MR][2];
  for (size_t r = 0; r < mr; r++) {
    acc[r][0] = _mm256_loadu_ps(init + r * init_ld);
    acc[r][1] = _mm256_loadu_ps(init + r * init_ld + 8);
  }
  const float *a[ARNN_GEMM_MR];
  for (size_t r = 0; r < mr; r++) a[r] = A + r * lda;
  for (size_t k = 0; k < K; k++) {
    const __m256 w0 = _mm256_loadu_ps(B + k * 16), w1 = _mm256_loadu_ps(B + k * 16 + 8);
    for (size_t r = 0; r < mr; r++) {
      const __m256 av = _mm256_broadcast_ss(a[r] + k);
      acc[r][0] = _mm256_fmadd_ps(av, w0, acc[r][0]);
      acc[r][1] = _mm256_fmadd_ps(av, w1, acc[r][1]);
    }
  }
  for (size_t r = 0; r < mr; r++) {
    _mm256_storeu_ps(C + r * ldc, acc[r][0]);
    _mm256_storeu_ps(C + r * ldc + 8, acc[r][1]);
  }
}

#define TILE_FN(mr)                                                                                        \
  static void tile_##mr(size_t K, const float *A, size_t lda, const float *B, const float *init, size_t init_ld, \
                        float *C, size_t ldc) {                                                            \
    tile(mr, K, A, lda, B, init, init_ld, C, ldc);                                                         \
  }
TILE_FN(1) TILE_FN(2) TILE_FN(3) TILE_FN(4) TILE_FN(5) TILE_FN(6)

typedef void (*tile_fn)(size_t, const float *, size_t, const float *, const float *, size_t, float *, size_t);
static const tile_fn tiles[ARNN_GEMM_MR + 1] = {0, tile_1, tile_2, tile_3, tile_4, tile_5, tile_6};

static void tile_any(size_t mr, size_t kc, const float *A, size_t lda, const float *B, const float *init,
                     size_t init_ld, float *C, size_t ldc) {
  tiles[mr](kc, A, lda, B, init, init_ld, C, ldc);
}

void arnn_f32_gemm__avx2(size_t M, size_t N, size_t K, const float *A, size_t lda, const float *Bp,
                         const float *bias, float *C, size_t ldc) {
  ARNN_KERNEL_ASSERT(arnn_gemm_args_ok(M, N, K, A, lda, Bp, bias, C, ldc));
  arnn_gemm_blocked(M, N, K, A, lda, Bp, bias, C, ldc, ARNN_GEMM_MR, ARNN_GEMM_KC, ARNN_GEMM_MC, tile_any);
}
