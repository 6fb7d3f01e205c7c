/* Fused attention (sdpa.h), AArch64 NEON; scalar twin sdpa-scalar.c (same
 * operations in the same order: bit-identical results).
 *
 * Tiles of R = 4 query rows walk the keys once in blocks of 16 (as the x86
 * kernels do). Scores: two rows x two keys at a time, each dot product's 16
 * partial sums (lane d mod 16) in four q-registers, i.e. 16 accumulators fed
 * by 8 k and 8 q loads per 16 features; the D % 16 tail from zero-padded
 * stack copies with a masked FMA (lanes past D keep their value, as the twin
 * skips them); the canonical tree by arnn_neon_tree16_x4 (never FADDV, whose
 * order differs). Softmax bookkeeping with the shared arnn_neon_exp on 4-key
 * vectors. acc += p_j v_j: 16 output columns x up to 4 rows in 16
 * q-registers per loaded v chunk; a row that does not see key j skips it
 * (v_j never reaches it); the Dv % 4 columns with scalar fmaf (the same
 * single rounding). Max and c == 1 shortcuts as in the AVX-512 kernel. */
#include <math.h>
#include <string.h>

#include "sdpa.h"
#include "../common/dot16-neon-inl.h"
#include "../vmath/vmath-neon-inl.h"

#define INLINE static inline __attribute__((always_inline))

static void uniform_row(const arnn_sdpa_args *a, float *o, float *pr) {
  const float n = (float)a->Tv;
  const size_t Dv4 = a->Dv & ~(size_t)3;
  for (size_t e = 0; e < Dv4; e += 4) {
    float32x4_t acc = vdupq_n_f32(0.0f);
    for (size_t j = 0; j < a->Tv; j++) acc = vaddq_f32(acc, vld1q_f32(a->v + j * a->ldv + e));
    vst1q_f32(o + e, vdivq_f32(acc, vdupq_n_f32(n)));
  }
  for (size_t e = Dv4; e < a->Dv; e++) {
    float acc = 0.0f;
    for (size_t j = 0; j < a->Tv; j++) acc = acc + a->v[j * a->ldv + e];
    o[e] = acc / n;
  }
  if (pr != NULL)
    for (size_t j = 0; j < a->Tv; j++) pr[j] = 1.0f / n;
}

/* Dots of rows qa, qb with keys k0, k1 (16 partial sums each), as the
 * canonical trees: lanes (qa.k0, qa.k1, qb.k0, qb.k1). */
static float32x4_t dot_2x2(const float *qa, const float *qb, const float *k0, const float *k1, size_t D) {
  float32x4_t s0[4], s1[4], s2[4], s3[4];
  for (int c = 0; c < 4; c++) s0[c] = s1[c] = s2[c] = s3[c] = vdupq_n_f32(0.0f);
  const size_t D16 = D & ~(size_t)15;
  for (size_t d = 0; d < D16; d += 16)
    for (int c = 0; c < 4; c++) {
      const float32x4_t a0 = vld1q_f32(k0 + d + 4 * c), a1 = vld1q_f32(k1 + d + 4 * c);
      const float32x4_t x = vld1q_f32(qa + d + 4 * c), y = vld1q_f32(qb + d + 4 * c);
      s0[c] = vfmaq_f32(s0[c], x, a0);
      s1[c] = vfmaq_f32(s1[c], x, a1);
      s2[c] = vfmaq_f32(s2[c], y, a0);
      s3[c] = vfmaq_f32(s3[c], y, a1);
    }
  const size_t tail = D - D16;
  if (tail) {
    float ta[16] = {0}, tb[16] = {0}, t0[16] = {0}, t1[16] = {0};
    memcpy(ta, qa + D16, tail * sizeof(float));
    memcpy(tb, qb + D16, tail * sizeof(float));
    memcpy(t0, k0 + D16, tail * sizeof(float));
    memcpy(t1, k1 + D16, tail * sizeof(float));
    for (int c = 0; c < 4; c++) {
      const uint32x4_t m = arnn_neon_lane_mask((ptrdiff_t)tail - 4 * c);
      const float32x4_t a0 = vld1q_f32(t0 + 4 * c), a1 = vld1q_f32(t1 + 4 * c);
      const float32x4_t x = vld1q_f32(ta + 4 * c), y = vld1q_f32(tb + 4 * c);
      s0[c] = arnn_neon_fmadd_masked(x, a0, s0[c], m);
      s1[c] = arnn_neon_fmadd_masked(x, a1, s1[c], m);
      s2[c] = arnn_neon_fmadd_masked(y, a0, s2[c], m);
      s3[c] = arnn_neon_fmadd_masked(y, a1, s3[c], m);
    }
  }
  return arnn_neon_tree16_x4(s0, s1, s2, s3);
}

