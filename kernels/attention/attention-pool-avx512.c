/* Fused attention pooling, AVX-512; scalar twin attention-pool-scalar.c (same
 * operations in the same order: bit-identical results).
 *
 * The sequence is walked once, in blocks of 8 timesteps (8 rows of x, 8 KiB
 * for F = 256, stay in L1 between the two uses):
 *   1. 8 dot products x_t . w side by side: one zmm of 16 partial sums per
 *      row, each w vector loaded once and used for all 8 rows; the F % 16 tail
 *      with masked loads and a masked FMA (masked lanes keep their value).
 *      The 8 trees run together (arnn_avx512_tree16_x8) and leave the 8
 *      scores in one vector.
 *   2. + b_t, tanh, exp on that vector (shared vmath functions), masked steps
 *      set to 0; S += a_t in increasing t (scalar adds, as in the twin).
 *   3. c_f = fma(a_t, x_t[f], c_f) for the kept rows of the block, increasing
 *      t, 16 features per vector, while the rows are still in L1.
 * A block whose steps are all masked (padding) is skipped entirely. Rows past
 * T in the last block reuse row T-1 for the dot products; their scores are
 * discarded. Finally c and a are divided by d = S + eps (true division). */
#include "attention.h"
#include "dot16-avx512-inl.h"
#include "../vmath/vmath-avx512-inl.h"

/* c_f = fma(a_i, x_i[f], c_f) over the n rows listed in rows[] (in order),
 * for the 16 (or, with mask m, fewer) features at offset f. */
static inline __m512 context_update(__m512 cv, const float *const *rows, const __m512 *av, int n, size_t f,
                                    __mmask16 m) {
  for (int j = 0; j < n; j++) cv = _mm512_fmadd_ps(av[j], _mm512_maskz_loadu_ps(m, rows[j] + f), cv);
  return cv;
}

