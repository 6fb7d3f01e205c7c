/* Input-projection GEMM, AVX-512: register tile of up to 8 rows x 32 columns
 * (two 16-column panels, 16 zmm accumulators). Per k: two panel loads, one
 * broadcast of A[m][k] per row, one FMA per accumulator. Each output is still
 * bias first, then fma over k = 0..K-1 in order, so the result is bit-identical
 * to the scalar twin gemm-scalar.c whatever the tile. */
#include <immintrin.h>

#include "gemm.h"

#define ARNN_GEMM_MR 8

static inline __attribute__((always_inline)) void tile(const size_t mr, const size_t np, size_t K, const float *A,
                                                       size_t lda, const float *B, const float *bias, float *C,
                                                       size_t ldc) {
  __m512 acc[ARNN_GEMM_MR][2];
  const size_t pstride = K * 16;
  for (size_t j = 0; j < np; j++) {
    const __m512 b = _mm512_loadu_ps(bias + 16 * j);
    for (size_t r = 0; r < mr; r++) acc[r][j] = b;
  }
  const float *a[ARNN_GEMM_MR];
  for (size_t r = 0; r < mr; r++) a[r] = A + r * lda;
  for (size_t k = 0; k < K; k++) {
    __m512 b[2];
    for (size_t j = 0; j < np; j++) b[j] = _mm512_loadu_ps(B + j * pstride + k * 16);
    for (size_t r = 0; r < mr; r++) {
      const __m512 av = _mm512_set1_ps(a[r][k]);
      for (size_t j = 0; j < np; j++) acc[r][j] = _mm512_fmadd_ps(av, b[j], acc[r][j]);
    }
  }
  for (size_t r = 0; r < mr; r++)
    for (size_t j = 0; j < np; j++) _mm512_storeu_ps(C + r * ldc + 16 * j, acc[r][j]);
}

#define TILE_FN(mr, np)                                                                                        \
  static void tile_##mr##_##np(size_t K, const float *A, size_t lda, const float *B, const float *bias, float *C, \
                               size_t ldc) {                                                                   \
    tile(mr, np, K, A, lda, B, bias, C, ldc);                                                                  \
  }
#define TILE_FNS(mr) TILE_FN(mr, 1) TILE_FN(mr, 2)
TILE_FNS(1) TILE_FNS(2) TILE_FNS(3) TILE_FNS(4) TILE_FNS(5) TILE_FNS(6) TILE_FNS(7) TILE_FNS(8)

typedef void (*tile_fn)(size_t, const float *, size_t, const float *, const float *, float *, size_t);
static const tile_fn tiles[ARNN_GEMM_MR + 1][3] = {
    {0, 0, 0},
    {0, tile_1_1, tile_1_2}, {0, tile_2_1, tile_2_2}, {0, tile_3_1, tile_3_2}, {0, tile_4_1, tile_4_2},
    {0, tile_5_1, tile_5_2}, {0, tile_6_1, tile_6_2}, {0, tile_7_1, tile_7_2}, {0, tile_8_1, tile_8_2},
};

void arnn_f32_gemm__avx512(size_t M, size_t N, size_t K, const float *A, size_t lda, const float *Bp,
                           const float *bias, float *C, size_t ldc) {
  const size_t panels = N / 16;
  /* Panel pair outside, rows inside: the pair (K*128 bytes) stays in L2 while
   * the rows stream through. */
  for (size_t p = 0; p < panels; p += 2) {
    const size_t np = panels - p >= 2 ? 2 : 1;
    const float *B = Bp + p * K * 16;
    for (size_t m = 0; m < M; m += ARNN_GEMM_MR) {
      const size_t mr = M - m >= ARNN_GEMM_MR ? ARNN_GEMM_MR : M - m;
      tiles[mr][np](K, A + m * lda, lda, B, bias + p * 16, C + m * ldc + p * 16, ldc);
    }
  }
}
