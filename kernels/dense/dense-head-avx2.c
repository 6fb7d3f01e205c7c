/* Dense classifier head, AVX2+FMA; scalar twin dense-head-scalar.c (same
 * operations in the same order: bit-identical results).
 *
 * Logits in tiles of 4 dot products, the 16 canonical partial sums of each in
 * two ymm (lanes 0-7, 8-15): 1 row x 4 classes when C >= 4, 2 x 2, or 4 rows
 * x 1 class (C = 1: a GEMV over the batch rows). The packed weight wt has one
 * zero-padded row of ldw floats per class. The F % 16 tail loads masked and
 * blends the FMA result into the masked lanes only, as the twin skips them.
 * arnn_avx2_tree16_x4 reduces the 4 dot products at once; rows or classes
 * past the end reuse the last one (results discarded); the bias is added per
 * logit as in the twin. The activation runs 8 classes per vector with the
 * shared vmath functions; the softmax max and sum are the shared scalar loops
 * of dense.h. */
#include "dense.h"
#include "../common/dot16-avx2-inl.h"
#include "../vmath/vmath-avx2-inl.h"

void arnn_f32_dense_head__avx2(size_t B, size_t F, size_t C, const float *x, const float *wt, size_t ldw,
                               const float *bias, int activation, float *y) {
  ARNN_KERNEL_ASSERT(arnn_dense_head_args_ok(B, F, C, x, wt, ldw, activation, y));
  const size_t F16 = F & ~(size_t)15, ftail = F & 15;
  const __m256i ml = arnn_avx2_lane_mask((ptrdiff_t)ftail);
  const __m256i mh = arnn_avx2_lane_mask((ptrdiff_t)ftail - 8);
  const size_t cb = C >= 4 ? 4 : C >= 2 ? 2 : 1; /* tile: (4 / cb) rows x cb classes */
  const size_t rb = 4 / cb;
  for (size_t r0 = 0; r0 < B; r0 += rb)
    for (size_t c0 = 0; c0 < C; c0 += cb) {
      const float *xr[4], *wr[4];
      arnn_dense_tile_rows(4, r0, c0, cb, B, F, C, x, wt, ldw, xr, wr);
      __m256 lo[4], hi[4];
      for (int i = 0; i < 4; i++) lo[i] = hi[i] = _mm256_setzero_ps();
      for (size_t k = 0; k < F16; k += 16)
        for (int i = 0; i < 4; i++) {
          lo[i] = _mm256_fmadd_ps(_mm256_loadu_ps(xr[i] + k), _mm256_load_ps(wr[i] + k), lo[i]);
          hi[i] = _mm256_fmadd_ps(_mm256_loadu_ps(xr[i] + k + 8), _mm256_load_ps(wr[i] + k + 8), hi[i]);
        }
      if (ftail) {
        for (int i = 0; i < 4; i++)
          lo[i] = arnn_avx2_fmadd_masked(_mm256_maskload_ps(xr[i] + F16, ml), _mm256_load_ps(wr[i] + F16), lo[i], ml);
        if (ftail > 8)
          for (int i = 0; i < 4; i++)
            hi[i] = arnn_avx2_fmadd_masked(_mm256_maskload_ps(xr[i] + F16 + 8, mh), _mm256_load_ps(wr[i] + F16 + 8),
                                           hi[i], mh);
      }
      float z[4];
      _mm_storeu_ps(z, arnn_avx2_tree16_x4(lo[0], hi[0], lo[1], hi[1], lo[2], hi[2], lo[3], hi[3]));
      arnn_dense_store_tile(z, 4, r0, c0, cb, B, C, bias, y);
    }
  if (activation == ARNN_DENSE_ACT_LINEAR) return;
  for (size_t b = 0; b < B; b++) {
    float *yb = y + b * C;
    float m = 0.0f;
    if (activation == ARNN_DENSE_ACT_SOFTMAX) m = arnn_dense_row_max(yb, C);
    const __m256 mv = _mm256_set1_ps(m);
    for (size_t c = 0; c < C; c += 8) {
      const __m256i cm = arnn_avx2_lane_mask((ptrdiff_t)(C - c < 8 ? C - c : 8));
      const __m256 z = _mm256_maskload_ps(yb + c, cm);
      const __m256 v = activation == ARNN_DENSE_ACT_SIGMOID ? arnn_avx2_sigmoid(z)
                                                            : arnn_avx2_exp(_mm256_sub_ps(z, mv));
      _mm256_maskstore_ps(yb + c, cm, v);
    }
    if (activation == ARNN_DENSE_ACT_SOFTMAX) {
      const __m256 sv = _mm256_set1_ps(arnn_dense_row_sum(yb, C));
      for (size_t c = 0; c < C; c += 8) {
        const __m256i cm = arnn_avx2_lane_mask((ptrdiff_t)(C - c < 8 ? C - c : 8));
        _mm256_maskstore_ps(yb + c, cm, _mm256_div_ps(_mm256_maskload_ps(yb + c, cm), sv));
      }
    }
  }
}