/* Additive partial sums of row qi with key kj (16 lanes in acc[0..3]). */
static void additive_sums(const arnn_sdpa_args *a, const float *qi, const float *kj, float32x4_t acc[4]) {
  const float32x4_t scale = vdupq_n_f32(a->scale);
  for (int c = 0; c < 4; c++) acc[c] = vdupq_n_f32(0.0f);
  const size_t D16 = a->D & ~(size_t)15;
  for (size_t d = 0; d < D16; d += 16)
    for (int c = 0; c < 4; c++) {
      const float32x4_t u = vaddq_f32(vld1q_f32(qi + d + 4 * c), vld1q_f32(kj + d + 4 * c));
      acc[c] = vfmaq_f32(acc[c], vld1q_f32(a->w + d + 4 * c), arnn_neon_tanh(vmulq_f32(scale, u)));
    }
  const size_t tail = a->D - D16;
  if (tail) {
    float tq[16] = {0}, tk[16] = {0}, tw[16] = {0};
    memcpy(tq, qi + D16, tail * sizeof(float));
    memcpy(tk, kj + D16, tail * sizeof(float));
    memcpy(tw, a->w + D16, tail * sizeof(float));
    for (int c = 0; c < 4; c++) {
      const uint32x4_t m = arnn_neon_lane_mask((ptrdiff_t)tail - 4 * c);
      const float32x4_t u = vaddq_f32(vld1q_f32(tq + 4 * c), vld1q_f32(tk + 4 * c));
      acc[c] = arnn_neon_fmadd_masked(vld1q_f32(tw + 4 * c), arnn_neon_tanh(vmulq_f32(scale, u)), acc[c], m);
    }
  }
}

/* The block's scores S[r][t] for the keys any row sees (bits of U); other
 * lanes unspecified. */
static void block_scores(const arnn_sdpa_args *a, const float *const *qr, int NR, size_t j0, unsigned U,
                         float S[4][16]) {
  const size_t last = a->Tv - 1;
  if (a->score_mode == ARNN_SDPA_DOT) {
    for (int r = 0; r < NR; r += 2) {
      const float *qa = qr[r], *qb = qr[r + 1 < NR ? r + 1 : r];
      for (int t = 0; t < 16; t += 2) {
        if ((U >> t & 3u) == 0) continue;
        const size_t j = j0 + (size_t)t;
        const float *k0 = a->k + (j < last ? j : last) * a->ldk, *k1 = a->k + (j + 1 < last ? j + 1 : last) * a->ldk;
        float d4[4];
        vst1q_f32(d4, vmulq_f32(dot_2x2(qa, qb, k0, k1, a->D), vdupq_n_f32(a->scale)));
        S[r][t] = d4[0], S[r][t + 1] = d4[1];
        if (r + 1 < NR) S[r + 1][t] = d4[2], S[r + 1][t + 1] = d4[3];
      }
    }
  } else {
    for (int r = 0; r < NR; r++)
      for (int t = 0; t < 16; t += 4) {
        if ((U >> t & 15u) == 0) continue;
        float32x4_t acc[4][4];
        for (int u = 0; u < 4; u++) {
          if (U >> (t + u) & 1u)
            additive_sums(a, qr[r], a->k + (j0 + (size_t)(t + u)) * a->ldk, acc[u]);
          else
            for (int c = 0; c < 4; c++) acc[u][c] = vdupq_n_f32(0.0f);
        }
        vst1q_f32(&S[r][t], arnn_neon_tree16_x4(acc[0], acc[1], acc[2], acc[3]));
      }
  }
}

