/* Fused attention pooling, AArch64 NEON; scalar twin attention-pool-scalar.c
 * (same operations in the same order: bit-identical results).
 *
 * One pass over the sequence in blocks of 4 timesteps (one q-register of
 * scores):
 *   1. Scores: one row at a time, its 64 partial sums (arnn_scalar_dot64
 *      order) in 16 q-registers, i.e. 16 independent FMA chains; the F % 64
 *      tail from zero-padded stack copies of the row and of w, with a masked
 *      FMA (lanes past F keep their value, as the twin skips them). Each
 *      row's sums are folded to 16 lanes (p[j] += p[j+32], p[j] += p[j+16])
 *      and arnn_neon_tree16_x4 runs the four canonical trees at once.
 *   2. + b_t, tanh, exp on the 4 scores (shared vmath functions); masked
 *      steps get a_t = +0 and are skipped below; S += a_t in increasing t.
 *   3. c_f = fma(a_t, x_t[f], c_f) for the kept rows in increasing t, four
 *      4-feature chunks side by side (four independent chains); the F % 4
 *      tail with scalar fmaf (the same single rounding).
 * Rows past T reuse row T-1 (scores discarded). Finally c and a are divided
 * by d = S + eps (true division), skipped when d == 0. */
#include <math.h>

#include "attention.h"
#include "../common/dot16-neon-inl.h"
#include "../common/dot16-scalar-inl.h"
#include "../vmath/vmath-neon-inl.h"

/* Row r dotted with w in the order of arnn_scalar_dot64: acc[q] holds lanes
 * 4q .. 4q+3 of the 64 partial sums. rt / wt: the F % 64 tail of the row and
 * of w, zero-padded to 64. Returns the sums folded to 16 lanes in v[0..3]:
 * v[q] = (a[q] + a[q+8]) + (a[q+4] + a[q+12]). */
static inline void dot64_row(const float *r, const float *w, size_t F64, size_t tail, const float *wt,
                             float32x4_t v[4]) {
  float32x4_t a[16];
  for (int q = 0; q < 16; q++) a[q] = vdupq_n_f32(0.0f);
  for (size_t k = 0; k < F64; k += 64)
    for (int q = 0; q < 16; q++) a[q] = vfmaq_f32(a[q], vld1q_f32(r + k + 4 * q), vld1q_f32(w + k + 4 * q));
  if (tail) {
    float rt[64] = {0};
    memcpy(rt, r + F64, tail * sizeof(float));
    /* all 16 (a constant trip count, so GCC keeps a[] in registers; lanes
     * past the tail keep their value) */
    for (int q = 0; q < 16; q++)
      a[q] = arnn_neon_fmadd_masked(vld1q_f32(rt + 4 * q), vld1q_f32(wt + 4 * q), a[q],
                                    arnn_neon_lane_mask((ptrdiff_t)tail - 4 * q));
  }
  for (int q = 0; q < 4; q++) v[q] = vaddq_f32(vaddq_f32(a[q], a[q + 8]), vaddq_f32(a[q + 4], a[q + 12]));
}

/* c_f = fma(a_j, x_j[f], c_f) over the n rows in order, all features. */
static void context_block(float *c, size_t F, const float *const *rows, const float *at, int n) {
  size_t f = 0;
  if (n == 4) {
    /* a full block: the four rows unrolled, so c is loaded and stored once
     * per 16 features for 64 FMAs (the generic loop below reloads the row
     * pointer and a_j for every 16 FMAs) */
    const float32x4_t a0 = vdupq_n_f32(at[0]), a1 = vdupq_n_f32(at[1]);
    const float32x4_t a2 = vdupq_n_f32(at[2]), a3 = vdupq_n_f32(at[3]);
    const float *x0 = rows[0], *x1 = rows[1], *x2 = rows[2], *x3 = rows[3];
    for (; f + 16 <= F; f += 16)
      for (size_t q = 0; q < 16; q += 4) {
        float32x4_t cv = vld1q_f32(c + f + q);
        cv = vfmaq_f32(cv, a0, vld1q_f32(x0 + f + q));
        cv = vfmaq_f32(cv, a1, vld1q_f32(x1 + f + q));
        cv = vfmaq_f32(cv, a2, vld1q_f32(x2 + f + q));
        cv = vfmaq_f32(cv, a3, vld1q_f32(x3 + f + q));
        vst1q_f32(c + f + q, cv);
      }
  }
  for (; f + 16 <= F; f += 16) {
    float32x4_t c0 = vld1q_f32(c + f), c1 = vld1q_f32(c + f + 4);
    float32x4_t c2 = vld1q_f32(c + f + 8), c3 = vld1q_f32(c + f + 12);
    for (int j = 0; j < n; j++) {
      const float32x4_t av = vdupq_n_f32(at[j]);
      const float *xr = rows[j] + f;
      c0 = vfmaq_f32(c0, av, vld1q_f32(xr));
      c1 = vfmaq_f32(c1, av, vld1q_f32(xr + 4));
      c2 = vfmaq_f32(c2, av, vld1q_f32(xr + 8));
      c3 = vfmaq_f32(c3, av, vld1q_f32(xr + 12));
    }
    vst1q_f32(c + f, c0);
    vst1q_f32(c + f + 4, c1);
    vst1q_f32(c + f + 8, c2);
    vst1q_f32(c + f + 12, c3);
  }
  for (; f + 4 <= F; f += 4) {
    float32x4_t cv = vld1q_f32(c + f);
    for (int j = 0; j < n; j++) cv = vfmaq_f32(cv, vdupq_n_f32(at[j]), vld1q_f32(rows[j] + f));
    vst1q_f32(c + f, cv);
  }
  for (; f < F; f++) {
    float cf = c[f];
    for (int j = 0; j < n; j++) cf = fmaf(at[j], rows[j][f], cf);
    c[f] = cf;
  }
}

