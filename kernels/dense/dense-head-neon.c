/* Dense classifier head, AArch64 NEON; scalar twin dense-head-scalar.c (same
 * operations in the same order: bit-identical results).
 *
 * Logits in tiles of 4 dot products, the 16 canonical partial sums of each in
 * four q-registers (lanes 4q .. 4q+3): 16 accumulators (GCC 12 keeps a
 * larger accumulator array in memory, storing it back every iteration).
 * Tiles: 1 row x 4 classes when C >= 4 (classes past C reuse the last one),
 * 2 x 2 when C >= 2, 4 rows x 1 class for C = 1 (a GEMV over the batch
 * rows); rows past B reuse the last one, results discarded. The packed weight has one
 * zero-padded row of ldw floats per class, so it is loaded whole; x's F % 16
 * tail comes from a zero-padded stack copy and its FMA only lands on the
 * lanes below F (as the twin skips them). arnn_neon_tree16_x4 reduces the
 * dot products four at a time; the bias is added per logit as in the twin.
 * The activation runs 4 classes per vector with the shared vmath functions
 * (the last < 4 through a stack copy); the softmax max and sum are the shared
 * scalar loops of dense.h. */
#include "dense.h"
#include "../common/dot16-neon-inl.h"
#include "../vmath/vmath-neon-inl.h"

#define NDOT 4

void arnn_f32_dense_head__neon(size_t B, size_t F, size_t C, const float *x, const float *wt, size_t ldw,
                               const float *bias, int activation, float *y) {
  ARNN_KERNEL_ASSERT(arnn_dense_head_args_ok(B, F, C, x, wt, ldw, activation, y));
  const size_t F16 = F & ~(size_t)15, ftail = F & 15;
  uint32x4_t tm[4];
  for (int q = 0; q < 4; q++) tm[q] = arnn_neon_lane_mask((ptrdiff_t)ftail - 4 * q);
  const size_t cb = C >= 4 ? 4 : C >= 2 ? 2 : 1; /* tile: (4 / cb) rows x cb classes */
  const size_t rb = NDOT / cb;
  for (size_t r0 = 0; r0 < B; r0 += rb)
    for (size_t c0 = 0; c0 < C; c0 += cb) {
      const float *xr[NDOT], *wr[NDOT];
      arnn_dense_tile_rows(NDOT, r0, c0, cb, B, F, C, x, wt, ldw, xr, wr);
      float32x4_t acc[NDOT][4];
      for (int i = 0; i < NDOT; i++)
        for (int q = 0; q < 4; q++) acc[i][q] = vdupq_n_f32(0.0f);
      for (size_t k = 0; k < F16; k += 16)
        for (int i = 0; i < NDOT; i++)
          for (int q = 0; q < 4; q++)
            acc[i][q] = vfmaq_f32(acc[i][q], vld1q_f32(xr[i] + k + 4 * q), vld1q_f32(wr[i] + k + 4 * q));
      if (ftail) {
        /* copies first, then loops with constant trip counts: acc indexed
         * only in fully unrolled loops stays in registers */
        float xt[NDOT][16] = {{0}};
        for (int i = 0; i < NDOT; i++) memcpy(xt[i], xr[i] + F16, ftail * sizeof(float));
        for (int i = 0; i < NDOT; i++)
          for (int q = 0; q < 4; q++)
            acc[i][q] = arnn_neon_fmadd_masked(vld1q_f32(xt[i] + 4 * q), vld1q_f32(wr[i] + F16 + 4 * q), acc[i][q],
                                               tm[q]);
      }
      float z[NDOT];
      vst1q_f32(z, arnn_neon_tree16_x4(acc[0], acc[1], acc[2], acc[3]));
      arnn_dense_store_tile(z, NDOT, r0, c0, cb, B, C, bias, y);
    }
  if (activation == ARNN_DENSE_ACT_LINEAR) return;
  for (size_t b = 0; b < B; b++) {
    float *yb = y + b * C;
    float m = 0.0f;
    if (activation == ARNN_DENSE_ACT_SOFTMAX) m = arnn_dense_row_max(yb, C);
    const float32x4_t mv = vdupq_n_f32(m);
    for (size_t c = 0; c < C; c += 4) {
      const size_t n = C - c < 4 ? C - c : 4;
      const float32x4_t z = arnn_neon_load_partial(yb + c, n);
      const float32x4_t v = activation == ARNN_DENSE_ACT_SIGMOID ? arnn_neon_sigmoid(z)
                                                                 : arnn_neon_exp(vsubq_f32(z, mv));
      float buf[4];
      vst1q_f32(buf, v);
      memcpy(yb + c, buf, n * sizeof(float));
    }
    if (activation == ARNN_DENSE_ACT_SOFTMAX) {
      const float s = arnn_dense_row_sum(yb, C);
      const float32x4_t sv = vdupq_n_f32(s);
      size_t c = 0;
      for (; c + 4 <= C; c += 4) vst1q_f32(yb + c, vdivq_f32(vld1q_f32(yb + c), sv));
      for (; c < C; c++) yb[c] = yb[c] / s;
    }
  }
}