/* acc = acc * c (if scale_acc), then the visible keys' p_j v_j, 4 NC
 * columns at e. */
INLINE void pv_cols(const arnn_sdpa_args *a, float *const *orow, int NR, const float (*parr)[16],
                    const unsigned *vis, unsigned U, const float *cs, int scale_acc, size_t j0, size_t e,
                    const int NC) {
  float32x4_t acc[4][4];
  for (int r = 0; r < 4; r++)
    for (int c = 0; c < NC; c++) acc[r][c] = r < NR ? vld1q_f32(orow[r] + e + 4 * c) : vdupq_n_f32(0.0f);
  if (scale_acc)
    for (int r = 0; r < 4; r++)
      for (int c = 0; c < NC; c++) acc[r][c] = vmulq_f32(acc[r][c], vdupq_n_f32(cs[r]));
  for (unsigned bits = U; bits != 0; bits &= bits - 1) {
    const int t = __builtin_ctz(bits);
    const float *vj = a->v + (j0 + (size_t)t) * a->ldv + e;
    float32x4_t vv[4];
    for (int c = 0; c < NC; c++) vv[c] = vld1q_f32(vj + 4 * c);
    for (int r = 0; r < 4; r++) {
      if (!(vis[r] >> t & 1u)) continue; /* skipped, not multiplied by 0 */
      const float32x4_t pb = vdupq_n_f32(parr[r][t]);
      for (int c = 0; c < NC; c++) acc[r][c] = vfmaq_f32(acc[r][c], pb, vv[c]);
    }
  }
  for (int r = 0; r < NR; r++)
    for (int c = 0; c < NC; c++) vst1q_f32(orow[r] + e + 4 * c, acc[r][c]);
}

static void pv_update(const arnn_sdpa_args *a, float *const *orow, int NR, const float (*parr)[16],
                      const unsigned *vis, unsigned U, const float *cs, int scale_acc, size_t j0) {
  size_t e = 0;
  for (; e + 16 <= a->Dv; e += 16) pv_cols(a, orow, NR, parr, vis, U, cs, scale_acc, j0, e, 4);
  for (; e + 4 <= a->Dv; e += 4) pv_cols(a, orow, NR, parr, vis, U, cs, scale_acc, j0, e, 1);
  for (; e < a->Dv; e++)
    for (int r = 0; r < NR; r++) {
      float acc = orow[r][e];
      if (scale_acc) acc = acc * cs[r];
      for (unsigned bits = vis[r]; bits != 0; bits &= bits - 1) {
        const int t = __builtin_ctz(bits);
        acc = fmaf(parr[r][t], a->v[(j0 + (size_t)t) * a->ldv + e], acc);
      }
      orow[r][e] = acc;
    }
}

