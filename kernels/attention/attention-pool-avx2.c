/* Fused attention pooling, AVX2+FMA; scalar twin attention-pool-scalar.c (same
 * operations in the same order: bit-identical results).
 *
 * Same structure as attention-pool-avx512.c: one pass over the sequence in
 * blocks of 8 timesteps.
 *   1. Scores: one row at a time (a single stream of x), its 64 partial sums
 *      (arnn_scalar_dot64 order) in 8 ymm, i.e. 8 independent FMA chains;
 *      the F % 64 tail with masked loads and a blended FMA (lanes past F keep
 *      their value, as the twin skips them). Each row's sums are folded to 16
 *      lanes (lo, hi) and arnn_avx2_tree16_x4 runs four canonical trees at once.
 *   2. + b_t, tanh, exp on the 8 scores (shared vmath functions), masked steps
 *      set to 0; S += a_t in increasing t.
 *   3. c_f = fma(a_t, x_t[f], c_f) for the kept rows, increasing t, four
 *      8-feature chunks side by side (four independent chains), issued one
 *      block late (after the next block's scores, rows still in L1) so the
 *      tanh/exp chain of a block overlaps with the previous block's update.
 * All-masked blocks are skipped; rows past T reuse row T-1 (scores discarded).
 * Finally c and a are divided by d = S + eps (true division). */
#include "attention.h"
#include "../common/dot16-avx2-inl.h"
#include "../common/dot16-scalar-inl.h"
#include "../vmath/vmath-avx2-inl.h"

/* Row r dotted with w in the order of arnn_scalar_dot64: 64 partial sums in
 * 8 ymm (lanes 8q .. 8q+7 in acc[q]); the tail (ymm q active on the lanes of
 * tm[q]) with blended FMAs. Returns the sums folded to 16 lanes:
 * lo = (a0 + a4) + (a2 + a6), hi = (a1 + a5) + (a3 + a7). */
static inline void dot64_row(const float *r, const float *w, size_t F64, const __m256i *tm, int tail, __m256 *lo,
                             __m256 *hi) {
  __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
  for (size_t k = 0; k < F64; k += 64) {
    a0 = _mm256_fmadd_ps(_mm256_loadu_ps(r + k), _mm256_loadu_ps(w + k), a0);
    a1 = _mm256_fmadd_ps(_mm256_loadu_ps(r + k + 8), _mm256_loadu_ps(w + k + 8), a1);
    a2 = _mm256_fmadd_ps(_mm256_loadu_ps(r + k + 16), _mm256_loadu_ps(w + k + 16), a2);
    a3 = _mm256_fmadd_ps(_mm256_loadu_ps(r + k + 24), _mm256_loadu_ps(w + k + 24), a3);
    a4 = _mm256_fmadd_ps(_mm256_loadu_ps(r + k + 32), _mm256_loadu_ps(w + k + 32), a4);
    a5 = _mm256_fmadd_ps(_mm256_loadu_ps(r + k + 40), _mm256_loadu_ps(w + k + 40), a5);
    a6 = _mm256_fmadd_ps(_mm256_loadu_ps(r + k + 48), _mm256_loadu_ps(w + k + 48), a6);
    a7 = _mm256_fmadd_ps(_mm256_loadu_ps(r + k + 56), _mm256_loadu_ps(w + k + 56), a7);
  }
  if (tail) {
    __m256 acc[8] = {a0, a1, a2, a3, a4, a5, a6, a7};
    for (int q = 0; q < 8 && 8 * q < tail; q++)
      acc[q] = arnn_avx2_fmadd_masked(_mm256_maskload_ps(r + F64 + 8 * q, tm[q]),
                                      _mm256_maskload_ps(w + F64 + 8 * q, tm[q]), acc[q], tm[q]);
    a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3], a4 = acc[4], a5 = acc[5], a6 = acc[6], a7 = acc[7];
  }
  *lo = _mm256_add_ps(_mm256_add_ps(a0, a4), _mm256_add_ps(a2, a6));
  *hi = _mm256_add_ps(_mm256_add_ps(a1, a5), _mm256_add_ps(a3, a7));
}

/* c_f = fma(a_j, x_j[f], c_f) over the n rows in order, for 8 features at f
 * (masked loads with m in the tail; lanes past F compute 0 and are not stored). */
static inline __m256 context_update(__m256 cv, const float *const *rows, const __m256 *av, int n, size_t f,
                                    __m256i m) {
  for (int j = 0; j < n; j++) cv = _mm256_fmadd_ps(av[j], _mm256_maskload_ps(rows[j] + f, m), cv);
  return cv;
}

/* The kept rows of one block whose context update is pending, with a_t. */
typedef struct {
  const float *rows[8];
  __m256 a[8];
  int n;
} pending_rows;

