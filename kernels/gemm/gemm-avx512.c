/* Input-projection GEMM, AVX-512: register tile of up to 8 rows x 48 columns
 * (three 16-column panels, 24 zmm accumulators). Per k: three panel loads, one
 * broadcast of A[m][k] per row, one FMA per accumulator; panels are taken in
 * groups whose B fits L2, M in blocks of 32 rows, and K is cut only past 1024
 * (see ARNN_GEMM_KC). Each output is still
 * bias first, then fma over k = 0..K-1 in order, so the result is bit-identical
 * to the scalar twin gemm-scalar.c whatever the tile. */
#include <immintrin.h>

#include "gemm.h"
#include "../common/prefetch-inl.h"

#define ARNN_GEMM_MR 8
#define ARNN_GEMM_NP 3
/* Cache blocking. The K block of B for a group of panels (at most
 * ARNN_GEMM_GROUP_BYTES) stays in L2 while every row block of A streams
 * past it; a row block of A (MC rows of the K block) stays near L1 while the
 * group's panel triples use it. K is cut only past ARNN_GEMM_KC, so for
 * K <= 1024 every output is written once, with no partial sums going out to
 * L3 and back.
 * Measured on the elmo projection (M=1280 K=1024 N=512, both directions, one
 * thread, A/B in one process, fraction of an FMA peak measured after each
 * call pair, median of 15, on an AVX-512 Xeon with 48 KiB L1 and 2 MiB L2):
 *   K blocks of 512 outside, all 32 panels per row block: 0.85-0.87
 *     (the earlier blocking: 1 MiB of B per K block, partial sums via L3);
 *   groups of 12 panels, whole K (768 KiB of B): 0.89-0.91; of 9: 0.89;
 *     of 16 (1 MiB): 0.85-0.87; of 8: 0.88;
 *   MC 16, 32, 64: same; 128: 0.89;
 *   row blocks outside and K blocks inside, any MC: 0.83-0.85.
 * With A and C made L1-resident (lda = ldc = 0) the old blocking ran at
 * 0.96: what is left is streaming A and C.
 * Earlier (same machine, peak measured before each repetition):
 * 8x32 tile 0.88-0.92, 8x48 0.94; 6x64, 4x64, 12x32 tiles and packing A not
 * better. The 8x48 tile loads 11 vectors per 24 FMAs (8x32: 10 per 16). */
#define ARNN_GEMM_KC 1024
#define ARNN_GEMM_MC 32
#define ARNN_GEMM_GROUP_BYTES (768u * 1024u)

/* Rows [0, mr) x panels [0, np) over k in [0, kc) of this K block. The
 * accumulators start from the bias (first K block) or from the partial sums
 * the previous K block stored in C: storing and reloading a float is exact,
 * so K blocking keeps the per-output operation sequence. */
static inline __attribute__((always_inline)) void tile(const size_t mr, const size_t np, size_t kc, size_t pstride,
                                                       const float *A, size_t lda, const float *B,
                                                       const float *init, size_t init_ld, float *C, size_t ldc) {
  __m512 acc[ARNN_GEMM_MR][ARNN_GEMM_NP];
  for (size_t r = 0; r < mr; r++)
    for (size_t j = 0; j < np; j++) acc[r][j] = _mm512_loadu_ps(init + r * init_ld + 16 * j);
  const size_t K = kc;
  const float *a[ARNN_GEMM_MR];
  for (size_t r = 0; r < mr; r++) a[r] = A + r * lda;
  /* unrolled by 4: one pointer update per row per 4 k (measured ~5% faster) */
#pragma GCC unroll 4
  for (size_t k = 0; k < K; k++) {
    __m512 b[ARNN_GEMM_NP];
    for (size_t j = 0; j < np; j++) b[j] = _mm512_loadu_ps(B + j * pstride + k * 16);
    for (size_t r = 0; r < mr; r++) {
      const __m512 av = _mm512_set1_ps(a[r][k]);
      for (size_t j = 0; j < np; j++) acc[r][j] = _mm512_fmadd_ps(av, b[j], acc[r][j]);
    }
  }
  for (size_t r = 0; r < mr; r++)
    for (size_t j = 0; j < np; j++) _mm512_storeu_ps(C + r * ldc + 16 * j, acc[r][j]);
}

#define TILE_FN(mr, np)                                                                                     \
  static void tile_##mr##_##np(size_t kc, size_t pstride, const float *A, size_t lda, const float *B,         \
                               const float *init, size_t init_ld, float *C, size_t ldc) {                   \
    tile(mr, np, kc, pstride, A, lda, B, init, init_ld, C, ldc);                                            \
  }
#define TILE_FNS(mr) TILE_FN(mr, 1) TILE_FN(mr, 2) TILE_FN(mr, 3)
TILE_FNS(1) TILE_FNS(2) TILE_FNS(3) TILE_FNS(4) TILE_FNS(5) TILE_FNS(6) TILE_FNS(7) TILE_FNS(8)

