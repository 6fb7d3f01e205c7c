/* Input-projection GEMM, AArch64 NEON: register tile of 6 rows x 16 columns
 * (one panel = 4 q-registers per row, 24 accumulators; with 6 q-registers of
 * A and the panel vector that is 31 of the 32 registers), cache-blocked by
 * gemm-blocking-inl.h. The main loop takes 4 k at a time: A[m][k..k+3] is one load
 * per row, used by lane (FMLA by element), and each panel vector B[k][4q..]
 * is loaded once for the 6 rows. Same per-output order as the scalar twin
 * gemm-scalar.c (acc = bias, then acc + A[m][k] B[k][n] with one rounding
 * for k in order; K blocks go through C and back exactly): bit-identical.
 *
 * The accumulators are named variables, not an array: GCC 12 kept an array
 * of 24 vectors in memory and stored it back every iteration. Tiles of fewer
 * than 6 rows (the M % 6 edge) compute row mr-1 again in the missing rows and
 * do not store them (a row's result does not depend on the other rows). */
#include <arm_neon.h>

#include "gemm.h"
#include "gemm-blocking-inl.h"

#define ARNN_GEMM_MR 6
/* cache blocks as in gemm-avx2.c: a panel's K block is KC*64 bytes (24 KiB),
 * a row block of A is MC*KC*4 bytes */
#define ARNN_GEMM_KC 384
#define ARNN_GEMM_MC 120

/* GCC's pre-allocation scheduler hoists the panel loads of a whole 4-k step
 * and then spills accumulators (8 spill slots per iteration measured); with
 * it off for this one function the loop keeps everything in registers but
 * one (tools/count-loop-insns.py: 127 instructions per 96 FMAs, from 150).
 * noinline keeps the loop countable as its own symbol. */
#if defined(__GNUC__) && !defined(__clang__)
#define ARNN_GEMM_TILE_ATTR __attribute__((noinline, optimize("no-schedule-insns")))
#else
#define ARNN_GEMM_TILE_ATTR __attribute__((noinline))
#endif

#define ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5)
#define DECL(r)                                                                                 \
  const size_t row##r = (r) < mr ? (r) : mr - 1;                                                \
  const float *a##r = A + row##r * lda;                                                         \
  float32x4_t c##r##0 = vld1q_f32(init + row##r * init_ld), c##r##1 = vld1q_f32(init + row##r * init_ld + 4); \
  float32x4_t c##r##2 = vld1q_f32(init + row##r * init_ld + 8), c##r##3 = vld1q_f32(init + row##r * init_ld + 12);
#define LOADA(r) const float32x4_t x##r = vld1q_f32(a##r + k);
#define FMA_LANE(r, q, l) c##r##q = vfmaq_laneq_f32(c##r##q, w, x##r, l);
/* k + l, panel quarter q: one panel load, six FMAs */
#define KQ(l, q)                                                                                \
  {                                                                                             \
    const float32x4_t w = vld1q_f32(B + (k + (l)) * 16 + 4 * (q));                               \
    FMA_LANE(0, q, l) FMA_LANE(1, q, l) FMA_LANE(2, q, l) FMA_LANE(3, q, l) FMA_LANE(4, q, l) FMA_LANE(5, q, l) \
  }
#define KSTEP(l) KQ(l, 0) KQ(l, 1) KQ(l, 2) KQ(l, 3)
#define FMA_DUP(r)                                                                              \
  {                                                                                             \
    const float32x4_t av = vld1q_dup_f32(a##r + k);                                             \
    c##r##0 = vfmaq_f32(c##r##0, av, w0);                                                        \
    c##r##1 = vfmaq_f32(c##r##1, av, w1);                                                        \
    c##r##2 = vfmaq_f32(c##r##2, av, w2);                                                        \
    c##r##3 = vfmaq_f32(c##r##3, av, w3);                                                        \
  }
#define STORE(r)                                                                                \
  if ((r) < mr) {                                                                               \
    vst1q_f32(C + (r) * ldc, c##r##0);                                                          \
    vst1q_f32(C + (r) * ldc + 4, c##r##1);                                                      \
    vst1q_f32(C + (r) * ldc + 8, c##r##2);                                                      \
    vst1q_f32(C + (r) * ldc + 12, c##r##3);                                                     \
  }

/* Rows [0, mr) (1 <= mr <= 6) x one panel over k in [0, K) of this K block.
 * The accumulators start from `init` (the bias, or the partial sums a
 * previous K block stored in C: exact). */
static ARNN_GEMM_TILE_ATTR void tile(size_t mr, size_t K, const float *A, size_t lda, const float *B, const float *init, size_t init_ld,
                 float *C, size_t ldc) {
  ROWS(DECL)
  size_t k = 0;
  for (; k + 4 <= K; k += 4) {
    ROWS(LOADA)
    KSTEP(0) KSTEP(1) KSTEP(2) KSTEP(3)
  }
  for (; k < K; k++) {
    const float32x4_t w0 = vld1q_f32(B + k * 16), w1 = vld1q_f32(B + k * 16 + 4);
    const float32x4_t w2 = vld1q_f32(B + k * 16 + 8), w3 = vld1q_f32(B + k * 16 + 12);
    ROWS(FMA_DUP)
  }
  ROWS(STORE)
}

void arnn_f32_gemm__neon(size_t M, size_t N, size_t K, const float *A, size_t lda, const float *Bp,
                         const float *bias, float *C, size_t ldc) {
  ARNN_KERNEL_ASSERT(arnn_gemm_args_ok(M, N, K, A, lda, Bp, bias, C, ldc));
  arnn_gemm_blocked(M, N, K, A, lda, Bp, bias, C, ldc, ARNN_GEMM_MR, ARNN_GEMM_KC, ARNN_GEMM_MC, tile);
}
