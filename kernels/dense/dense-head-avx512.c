/* Dense classifier head, AVX-512; scalar twin dense-head-scalar.c (same
 * operations in the same order: bit-identical results).
 *
 * Logits in tiles of 8 dot products, one zmm of 16 canonical partial sums
 * each: 1 row x 8 classes when C >= 8, 2 x 4, 4 x 2, or 8 rows x 1 class
 * (C = 1: a GEMV over the batch rows, w reused from L1). The packed weight wt
 * has one zero-padded row of ldw floats per class. The F % 16 tail loads
 * masked and uses a masked FMA (lanes past F keep their value, as in the
 * twin). arnn_avx512_tree16_x8 reduces the 8 dot products at once; rows or
 * classes past the end reuse the last one (results discarded), the bias is
 * added per logit as in the twin. The activation then runs 16 classes per
 * vector with the shared vmath functions; the softmax max and sum are the
 * shared scalar loops of dense.h. */
#include "dense.h"
#include "../common/dot16-avx512-inl.h"
#include "../vmath/vmath-avx512-inl.h"

void arnn_f32_dense_head__avx512(size_t B, size_t F, size_t C, const float *x, const float *wt, size_t ldw,
                                 const float *bias, int activation, float *y) {
  ARNN_KERNEL_ASSERT(arnn_dense_head_args_ok(B, F, C, x, wt, ldw, activation, y));
  const size_t F16 = F & ~(size_t)15;
  const __mmask16 ftail = arnn_avx512_tail_mask(F & 15);
  const size_t cb = C >= 8 ? 8 : C >= 4 ? 4 : C >= 2 ? 2 : 1; /* tile: (8 / cb) rows x cb classes */
  const size_t rb = 8 / cb;
  for (size_t r0 = 0; r0 < B; r0 += rb)
    for (size_t c0 = 0; c0 < C; c0 += cb) {
      const float *xr[8], *wr[8];
      arnn_dense_tile_rows(8, r0, c0, cb, B, F, C, x, wt, ldw, xr, wr);
      __m512 d[8];
      for (int i = 0; i < 8; i++) d[i] = _mm512_setzero_ps();
      for (size_t k = 0; k < F16; k += 16)
        for (int i = 0; i < 8; i++) d[i] = _mm512_fmadd_ps(_mm512_loadu_ps(xr[i] + k), _mm512_load_ps(wr[i] + k), d[i]);
      if (ftail)
        for (int i = 0; i < 8; i++)
          d[i] = _mm512_mask3_fmadd_ps(_mm512_maskz_loadu_ps(ftail, xr[i] + F16), _mm512_load_ps(wr[i] + F16), d[i],
                                       ftail);
      float z[16];
      _mm512_storeu_ps(z, arnn_avx512_tree16_x8(d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]));
      arnn_dense_store_tile(z, 8, r0, c0, cb, B, C, bias, y);
    }
  if (activation == ARNN_DENSE_ACT_LINEAR) return;
  for (size_t b = 0; b < B; b++) {
    float *yb = y + b * C;
    float m = 0.0f;
    if (activation == ARNN_DENSE_ACT_SOFTMAX) m = arnn_dense_row_max(yb, C);
    const __m512 mv = _mm512_set1_ps(m);
    for (size_t c = 0; c < C; c += 16) {
      const __mmask16 cm = C - c >= 16 ? 0xFFFF : arnn_avx512_tail_mask(C - c);
      const __m512 z = _mm512_maskz_loadu_ps(cm, yb + c);
      const __m512 v = activation == ARNN_DENSE_ACT_SIGMOID ? arnn_avx512_sigmoid(z)
                                                            : arnn_avx512_exp(_mm512_sub_ps(z, mv));
      _mm512_mask_storeu_ps(yb + c, cm, v);
    }
    if (activation == ARNN_DENSE_ACT_SOFTMAX) {
      const __m512 sv = _mm512_set1_ps(arnn_dense_row_sum(yb, C));
      for (size_t c = 0; c < C; c += 16) {
        const __mmask16 cm = C - c >= 16 ? 0xFFFF : arnn_avx512_tail_mask(C - c);
        _mm512_mask_storeu_ps(yb + c, cm, _mm512_div_ps(_mm512_maskz_loadu_ps(cm, yb + c), sv));
      }
    }
  }
}