typedef void (*tile_fn)(size_t, size_t, const float *, size_t, const float *, const float *, size_t, float *,
                        size_t);
static const tile_fn tiles[ARNN_GEMM_MR + 1][ARNN_GEMM_NP + 1] = {
    {0, 0, 0, 0},
    {0, tile_1_1, tile_1_2, tile_1_3}, {0, tile_2_1, tile_2_2, tile_2_3}, {0, tile_3_1, tile_3_2, tile_3_3},
    {0, tile_4_1, tile_4_2, tile_4_3}, {0, tile_5_1, tile_5_2, tile_5_3}, {0, tile_6_1, tile_6_2, tile_6_3},
    {0, tile_7_1, tile_7_2, tile_7_3}, {0, tile_8_1, tile_8_2, tile_8_3},
};

/* The C lines of the tile that runs after (rows m, panels p) in the loop
 * below, requested while this tile runs (thousands of cycles) instead of at
 * the next tile's first store or load. The first K block only writes C: its
 * lines miss (elmo writes 2.6 MB of C per direction, which lives in L3), and
 * the stores of each tile then waited on those misses; requesting them into
 * L2 measured 0.89 -> 0.91-0.92 of the FMA peak on the elmo projection (into
 * L1: the same; prefetching the next row block's A as well: 0.84, slower).
 * Later K blocks (K > 1024 only, in no workload) read their partial sums
 * back at the tile's start, so those are requested into L1. Not measured: the
 * "+1-2%" recorded for this earlier was measured on code that GCC had
 * deleted (kernels/common/prefetch-inl.h). */
static inline void prefetch_next_tile_c(float *C, size_t ldc, size_t m, size_t m0, size_t m1, size_t p, size_t g1,
                                        int reads_c) {
  if (m + ARNN_GEMM_MR < m1) {
    m += ARNN_GEMM_MR;
  } else {
    m = m0;
    p += ARNN_GEMM_NP;
    if (p >= g1) return;
  }
  const size_t np = g1 - p >= ARNN_GEMM_NP ? ARNN_GEMM_NP : g1 - p;
  for (size_t r = 0; r < ARNN_GEMM_MR && m + r < m1; r++)
    for (size_t j = 0; j < np; j++) {
      const char *line = (const char *)(C + (m + r) * ldc + (p + j) * 16);
      if (reads_c)
        arnn_prefetch_l1(line);
      else
        arnn_prefetch_l2(line);
    }
}

void arnn_f32_gemm__avx512(size_t M, size_t N, size_t K, const float *A, size_t lda, const float *Bp,
                           const float *bias, float *C, size_t ldc) {
  ARNN_KERNEL_ASSERT(arnn_gemm_args_ok(M, N, K, A, lda, Bp, bias, C, ldc));
  const size_t panels = N / 16;
  if (K == 0) {
    for (size_t m = 0; m < M; m++)
      for (size_t p = 0; p < panels; p++) _mm512_storeu_ps(C + m * ldc + p * 16, _mm512_loadu_ps(bias + p * 16));
    return;
  }
  /* K blocks outside (only for K > ARNN_GEMM_KC), then groups of panels,
   * then row blocks of MC, then panel triples, then rows */
  for (size_t k0 = 0; k0 < K; k0 += ARNN_GEMM_KC) {
    const size_t kc = K - k0 >= ARNN_GEMM_KC ? ARNN_GEMM_KC : K - k0;
    size_t group = ARNN_GEMM_GROUP_BYTES / (kc * 16 * sizeof(float));
    group = group < ARNN_GEMM_NP ? ARNN_GEMM_NP : group - group % ARNN_GEMM_NP;
    for (size_t g0 = 0; g0 < panels; g0 += group) {
      const size_t g1 = panels - g0 >= group ? g0 + group : panels;
      for (size_t m0 = 0; m0 < M; m0 += ARNN_GEMM_MC) {
        const size_t m1 = M - m0 >= ARNN_GEMM_MC ? m0 + ARNN_GEMM_MC : M;
        for (size_t p = g0; p < g1; p += ARNN_GEMM_NP) {
          const size_t np = g1 - p >= ARNN_GEMM_NP ? ARNN_GEMM_NP : g1 - p;
          const float *B = Bp + p * K * 16 + k0 * 16;
          for (size_t m = m0; m < m1; m += ARNN_GEMM_MR) {
            const size_t mr = m1 - m >= ARNN_GEMM_MR ? ARNN_GEMM_MR : m1 - m;
            float *c = C + m * ldc + p * 16;
            const float *init = k0 == 0 ? bias + p * 16 : c;
            prefetch_next_tile_c(C, ldc, m, m0, m1, p, g1, k0 != 0);
            tiles[mr][np](kc, K * 16, A + m * lda + k0, lda, B, init, k0 == 0 ? 0 : ldc, c, ldc);
          }
        }
      }
    }
  }
}
