/* Dense classifier head, AVX2+FMA; scalar twin dense-head-scalar.c (same
 * operations in the same order: bit-identical results).
 *
 * Classes in groups of 4: each pair of x vectors (16 features) is loaded once
 * and multiplied into the 4 class rows of the packed weight (wt, one
 * zero-padded row of ldw floats per class); the 16 canonical partial sums of
 * one class live in two ymm (lanes 0-7, 8-15). The F % 16 tail loads x masked
 * and blends the FMA result into the masked lanes only, as the twin skips
 * them. arnn_avx2_tree16_x4 reduces the 4 classes at once; classes past C
 * reuse class C-1 (result discarded). The activation runs 8 classes per
 * vector with the shared vmath functions; the softmax max and sum are the
 * shared scalar loops of dense.h. */
#include "dense.h"
#include "../attention/dot16-avx2-inl.h"
#include "../vmath/vmath-avx2-inl.h"

void arnn_f32_dense_head__avx2(size_t B, size_t F, size_t C, const float *x, const float *wt, size_t ldw,
                               const float *bias, int activation, float *y) {
  const size_t F16 = F & ~(size_t)15, ftail = F & 15;
  for (size_t b = 0; b < B; b++) {
    const float *xb = x + b * F;
    float *yb = y + b * C;
    for (size_t c0 = 0; c0 < C; c0 += 4) {
      const size_t cb = C - c0 < 4 ? C - c0 : 4;
      const float *r[4];
      for (size_t i = 0; i < 4; i++) r[i] = wt + (c0 + (i < cb ? i : cb - 1)) * ldw;
      __m256 l0 = _mm256_setzero_ps(), h0 = l0, l1 = l0, h1 = l0, l2 = l0, h2 = l0, l3 = l0, h3 = l0;
      for (size_t k = 0; k < F16; k += 16) {
        const __m256 xl = _mm256_loadu_ps(xb + k), xh = _mm256_loadu_ps(xb + k + 8);
        l0 = _mm256_fmadd_ps(xl, _mm256_load_ps(r[0] + k), l0);
        h0 = _mm256_fmadd_ps(xh, _mm256_load_ps(r[0] + k + 8), h0);
        l1 = _mm256_fmadd_ps(xl, _mm256_load_ps(r[1] + k), l1);
        h1 = _mm256_fmadd_ps(xh, _mm256_load_ps(r[1] + k + 8), h1);
        l2 = _mm256_fmadd_ps(xl, _mm256_load_ps(r[2] + k), l2);
        h2 = _mm256_fmadd_ps(xh, _mm256_load_ps(r[2] + k + 8), h2);
        l3 = _mm256_fmadd_ps(xl, _mm256_load_ps(r[3] + k), l3);
        h3 = _mm256_fmadd_ps(xh, _mm256_load_ps(r[3] + k + 8), h3);
      }
      if (ftail) {
        const __m256i ml = arnn_avx2_lane_mask((ptrdiff_t)ftail);
        const __m256 xl = _mm256_maskload_ps(xb + F16, ml);
        l0 = arnn_avx2_fmadd_masked(xl, _mm256_load_ps(r[0] + F16), l0, ml);
        l1 = arnn_avx2_fmadd_masked(xl, _mm256_load_ps(r[1] + F16), l1, ml);
        l2 = arnn_avx2_fmadd_masked(xl, _mm256_load_ps(r[2] + F16), l2, ml);
        l3 = arnn_avx2_fmadd_masked(xl, _mm256_load_ps(r[3] + F16), l3, ml);
        if (ftail > 8) {
          const __m256i mh = arnn_avx2_lane_mask((ptrdiff_t)ftail - 8);
          const __m256 xh = _mm256_maskload_ps(xb + F16 + 8, mh);
          h0 = arnn_avx2_fmadd_masked(xh, _mm256_load_ps(r[0] + F16 + 8), h0, mh);
          h1 = arnn_avx2_fmadd_masked(xh, _mm256_load_ps(r[1] + F16 + 8), h1, mh);
          h2 = arnn_avx2_fmadd_masked(xh, _mm256_load_ps(r[2] + F16 + 8), h2, mh);
          h3 = arnn_avx2_fmadd_masked(xh, _mm256_load_ps(r[3] + F16 + 8), h3, mh);
        }
      }
      const __m128i cm = _mm_cmpgt_epi32(_mm_set1_epi32((int)cb), _mm_setr_epi32(0, 1, 2, 3));
      __m128 z = arnn_avx2_tree16_x4(l0, h0, l1, h1, l2, h2, l3, h3);
      if (bias != NULL) z = _mm_add_ps(z, _mm_maskload_ps(bias + c0, cm));
      _mm_maskstore_ps(yb + c0, cm, z);
    }
    if (activation == ARNN_DENSE_ACT_LINEAR) continue;
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
