/* Fused attention (sdpa.h), AVX2 + FMA; scalar twin sdpa-scalar.c (same
 * operations in the same order: bit-identical results). The structure is the
 * AVX-512 kernel's (sdpa-avx512.c): tiles of R = 4 query rows walk the keys
 * once in blocks of 16, every loaded k and v row serving the 4 rows. The 16
 * partial sums of a dot product are two ymm (lanes 0-7, 8-15); with 16
 * registers the scores are made one half at a time: 4 rows x 2 keys = 8
 * accumulators per half, fed by 2 k loads and 4 q loads per 8 FMAs. The D % 16
 * tail uses vmaskmov loads (no access to masked-off lanes) and blended FMAs
 * that keep the accumulator. Trees: arnn_avx2_tree16_x4, 4 dot products at a
 * time. acc += p_j v_j runs over 16 output columns x 4 rows (8 ymm); a row
 * that does not see key j (causal diagonal blocks) keeps its accumulator by a
 * blend, so v_j never reaches it. */
#include <math.h>
#include <string.h>

#include "sdpa.h"
#include "../common/dot16-avx2-inl.h"
#include "../vmath/vmath-avx2-inl.h"

#define INLINE static inline __attribute__((always_inline))

/* lanes i < n of a ymm (n may be <= 0 or >= 8) */
static inline __m256i lanes8(ptrdiff_t n) {
  const int nn = n <= 0 ? 0 : n >= 8 ? 8 : (int)n;
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(nn), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/* bits 0-7 of `bits` as ymm lane masks */
static inline __m256 bits8(unsigned bits) {
  const __m256i b = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
  return _mm256_castsi256_ps(_mm256_cmpeq_epi32(_mm256_and_si256(_mm256_set1_epi32((int)bits), b), b));
}

static void uniform_row(const arnn_sdpa_args *a, float *o, float *pr) {
  const __m256 n = _mm256_set1_ps((float)a->Tv);
  for (size_t e = 0; e < a->Dv; e += 8) {
    const __m256i m = lanes8((ptrdiff_t)(a->Dv - e));
    __m256 acc = _mm256_setzero_ps();
    for (size_t j = 0; j < a->Tv; j++) acc = _mm256_add_ps(acc, _mm256_maskload_ps(a->v + j * a->ldv + e, m));
    _mm256_maskstore_ps(o + e, m, _mm256_div_ps(acc, n));
  }
  if (pr != NULL) {
    const __m256 p = _mm256_div_ps(_mm256_set1_ps(1.0f), n);
    for (size_t j = 0; j < a->Tv; j += 8) _mm256_maskstore_ps(pr + j, lanes8((ptrdiff_t)(a->Tv - j)), p);
  }
}

/* Half h (lanes 8h .. 8h+7 of every 16-feature chunk) of the dot products of
 * NR rows with keys k0, k1: acc[r][t]. */
INLINE void dot_half(const float *const *qr, const float *k0, const float *k1, size_t D, int h, __m256 acc[4][2],
                     const int NR) {
  for (int r = 0; r < NR; r++) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
  const size_t D16 = D & ~(size_t)15;
  for (size_t d = (size_t)(8 * h); d < D16; d += 16) {
    const __m256 a0 = _mm256_loadu_ps(k0 + d), a1 = _mm256_loadu_ps(k1 + d);
    for (int r = 0; r < NR; r++) {
      const __m256 qv = _mm256_loadu_ps(qr[r] + d);
      acc[r][0] = _mm256_fmadd_ps(qv, a0, acc[r][0]);
      acc[r][1] = _mm256_fmadd_ps(qv, a1, acc[r][1]);
    }
  }
  const ptrdiff_t rem = (ptrdiff_t)(D - D16) - 8 * h;
  if (rem > 0) {
    const __m256i m = lanes8(rem);
    const size_t d = D16 + (size_t)(8 * h);
    const __m256 a0 = _mm256_maskload_ps(k0 + d, m), a1 = _mm256_maskload_ps(k1 + d, m);
    for (int r = 0; r < NR; r++) {
      const __m256 qv = _mm256_maskload_ps(qr[r] + d, m);
      acc[r][0] = arnn_avx2_fmadd_masked(qv, a0, acc[r][0], m);
      acc[r][1] = arnn_avx2_fmadd_masked(qv, a1, acc[r][1], m);
    }
  }
}

/* Additive partial sums of row qi with key kj: lo/hi ymm. */
INLINE void additive_dot(const arnn_sdpa_args *a, const float *qi, const float *kj, __m256 *lo, __m256 *hi) {
  const __m256 scale = _mm256_set1_ps(a->scale);
  __m256 acc[2] = {_mm256_setzero_ps(), _mm256_setzero_ps()};
  for (size_t d = 0; d < a->D; d += 8) {
    const int h = (int)(d / 8 % 2);
    const __m256i m = lanes8((ptrdiff_t)(a->D - d));
    const __m256 u = _mm256_add_ps(_mm256_maskload_ps(qi + d, m), _mm256_maskload_ps(kj + d, m));
    const __m256 th = arnn_avx2_tanh(_mm256_mul_ps(scale, u));
    acc[h] = arnn_avx2_fmadd_masked(_mm256_maskload_ps(a->w + d, m), th, acc[h], m);
  }
  *lo = acc[0], *hi = acc[1];
}

/* The block's scores S[r][t] for the keys any row sees (bits of U). */
INLINE void block_scores(const arnn_sdpa_args *a, const float *const *qr, size_t j0, unsigned U, float S[4][16],
                         const int NR) {
  const size_t last = a->Tv - 1;
  __m256 lo[4][16], hi[4][16];
  if (a->score_mode == ARNN_SDPA_DOT) {
    for (int g = 0; g < 8; g++) {
      if ((U >> (2 * g) & 3u) == 0) {
        for (int r = 0; r < NR; r++) lo[r][2 * g] = hi[r][2 * g] = lo[r][2 * g + 1] = hi[r][2 * g + 1] = _mm256_setzero_ps();
        continue;
      }
      const size_t j = j0 + (size_t)(2 * g);
      const float *k0 = a->k + (j < last ? j : last) * a->ldk, *k1 = a->k + (j + 1 < last ? j + 1 : last) * a->ldk;
      __m256 acc[4][2];
      dot_half(qr, k0, k1, a->D, 0, acc, NR);
      for (int r = 0; r < NR; r++) lo[r][2 * g] = acc[r][0], lo[r][2 * g + 1] = acc[r][1];
      dot_half(qr, k0, k1, a->D, 1, acc, NR);
      for (int r = 0; r < NR; r++) hi[r][2 * g] = acc[r][0], hi[r][2 * g + 1] = acc[r][1];
    }
  } else {
    for (int r = 0; r < NR; r++)
      for (int t = 0; t < 16; t++) {
        if (U >> t & 1u)
          additive_dot(a, qr[r], a->k + (j0 + (size_t)t) * a->ldk, &lo[r][t], &hi[r][t]);
        else
          lo[r][t] = hi[r][t] = _mm256_setzero_ps();
      }
  }
  for (int r = 0; r < NR; r++)
    for (int t = 0; t < 16; t += 4)
      _mm_storeu_ps(&S[r][t], arnn_avx2_tree16_x4(lo[r][t], hi[r][t], lo[r][t + 1], hi[r][t + 1], lo[r][t + 2],
                                                  hi[r][t + 2], lo[r][t + 3], hi[r][t + 3]));
  if (a->score_mode == ARNN_SDPA_DOT) {
    const __m256 scale = _mm256_set1_ps(a->scale);
    for (int r = 0; r < NR; r++) {
      _mm256_storeu_ps(&S[r][0], _mm256_mul_ps(_mm256_loadu_ps(&S[r][0]), scale));
      _mm256_storeu_ps(&S[r][8], _mm256_mul_ps(_mm256_loadu_ps(&S[r][8]), scale));
    }
  }
}

/* acc = acc * c (if scale_acc), then the visible keys' p_j v_j, for NC ymm
 * of output columns at e (the last one on the lanes of `lastm`). */
INLINE void pv_chunks(const arnn_sdpa_args *a, float *const *orow, const float (*parr)[16], const unsigned *vis,
                      unsigned U, int all_same, const float *cs, int scale_acc, size_t j0, size_t e, __m256i lastm,
                      const int NC, const int NR) {
  const __m256i full = _mm256_set1_epi32(-1);
  __m256 acc[4][2];
  for (int r = 0; r < NR; r++)
    for (int c = 0; c < NC; c++) acc[r][c] = _mm256_maskload_ps(orow[r] + e + 8 * c, c == NC - 1 ? lastm : full);
  if (scale_acc)
    for (int r = 0; r < NR; r++) {
      const __m256 cv = _mm256_set1_ps(cs[r]);
      for (int c = 0; c < NC; c++) acc[r][c] = _mm256_mul_ps(acc[r][c], cv);
    }
  for (unsigned bits = U; bits != 0; bits &= bits - 1) {
    const int t = __builtin_ctz(bits);
    const float *vj = a->v + (j0 + (size_t)t) * a->ldv + e;
    __m256 vv[2];
    for (int c = 0; c < NC; c++) vv[c] = _mm256_maskload_ps(vj + 8 * c, c == NC - 1 ? lastm : full);
    if (all_same) {
      for (int r = 0; r < NR; r++) {
        const __m256 pb = _mm256_broadcast_ss(&parr[r][t]);
        for (int c = 0; c < NC; c++) acc[r][c] = _mm256_fmadd_ps(pb, vv[c], acc[r][c]);
      }
    } else {
      for (int r = 0; r < NR; r++) {
        const __m256 pb = _mm256_broadcast_ss(&parr[r][t]);
        const __m256i km = _mm256_set1_epi32((vis[r] >> t & 1u) ? -1 : 0);
        for (int c = 0; c < NC; c++) acc[r][c] = arnn_avx2_fmadd_masked(pb, vv[c], acc[r][c], km);
      }
    }
  }
  for (int r = 0; r < NR; r++)
    for (int c = 0; c < NC; c++) _mm256_maskstore_ps(orow[r] + e + 8 * c, c == NC - 1 ? lastm : full, acc[r][c]);
}

INLINE void pv_update(const arnn_sdpa_args *a, float *const *orow, const float (*parr)[16], const unsigned *vis,
                      unsigned U, int all_same, const float *cs, int scale_acc, size_t j0, const int NR) {
  size_t e = 0;
  for (; e + 16 <= a->Dv; e += 16)
    pv_chunks(a, orow, parr, vis, U, all_same, cs, scale_acc, j0, e, _mm256_set1_epi32(-1), 2, NR);
  const size_t rem = a->Dv - e;
  if (rem > 8)
    pv_chunks(a, orow, parr, vis, U, all_same, cs, scale_acc, j0, e, lanes8((ptrdiff_t)rem - 8), 2, NR);
  else if (rem > 0)
    pv_chunks(a, orow, parr, vis, U, all_same, cs, scale_acc, j0, e, lanes8((ptrdiff_t)rem), 1, NR);
}

INLINE void tile(const arnn_sdpa_args *a, size_t i0, const int NR) {
  const float *qr[4];
  float *orow[4], *prow[4];
  float m[4];
  for (int r = 0; r < NR; r++) {
    qr[r] = a->q + (i0 + (size_t)r) * a->ldq;
    orow[r] = a->out + (i0 + (size_t)r) * a->ldo;
    prow[r] = a->probs != NULL ? a->probs + (i0 + (size_t)r) * a->ldp : NULL;
    m[r] = -INFINITY;
    for (size_t e = 0; e < a->Dv; e += 8)
      _mm256_maskstore_ps(orow[r] + e, lanes8((ptrdiff_t)(a->Dv - e)), _mm256_setzero_ps());
  }
  __m128 lv = _mm_setzero_ps(); /* lane r: l of row r */
  for (size_t j0 = 0; j0 < a->Tv; j0 += 16) {
    unsigned vis[4], U = 0;
    for (int r = 0; r < NR; r++) U |= vis[r] = arnn_sdpa_block_visible(a, i0 + (size_t)r, j0);
    if (U == 0) continue;
    float S[4][16], parr[4][16] = {{0}};
    block_scores(a, qr, j0, U, S, NR);
    float mn[4], diff[8] = {0};
    int all_same = 1, scale_acc = 0;
    for (int r = 0; r < NR; r++) {
      all_same &= vis[r] == U;
      mn[r] = m[r];
      if (vis[r] == 0) continue; /* the row keeps its state: c = exp(0) = 1, p = 0 */
      float bmax = -INFINITY;
      for (int t = 0; t < 16; t++)
        if (vis[r] >> t & 1u) bmax = S[r][t] > bmax ? S[r][t] : bmax;
      mn[r] = bmax > m[r] ? bmax : m[r];
      diff[r] = m[r] - mn[r];
      const __m256 mv = _mm256_set1_ps(mn[r]);
      for (int h = 0; h < 2; h++) {
        const __m256 vm = bits8(vis[r] >> (8 * h));
        /* invisible lanes: -inf before the exp (their raw value may be NaN), 0 after */
        const __m256 s = _mm256_blendv_ps(_mm256_set1_ps(-INFINITY), _mm256_loadu_ps(&S[r][8 * h]), vm);
        _mm256_storeu_ps(&parr[r][8 * h], _mm256_and_ps(vm, arnn_avx2_exp(_mm256_sub_ps(s, mv))));
        if (prow[r] != NULL) _mm256_maskstore_ps(prow[r] + j0 + 8 * h, _mm256_castps_si256(vm), s);
      }
    }
    const __m256 cv = arnn_avx2_exp(_mm256_loadu_ps(diff));
    const __m128 bsum = arnn_avx2_tree16_x4(
        _mm256_loadu_ps(&parr[0][0]), _mm256_loadu_ps(&parr[0][8]), _mm256_loadu_ps(&parr[1][0]),
        _mm256_loadu_ps(&parr[1][8]), _mm256_loadu_ps(&parr[2][0]), _mm256_loadu_ps(&parr[2][8]),
        _mm256_loadu_ps(&parr[3][0]), _mm256_loadu_ps(&parr[3][8]));
    lv = _mm_fmadd_ps(lv, _mm256_castps256_ps128(cv), bsum);
    float cs[8];
    _mm256_storeu_ps(cs, cv);
    for (int r = 0; r < NR; r++) {
      if (cs[r] != 1.0f && m[r] != -INFINITY) scale_acc = 1;
      m[r] = mn[r];
    }
    pv_update(a, orow, (const float(*)[16])parr, vis, U, all_same, cs, scale_acc, j0, NR);
  }
  float l[4];
  _mm_storeu_ps(l, lv);
  for (int r = 0; r < NR; r++) {
    const __m256 lr = _mm256_set1_ps(l[r]);
    for (size_t e = 0; e < a->Dv; e += 8) {
      const __m256i em = lanes8((ptrdiff_t)(a->Dv - e));
      _mm256_maskstore_ps(orow[r] + e, em, _mm256_div_ps(_mm256_maskload_ps(orow[r] + e, em), lr));
    }
    if (prow[r] == NULL) continue;
    const __m256 mr = _mm256_set1_ps(m[r]);
    for (size_t j0 = 0; j0 < a->Tv; j0 += 16) {
      const unsigned vb = arnn_sdpa_block_visible(a, i0 + (size_t)r, j0);
      for (int h = 0; h < 2; h++) {
        const ptrdiff_t n = (ptrdiff_t)(a->Tv - j0) - 8 * h;
        if (n <= 0) break;
        const __m256 vm = bits8(vb >> (8 * h));
        float *pp = prow[r] + j0 + 8 * h;
        const __m256 s = _mm256_maskload_ps(pp, _mm256_castps_si256(vm));
        const __m256 p = _mm256_and_ps(vm, _mm256_div_ps(arnn_avx2_exp(_mm256_sub_ps(s, mr)), lr));
        _mm256_maskstore_ps(pp, lanes8(n), p);
      }
    }
  }
}

void arnn_f32_sdpa__avx2(const arnn_sdpa_args *a) {
  ARNN_KERNEL_ASSERT(arnn_sdpa_args_ok(a));
  const size_t first = arnn_sdpa_first_key(a);
  size_t i_begin = first >= a->Tv ? a->Tq : a->causal ? (first < a->Tq ? first : a->Tq) : 0;
  for (size_t i = 0; i < i_begin; i++)
    uniform_row(a, a->out + i * a->ldo, a->probs != NULL ? a->probs + i * a->ldp : NULL);
  size_t i = i_begin;
  for (; i + 4 <= a->Tq; i += 4) tile(a, i, 4);
  switch (a->Tq - i) {
    case 3: tile(a, i, 3); break;
    case 2: tile(a, i, 2); break;
    case 1: tile(a, i, 1); break;
    default: break;
  }
}