void arnn_f32_attention_pool__neon(size_t T, size_t F, const float *x, const float *w, const float *bias,
                                   const uint8_t *mask, float eps, float *c, float *a) {
  ARNN_KERNEL_ASSERT(arnn_attention_pool_args_ok(T, F, x, w, bias, mask, eps, c, a));
  const size_t F64 = F & ~(size_t)63, tail = F - F64;
  float wt[64] = {0};
  memcpy(wt, w + F64, tail * sizeof(float));
  for (size_t f = 0; f < F; f++) c[f] = 0.0f;

  float32x4_t sv[4]; /* S_j, j = t mod 16 */
  for (int q = 0; q < 4; q++) sv[q] = vdupq_n_f32(0.0f);
  for (size_t t0 = 0; t0 < T; t0 += 4) {
    const size_t tb = T - t0 < 4 ? T - t0 : 4;
    unsigned keep = 0;
    for (size_t i = 0; i < tb; i++) keep |= (unsigned)(mask == NULL || mask[t0 + i] != 0) << i;
    if (keep == 0) {
      if (a != NULL)
        for (size_t i = 0; i < tb; i++) a[t0 + i] = 0.0f;
      continue;
    }
    const float *r[4];
    for (size_t i = 0; i < 4; i++) r[i] = x + (t0 + (i < tb ? i : tb - 1)) * F;

    /* 1. four dot products, one row at a time (arnn_scalar_dot64 order) */
    float32x4_t v[4][4];
    for (int i = 0; i < 4; i++) dot64_row(r[i], w, F64, tail, wt, v[i]);
    float32x4_t s = arnn_neon_tree16_x4(v[0], v[1], v[2], v[3]);

    /* 2. scores -> unnormalized weights; masked steps are +0 */
    if (bias != NULL) s = vaddq_f32(s, arnn_neon_load_partial(bias + t0, tb));
    float at[4];
    vst1q_f32(at, arnn_neon_exp(arnn_neon_tanh(s)));

    /* 3. S and the context over the kept rows, increasing t */
    const float *rows[4];
    float ak[4];
    int n = 0;
    for (size_t i = 0; i < tb; i++) {
      if (keep >> i & 1) {
        rows[n] = r[i];
        ak[n++] = at[i];
      } else {
        at[i] = 0.0f;
      }
      if (a != NULL) a[t0 + i] = at[i];
    }
    /* masked steps and lanes past T are +0: adding them leaves S_j unchanged */
    for (size_t i = tb; i < 4; i++) at[i] = 0.0f;
    sv[t0 >> 2 & 3] = vaddq_f32(sv[t0 >> 2 & 3], vld1q_f32(at));
    context_block(c, F, rows, ak, n);
  }

  float S[16];
  for (int q = 0; q < 4; q++) vst1q_f32(S + 4 * q, sv[q]);
  const float d = arnn_scalar_tree16(S) + eps;
  if (d == 0.0f) return; /* every step masked, eps == 0: c and a are already 0 */
  const float32x4_t dv = vdupq_n_f32(d);
  size_t f = 0;
  for (; f + 4 <= F; f += 4) vst1q_f32(c + f, vdivq_f32(vld1q_f32(c + f), dv));
  for (; f < F; f++) c[f] = c[f] / d;
  if (a != NULL) {
    size_t t = 0;
    for (; t + 4 <= T; t += 4) vst1q_f32(a + t, vdivq_f32(vld1q_f32(a + t), dv));
    for (; t < T; t++) a[t] = a[t] / d;
  }
}
