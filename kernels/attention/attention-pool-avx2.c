/* Fused attention pooling, AVX2+FMA; scalar twin attention-pool-scalar.c (same
 * operations in the same order: bit-identical results).
 *
 * Same structure as attention-pool-avx512.c: one pass over the sequence in
 * blocks of 8 timesteps.
 *   1. Dot products in two groups of 4 rows (16 ymm registers would not hold
 *      8 rows): the 16 canonical partial sums of one row live in two ymm
 *      (lanes 0-7 and 8-15), each pair of w vectors is loaded once per group;
 *      the F % 16 tail uses masked loads and a masked FMA (blend), so lanes
 *      past F keep their value as in the twin. arnn_avx2_tree16_x4 runs four
 *      canonical trees at once.
 *   2. + b_t, tanh, exp on the 8 scores (shared vmath functions), masked steps
 *      set to 0; S += a_t in increasing t.
 *   3. c_f = fma(a_t, x_t[f], c_f) for the kept rows, increasing t, 8 features
 *      per vector, while the rows are in L1.
 * All-masked blocks are skipped; rows past T reuse row T-1 (scores discarded).
 * Finally c and a are divided by d = S + eps (true division). */
#include "attention.h"
#include "dot16-avx2-inl.h"
#include "../vmath/vmath-avx2-inl.h"

/* Four canonical dot products x_{r[i]} . w, i < 4. */
static inline __m128 dot4(const float *const *r, const float *w, size_t F16, size_t ftail) {
  __m256 l0 = _mm256_setzero_ps(), h0 = l0, l1 = l0, h1 = l0, l2 = l0, h2 = l0, l3 = l0, h3 = l0;
  for (size_t k = 0; k < F16; k += 16) {
    const __m256 wl = _mm256_loadu_ps(w + k), wh = _mm256_loadu_ps(w + k + 8);
    l0 = _mm256_fmadd_ps(_mm256_loadu_ps(r[0] + k), wl, l0);
    h0 = _mm256_fmadd_ps(_mm256_loadu_ps(r[0] + k + 8), wh, h0);
    l1 = _mm256_fmadd_ps(_mm256_loadu_ps(r[1] + k), wl, l1);
    h1 = _mm256_fmadd_ps(_mm256_loadu_ps(r[1] + k + 8), wh, h1);
    l2 = _mm256_fmadd_ps(_mm256_loadu_ps(r[2] + k), wl, l2);
    h2 = _mm256_fmadd_ps(_mm256_loadu_ps(r[2] + k + 8), wh, h2);
    l3 = _mm256_fmadd_ps(_mm256_loadu_ps(r[3] + k), wl, l3);
    h3 = _mm256_fmadd_ps(_mm256_loadu_ps(r[3] + k + 8), wh, h3);
  }
  if (ftail) {
    const __m256i ml = arnn_avx2_lane_mask((ptrdiff_t)ftail);
    const __m256 wl = _mm256_maskload_ps(w + F16, ml);
    l0 = arnn_avx2_fmadd_masked(_mm256_maskload_ps(r[0] + F16, ml), wl, l0, ml);
    l1 = arnn_avx2_fmadd_masked(_mm256_maskload_ps(r[1] + F16, ml), wl, l1, ml);
    l2 = arnn_avx2_fmadd_masked(_mm256_maskload_ps(r[2] + F16, ml), wl, l2, ml);
    l3 = arnn_avx2_fmadd_masked(_mm256_maskload_ps(r[3] + F16, ml), wl, l3, ml);
    if (ftail > 8) {
      const __m256i mh = arnn_avx2_lane_mask((ptrdiff_t)ftail - 8);
      const __m256 wh = _mm256_maskload_ps(w + F16 + 8, mh);
      h0 = arnn_avx2_fmadd_masked(_mm256_maskload_ps(r[0] + F16 + 8, mh), wh, h0, mh);
      h1 = arnn_avx2_fmadd_masked(_mm256_maskload_ps(r[1] + F16 + 8, mh), wh, h1, mh);
      h2 = arnn_avx2_fmadd_masked(_mm256_maskload_ps(r[2] + F16 + 8, mh), wh, h2, mh);
      h3 = arnn_avx2_fmadd_masked(_mm256_maskload_ps(r[3] + F16 + 8, mh), wh, h3, mh);
    }
  }
  return arnn_avx2_tree16_x4(l0, h0, l1, h1, l2, h2, l3, h3);
}

/* c_f = fma(a_j, x_j[f], c_f) over the n rows in order, for 8 features at f
 * (masked loads with m in the tail; lanes past F compute 0 and are not stored). */
static inline __m256 context_update(__m256 cv, const float *const *rows, const __m256 *av, int n, size_t f,
                                    __m256i m) {
  for (int j = 0; j < n; j++) cv = _mm256_fmadd_ps(av[j], _mm256_maskload_ps(rows[j] + f, m), cv);
  return cv;
}

