/* Dense classifier head, AVX-512; scalar twin dense-head-scalar.c (same
 * operations in the same order: bit-identical results).
 *
 * Classes in groups of 8: each x vector (16 features) is loaded once and
 * multiplied into the 8 class rows of the packed weight (wt, one zero-padded
 * row of ldw floats per class), one zmm of 16 canonical partial sums per
 * class; the F % 16 tail loads x masked and uses a masked FMA (lanes past F
 * keep their value, as in the twin). arnn_avx512_tree16_x8 reduces the 8
 * classes at once. Classes past C in the last group reuse class C-1 (result
 * discarded). The activation runs 16 classes per vector with the shared vmath
 * functions; the softmax max and sum are the shared scalar loops of dense.h. */
#include "dense.h"
#include "../attention/dot16-avx512-inl.h"
#include "../vmath/vmath-avx512-inl.h"

void arnn_f32_dense_head__avx512(size_t B, size_t F, size_t C, const float *x, const float *wt, size_t ldw,
                                 const float *bias, int activation, float *y) {
  const size_t F16 = F & ~(size_t)15;
  const __mmask16 ftail = arnn_avx512_tail_mask(F & 15);
  for (size_t b = 0; b < B; b++) {
    const float *xb = x + b * F;
    float *yb = y + b * C;
    for (size_t c0 = 0; c0 < C; c0 += 8) {
      const size_t cb = C - c0 < 8 ? C - c0 : 8;
      const float *r[8];
      for (size_t i = 0; i < 8; i++) r[i] = wt + (c0 + (i < cb ? i : cb - 1)) * ldw;
      __m512 d0 = _mm512_setzero_ps(), d1 = d0, d2 = d0, d3 = d0, d4 = d0, d5 = d0, d6 = d0, d7 = d0;
      for (size_t k = 0; k < F16; k += 16) {
        const __m512 xv = _mm512_loadu_ps(xb + k);
        d0 = _mm512_fmadd_ps(xv, _mm512_load_ps(r[0] + k), d0);
        d1 = _mm512_fmadd_ps(xv, _mm512_load_ps(r[1] + k), d1);
        d2 = _mm512_fmadd_ps(xv, _mm512_load_ps(r[2] + k), d2);
        d3 = _mm512_fmadd_ps(xv, _mm512_load_ps(r[3] + k), d3);
        d4 = _mm512_fmadd_ps(xv, _mm512_load_ps(r[4] + k), d4);
        d5 = _mm512_fmadd_ps(xv, _mm512_load_ps(r[5] + k), d5);
        d6 = _mm512_fmadd_ps(xv, _mm512_load_ps(r[6] + k), d6);
        d7 = _mm512_fmadd_ps(xv, _mm512_load_ps(r[7] + k), d7);
      }
      if (ftail) {
        const __m512 xv = _mm512_maskz_loadu_ps(ftail, xb + F16);
        d0 = _mm512_mask3_fmadd_ps(xv, _mm512_load_ps(r[0] + F16), d0, ftail);
        d1 = _mm512_mask3_fmadd_ps(xv, _mm512_load_ps(r[1] + F16), d1, ftail);
        d2 = _mm512_mask3_fmadd_ps(xv, _mm512_load_ps(r[2] + F16), d2, ftail);
        d3 = _mm512_mask3_fmadd_ps(xv, _mm512_load_ps(r[3] + F16), d3, ftail);
        d4 = _mm512_mask3_fmadd_ps(xv, _mm512_load_ps(r[4] + F16), d4, ftail);
        d5 = _mm512_mask3_fmadd_ps(xv, _mm512_load_ps(r[5] + F16), d5, ftail);
        d6 = _mm512_mask3_fmadd_ps(xv, _mm512_load_ps(r[6] + F16), d6, ftail);
        d7 = _mm512_mask3_fmadd_ps(xv, _mm512_load_ps(r[7] + F16), d7, ftail);
      }
      const __mmask16 cm = arnn_avx512_tail_mask(cb);
      __m512 z = arnn_avx512_tree16_x8(d0, d1, d2, d3, d4, d5, d6, d7);
      if (bias != NULL) z = _mm512_add_ps(z, _mm512_maskz_loadu_ps(cm, bias + c0));
      _mm512_mask_storeu_ps(yb + c0, cm, z);
    }
    if (activation == ARNN_DENSE_ACT_LINEAR) continue;
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