void arnn_f32_attention_pool__avx512(size_t T, size_t F, const float *x, const float *w, const float *bias,
                                     const uint8_t *mask, float eps, float *c, float *a) {
  const size_t F16 = F & ~(size_t)15;
  const __mmask16 ftail = arnn_avx512_tail_mask(F & 15);
  for (size_t f = 0; f < F16; f += 16) _mm512_storeu_ps(c + f, _mm512_setzero_ps());
  if (ftail) _mm512_mask_storeu_ps(c + F16, ftail, _mm512_setzero_ps());

  float sum = 0.0f;
  for (size_t t0 = 0; t0 < T; t0 += 8) {
    const size_t tb = T - t0 < 8 ? T - t0 : 8;
    const __mmask16 tmask = arnn_avx512_tail_mask(tb);
    unsigned keep = 0;
    for (size_t i = 0; i < tb; i++) keep |= (unsigned)(mask == NULL || mask[t0 + i] != 0) << i;
    if (keep == 0) {
      if (a != NULL) _mm512_mask_storeu_ps(a + t0, tmask, _mm512_setzero_ps());
      continue;
    }
    const float *r[8];
    for (size_t i = 0; i < 8; i++) r[i] = x + (t0 + (i < tb ? i : tb - 1)) * F;

    /* 1. eight dot products, canonical 16-lane order */
    __m512 d0 = _mm512_setzero_ps(), d1 = d0, d2 = d0, d3 = d0, d4 = d0, d5 = d0, d6 = d0, d7 = d0;
    for (size_t k = 0; k < F16; k += 16) {
      const __m512 wv = _mm512_loadu_ps(w + k);
      d0 = _mm512_fmadd_ps(_mm512_loadu_ps(r[0] + k), wv, d0);
      d1 = _mm512_fmadd_ps(_mm512_loadu_ps(r[1] + k), wv, d1);
      d2 = _mm512_fmadd_ps(_mm512_loadu_ps(r[2] + k), wv, d2);
      d3 = _mm512_fmadd_ps(_mm512_loadu_ps(r[3] + k), wv, d3);
      d4 = _mm512_fmadd_ps(_mm512_loadu_ps(r[4] + k), wv, d4);
      d5 = _mm512_fmadd_ps(_mm512_loadu_ps(r[5] + k), wv, d5);
      d6 = _mm512_fmadd_ps(_mm512_loadu_ps(r[6] + k), wv, d6);
      d7 = _mm512_fmadd_ps(_mm512_loadu_ps(r[7] + k), wv, d7);
    }
    if (ftail) {
      const __m512 wv = _mm512_maskz_loadu_ps(ftail, w + F16);
      d0 = _mm512_mask3_fmadd_ps(_mm512_maskz_loadu_ps(ftail, r[0] + F16), wv, d0, ftail);
      d1 = _mm512_mask3_fmadd_ps(_mm512_maskz_loadu_ps(ftail, r[1] + F16), wv, d1, ftail);
      d2 = _mm512_mask3_fmadd_ps(_mm512_maskz_loadu_ps(ftail, r[2] + F16), wv, d2, ftail);
      d3 = _mm512_mask3_fmadd_ps(_mm512_maskz_loadu_ps(ftail, r[3] + F16), wv, d3, ftail);
      d4 = _mm512_mask3_fmadd_ps(_mm512_maskz_loadu_ps(ftail, r[4] + F16), wv, d4, ftail);
      d5 = _mm512_mask3_fmadd_ps(_mm512_maskz_loadu_ps(ftail, r[5] + F16), wv, d5, ftail);
      d6 = _mm512_mask3_fmadd_ps(_mm512_maskz_loadu_ps(ftail, r[6] + F16), wv, d6, ftail);
      d7 = _mm512_mask3_fmadd_ps(_mm512_maskz_loadu_ps(ftail, r[7] + F16), wv, d7, ftail);
    }
    __m512 s = arnn_avx512_tree16_x8(d0, d1, d2, d3, d4, d5, d6, d7);

    /* 2. scores -> unnormalized weights; masked steps (and lanes >= tb) are 0 */
    if (bias != NULL) s = _mm512_add_ps(s, _mm512_maskz_loadu_ps(tmask, bias + t0));
    const __m512 av = _mm512_maskz_mov_ps(_cvtu32_mask16(keep), arnn_avx512_exp(arnn_avx512_tanh(s)));
    if (a != NULL) _mm512_mask_storeu_ps(a + t0, tmask, av);
    float at[16];
    _mm512_storeu_ps(at, av);

    /* 3. context update over the kept rows, in increasing t */
    const float *rows[8];
    __m512 ab[8];
    int n = 0;
    for (size_t i = 0; i < tb; i++)
      if (keep >> i & 1) {
        sum = sum + at[i];
        rows[n] = r[i];
        ab[n++] = _mm512_set1_ps(at[i]);
      }
    if (n == 8) {
      for (size_t f = 0; f < F16; f += 16) {
        __m512 cv = _mm512_loadu_ps(c + f);
        cv = _mm512_fmadd_ps(ab[0], _mm512_loadu_ps(rows[0] + f), cv);
        cv = _mm512_fmadd_ps(ab[1], _mm512_loadu_ps(rows[1] + f), cv);
        cv = _mm512_fmadd_ps(ab[2], _mm512_loadu_ps(rows[2] + f), cv);
        cv = _mm512_fmadd_ps(ab[3], _mm512_loadu_ps(rows[3] + f), cv);
        cv = _mm512_fmadd_ps(ab[4], _mm512_loadu_ps(rows[4] + f), cv);
        cv = _mm512_fmadd_ps(ab[5], _mm512_loadu_ps(rows[5] + f), cv);
        cv = _mm512_fmadd_ps(ab[6], _mm512_loadu_ps(rows[6] + f), cv);
        cv = _mm512_fmadd_ps(ab[7], _mm512_loadu_ps(rows[7] + f), cv);
        _mm512_storeu_ps(c + f, cv);
      }
    } else {
      for (size_t f = 0; f < F16; f += 16)
        _mm512_storeu_ps(c + f, context_update(_mm512_loadu_ps(c + f), rows, ab, n, f, 0xFFFF));
    }
    if (ftail)
      _mm512_mask_storeu_ps(c + F16, ftail,
                            context_update(_mm512_maskz_loadu_ps(ftail, c + F16), rows, ab, n, F16, ftail));
  }

  const float d = sum + eps;
  if (d == 0.0f) return; /* every step masked, eps == 0: c and a are already 0 */
  const __m512 dv = _mm512_set1_ps(d);
  for (size_t f = 0; f < F16; f += 16) _mm512_storeu_ps(c + f, _mm512_div_ps(_mm512_loadu_ps(c + f), dv));
  if (ftail) _mm512_mask_storeu_ps(c + F16, ftail, _mm512_div_ps(_mm512_maskz_loadu_ps(ftail, c + F16), dv));
  if (a != NULL) {
    size_t t = 0;
    for (; t + 16 <= T; t += 16) _mm512_storeu_ps(a + t, _mm512_div_ps(_mm512_loadu_ps(a + t), dv));
    if (t < T) {
      const __mmask16 m = arnn_avx512_tail_mask(T - t);
      _mm512_mask_storeu_ps(a + t, m, _mm512_div_ps(_mm512_maskz_loadu_ps(m, a + t), dv));
    }
  }
}