/* c_f = fma(a_j, x_j[f], c_f) over the pending rows, in order, all features. */
static inline void context_block(float *c, size_t F8, int has_tail, __m256i cmask, const pending_rows *p) {
  if (p->n == 8) {
    /* four 8-feature chunks side by side: four independent FMA chains */
    size_t f = 0;
    for (; f + 32 <= F8; f += 32) {
      __m256 c0 = _mm256_loadu_ps(c + f), c1 = _mm256_loadu_ps(c + f + 8);
      __m256 c2 = _mm256_loadu_ps(c + f + 16), c3 = _mm256_loadu_ps(c + f + 24);
      for (int j = 0; j < 8; j++) {
        const float *xr = p->rows[j] + f;
        c0 = _mm256_fmadd_ps(p->a[j], _mm256_loadu_ps(xr), c0);
        c1 = _mm256_fmadd_ps(p->a[j], _mm256_loadu_ps(xr + 8), c1);
        c2 = _mm256_fmadd_ps(p->a[j], _mm256_loadu_ps(xr + 16), c2);
        c3 = _mm256_fmadd_ps(p->a[j], _mm256_loadu_ps(xr + 24), c3);
      }
      _mm256_storeu_ps(c + f, c0);
      _mm256_storeu_ps(c + f + 8, c1);
      _mm256_storeu_ps(c + f + 16, c2);
      _mm256_storeu_ps(c + f + 24, c3);
    }
    for (; f < F8; f += 8) {
      __m256 cv = _mm256_loadu_ps(c + f);
      for (int j = 0; j < 8; j++) cv = _mm256_fmadd_ps(p->a[j], _mm256_loadu_ps(p->rows[j] + f), cv);
      _mm256_storeu_ps(c + f, cv);
    }
  } else {
    for (size_t f = 0; f < F8; f += 8)
      _mm256_storeu_ps(c + f, context_update(_mm256_loadu_ps(c + f), p->rows, p->a, p->n, f, _mm256_set1_epi32(-1)));
  }
  if (has_tail)
    _mm256_maskstore_ps(c + F8, cmask, context_update(_mm256_maskload_ps(c + F8, cmask), p->rows, p->a, p->n, F8, cmask));
}

void arnn_f32_attention_pool__avx2(size_t T, size_t F, const float *x, const float *w, const float *bias,
                                   const uint8_t *mask, float eps, float *c, float *a) {
  ARNN_KERNEL_ASSERT(arnn_attention_pool_args_ok(T, F, x, w, bias, mask, eps, c, a));
  const size_t F64 = F & ~(size_t)63, F8 = F & ~(size_t)7;
  const int tail = (int)(F - F64);
  __m256i tm[8]; /* lanes of the F % 64 tail in each 8-lane eighth */
  for (int q = 0; q < 8; q++) tm[q] = arnn_avx2_lane_mask((ptrdiff_t)tail - 8 * q);
  const __m256i cmask = arnn_avx2_tail_mask(F & 7);
  for (size_t f = 0; f < F8; f += 8) _mm256_storeu_ps(c + f, _mm256_setzero_ps());
  if (F & 7) _mm256_maskstore_ps(c + F8, cmask, _mm256_setzero_ps());

  __m256 sv[2] = {_mm256_setzero_ps(), _mm256_setzero_ps()}; /* S_j, j = t mod 16 */
  pending_rows pending;
  pending.n = 0;
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

    /* 1. eight dot products, one row at a time (arnn_scalar_dot64 order) */
    __m256 lo[8], hi[8];
    for (int i = 0; i < 8; i++) dot64_row(r[i], w, F64, tm, tail, &lo[i], &hi[i]);
    __m256 s = _mm256_set_m128(arnn_avx2_tree16_x4(lo[4], hi[4], lo[5], hi[5], lo[6], hi[6], lo[7], hi[7]),
                               arnn_avx2_tree16_x4(lo[0], hi[0], lo[1], hi[1], lo[2], hi[2], lo[3], hi[3]));

    /* 2. scores -> unnormalized weights; masked steps (and lanes >= tb) are 0 */
    if (bias != NULL) s = _mm256_add_ps(s, _mm256_maskload_ps(bias + t0, tmask));
    const __m256i keepv = _mm256_cmpgt_epi32(
        _mm256_and_si256(_mm256_set1_epi32((int)keep), _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128)),
        _mm256_setzero_si256());
    const __m256 av = _mm256_and_ps(_mm256_castsi256_ps(keepv), arnn_avx2_exp(arnn_avx2_tanh(s)));
    if (a != NULL) _mm256_maskstore_ps(a + t0, tmask, av);
    /* masked lanes of av are +0: adding them leaves S_j unchanged */
    sv[t0 >> 3 & 1] = _mm256_add_ps(sv[t0 >> 3 & 1], av);
    float at[8];
    _mm256_storeu_ps(at, av);

    /* 3. the previous block's context update (independent of this block's
     * tanh/exp chain, so the two overlap), then this block's kept rows
     * become pending */
    if (pending.n) context_block(c, F8, (F & 7) != 0, cmask, &pending);
    pending.n = 0;
    for (size_t i = 0; i < tb; i++)
      if (keep >> i & 1) {
        pending.rows[pending.n] = r[i];
        pending.a[pending.n++] = _mm256_set1_ps(at[i]);
      }
  }
  if (pending.n) context_block(c, F8, (F & 7) != 0, cmask, &pending);

  float S[16];
  _mm256_storeu_ps(S, sv[0]);
  _mm256_storeu_ps(S + 8, sv[1]);
  const float d = arnn_scalar_tree16(S) + eps;
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