void arnn_f32_attention_pool__avx2(size_t T, size_t F, const float *x, const float *w, const float *bias,
                                   const uint8_t *mask, float eps, float *c, float *a) {
  const size_t F16 = F & ~(size_t)15, ftail = F & 15;
  const size_t F8 = F & ~(size_t)7;
  const __m256i all = _mm256_set1_epi32(-1);
  const __m256i cmask = arnn_avx2_tail_mask(F & 7);
  for (size_t f = 0; f < F8; f += 8) _mm256_storeu_ps(c + f, _mm256_setzero_ps());
  if (F & 7) _mm256_maskstore_ps(c + F8, cmask, _mm256_setzero_ps());

  float sum = 0.0f;
  for (size_t t0 = 0; t0 < T; t0 += 8) {
    const size_t tb = T - t0 < 8 ? T - t0 : 8;
    const __m256i tmask = arnn_avx2_lane_mask((ptrdiff_t)tb);
    unsigned keep = 0;
    for (size_t i = 0; i < tb; i++) keep |= (unsigned)(mask == NULL || mask[t0 + i] != 0) << i;
    if (keep == 0) {
      if (a != NULL) _mm256_maskstore_ps(a + t0, tmask, _mm256_setzero_ps());
      continue;
    }
    const float *r[8];
    for (size_t i = 0; i < 8; i++) r[i] = x + (t0 + (i < tb ? i : tb - 1)) * F;

    /* 1. eight dot products, canonical 16-lane order */
    __m256 s = _mm256_set_m128(dot4(r + 4, w, F16, ftail), dot4(r, w, F16, ftail));

    /* 2. scores -> unnormalized weights; masked steps (and lanes >= tb) are 0 */
    if (bias != NULL) s = _mm256_add_ps(s, _mm256_maskload_ps(bias + t0, tmask));
    const __m256i keepv = _mm256_cmpgt_epi32(
        _mm256_and_si256(_mm256_set1_epi32((int)keep), _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128)),
        _mm256_setzero_si256());
    const __m256 av = _mm256_and_ps(_mm256_castsi256_ps(keepv), arnn_avx2_exp(arnn_avx2_tanh(s)));
    if (a != NULL) _mm256_maskstore_ps(a + t0, tmask, av);
    float at[8];
    _mm256_storeu_ps(at, av);

    /* 3. context update over the kept rows, in increasing t */
    const float *rows[8];
    __m256 ab[8];
    int n = 0;
    for (size_t i = 0; i < tb; i++)
      if (keep >> i & 1) {
        sum = sum + at[i];
        rows[n] = r[i];
        ab[n++] = _mm256_set1_ps(at[i]);
      }
    if (n == 8) {
      for (size_t f = 0; f < F8; f += 8) {
        __m256 cv = _mm256_loadu_ps(c + f);
        cv = _mm256_fmadd_ps(ab[0], _mm256_loadu_ps(rows[0] + f), cv);
        cv = _mm256_fmadd_ps(ab[1], _mm256_loadu_ps(rows[1] + f), cv);
        cv = _mm256_fmadd_ps(ab[2], _mm256_loadu_ps(rows[2] + f), cv);
        cv = _mm256_fmadd_ps(ab[3], _mm256_loadu_ps(rows[3] + f), cv);
        cv = _mm256_fmadd_ps(ab[4], _mm256_loadu_ps(rows[4] + f), cv);
        cv = _mm256_fmadd_ps(ab[5], _mm256_loadu_ps(rows[5] + f), cv);
        cv = _mm256_fmadd_ps(ab[6], _mm256_loadu_ps(rows[6] + f), cv);
        cv = _mm256_fmadd_ps(ab[7], _mm256_loadu_ps(rows[7] + f), cv);
        _mm256_storeu_ps(c + f, cv);
      }
    } else {
      for (size_t f = 0; f < F8; f += 8)
        _mm256_storeu_ps(c + f, context_update(_mm256_loadu_ps(c + f), rows, ab, n, f, all));
    }
    if (F & 7)
      _mm256_maskstore_ps(c + F8, cmask, context_update(_mm256_maskload_ps(c + F8, cmask), rows, ab, n, F8, cmask));
  }

  const float d = sum + eps;
  if (d == 0.0f) return; /* every step masked, eps == 0: c and a are already 0 */
  const __m256 dv = _mm256_set1_ps(d);
  for (size_t f = 0; f < F8; f += 8) _mm256_storeu_ps(c + f, _mm256_div_ps(_mm256_loadu_ps(c + f), dv));
  if (F & 7) _mm256_maskstore_ps(c + F8, cmask, _mm256_div_ps(_mm256_maskload_ps(c + F8, cmask), dv));
  if (a != NULL) {
    size_t t = 0;
    for (; t + 8 <= T; t += 8) _mm256_storeu_ps(a + t, _mm256_div_ps(_mm256_loadu_ps(a + t), dv));
    if (t < T) {
      const __m256i m = arnn_avx2_tail_mask(T - t);
      _mm256_maskstore_ps(a + t, m, _mm256_div_ps(_mm256_maskload_ps(a + t, m), dv));
    }
  }
}