static void tile(const arnn_sdpa_args *a, size_t i0, int NR) {
  const float *qr[4];
  float *orow[4], *prow[4];
  float m[4], l[4] = {0};
  for (int r = 0; r < NR; r++) {
    qr[r] = a->q + (i0 + (size_t)r) * a->ldq;
    orow[r] = a->out + (i0 + (size_t)r) * a->ldo;
    prow[r] = a->probs != NULL ? a->probs + (i0 + (size_t)r) * a->ldp : NULL;
    m[r] = -INFINITY;
    memset(orow[r], 0, a->Dv * sizeof(float));
  }
  for (size_t j0 = 0; j0 < a->Tv; j0 += 16) {
    unsigned vis[4] = {0, 0, 0, 0}, U = 0;
    for (int r = 0; r < NR; r++) U |= vis[r] = arnn_sdpa_block_visible(a, i0 + (size_t)r, j0);
    if (U == 0) continue;
    float S[4][16], parr[4][16] = {{0}}, diff[4] = {0}, mn[4];
    block_scores(a, qr, NR, j0, U, S);
    int scale_acc = 0;
    float32x4_t pv[4][4];
    for (int r = 0; r < 4; r++)
      for (int c = 0; c < 4; c++) pv[r][c] = vdupq_n_f32(0.0f);
    for (int r = 0; r < NR; r++) {
      mn[r] = m[r];
      if (vis[r] == 0) continue; /* the row keeps its state: c = exp(0) = 1, p = 0 */
      float bmax = -INFINITY;
      for (int t = 0; t < 16; t++)
        if (vis[r] >> t & 1u) {
          bmax = S[r][t] > bmax ? S[r][t] : bmax;
          if (prow[r] != NULL) prow[r][j0 + (size_t)t] = S[r][t]; /* raw score until the end */
        } else {
          S[r][t] = -INFINITY; /* exp gives +0; raw value may be NaN */
        }
      mn[r] = bmax > m[r] ? bmax : m[r];
      diff[r] = m[r] - mn[r];
      const float32x4_t mv = vdupq_n_f32(mn[r]);
      for (int c = 0; c < 4; c++) {
        const uint32x4_t vm = vtstq_u32(vdupq_n_u32(vis[r] >> (4 * c)), (uint32x4_t){1, 2, 4, 8});
        pv[r][c] = vreinterpretq_f32_u32(
            vandq_u32(vm, vreinterpretq_u32_f32(arnn_neon_exp(vsubq_f32(vld1q_f32(&S[r][4 * c]), mv)))));
        vst1q_f32(&parr[r][4 * c], pv[r][c]);
      }
    }
    const float32x4_t cv = arnn_neon_exp(vld1q_f32(diff));
    const float32x4_t bsum = arnn_neon_tree16_x4(pv[0], pv[1], pv[2], pv[3]);
    float32x4_t lv = vfmaq_f32(bsum, vld1q_f32(l), cv);
    vst1q_f32(l, lv);
    float cs[4];
    vst1q_f32(cs, cv);
    for (int r = 0; r < NR; r++) {
      if (cs[r] != 1.0f && m[r] != -INFINITY) scale_acc = 1;
      m[r] = mn[r];
    }
    pv_update(a, orow, NR, (const float(*)[16])parr, vis, U, cs, scale_acc, j0);
  }
  for (int r = 0; r < NR; r++) {
    const float32x4_t lr = vdupq_n_f32(l[r]);
    size_t e = 0;
    for (; e + 4 <= a->Dv; e += 4) vst1q_f32(orow[r] + e, vdivq_f32(vld1q_f32(orow[r] + e), lr));
    for (; e < a->Dv; e++) orow[r][e] = orow[r][e] / l[r];
    if (prow[r] == NULL) continue;
    const float32x4_t mr = vdupq_n_f32(m[r]);
    for (size_t j0 = 0; j0 < a->Tv; j0 += 16) {
      const unsigned vb = arnn_sdpa_block_visible(a, i0 + (size_t)r, j0);
      for (size_t c = 0; c < 16 && j0 + c < a->Tv; c += 4) {
        const size_t n = a->Tv - j0 - c < 4 ? a->Tv - j0 - c : 4;
        float buf[4] = {0.0f, 0.0f, 0.0f, 0.0f};
        for (size_t t = 0; t < n; t++)
          if (vb >> (c + t) & 1u) buf[t] = prow[r][j0 + c + t];
        const uint32x4_t vm = vtstq_u32(vdupq_n_u32(vb >> c), (uint32x4_t){1, 2, 4, 8});
        const float32x4_t p = vdivq_f32(arnn_neon_exp(vsubq_f32(vld1q_f32(buf), mr)), lr);
        vst1q_f32(buf, vreinterpretq_f32_u32(vandq_u32(vm, vreinterpretq_u32_f32(p))));
        memcpy(prow[r] + j0 + c, buf, n * sizeof(float));
      }
    }
  }
}

void arnn_f32_sdpa__neon(const arnn_sdpa_args *a) {
  ARNN_KERNEL_ASSERT(arnn_sdpa_args_ok(a));
  const size_t first = arnn_sdpa_first_key(a);
  size_t i_begin = first >= a->Tv ? a->Tq : a->causal ? (first < a->Tq ? first : a->Tq) : 0;
  for (size_t i = 0; i < i_begin; i++)
    uniform_row(a, a->out + i * a->ldo, a->probs != NULL ? a->probs + i * a->ldp : NULL);
  for (size_t i = i_begin; i < a->Tq; i += 4) tile(a, i, a->Tq - i < 4 ? (int)(a->Tq - i) : 4);
}
