/* The canonical 16-lane dot-product tree, AArch64 NEON form; scalar twin
 * dot16-scalar-inl.h (which defines the order). The 16 partial sums of one
 * dot product live in four q-registers: v[q] = lanes 4q .. 4q+3. */
#ifndef ARNN_KERNELS_COMMON_DOT16_NEON_INL_H
#define ARNN_KERNELS_COMMON_DOT16_NEON_INL_H

#include <arm_neon.h>
#include <stddef.h>
#include <string.h>

/* acc = acc + x*w (one rounding) on the lanes of `m` only; other lanes keep
 * acc (the scalar oracle skips them; "+ 0*0" would turn an accumulated -0
 * into +0). */
static inline float32x4_t arnn_neon_fmadd_masked(float32x4_t x, float32x4_t w, float32x4_t acc, uint32x4_t m) {
  return vbslq_f32(m, vfmaq_f32(acc, x, w), acc);
}

/* Lanes i < n of a 4-lane vector (n may be <= 0 or >= 4). */
static inline uint32x4_t arnn_neon_lane_mask(ptrdiff_t n) {
  static const uint32_t idx[4] = {0, 1, 2, 3};
  const uint32_t nn = n <= 0 ? 0 : n >= 4 ? 4 : (uint32_t)n;
  return vcltq_u32(vld1q_u32(idx), vdupq_n_u32(nn));
}

/* p[0..n) into a vector, lanes >= n zero; reads nothing past p + n. */
static inline float32x4_t arnn_neon_load_partial(const float *p, size_t n) {
  if (n >= 4) return vld1q_f32(p);
  float buf[4] = {0.0f, 0.0f, 0.0f, 0.0f};
  memcpy(buf, p, n * sizeof(float));
  return vld1q_f32(buf);
}

/* Tree of 4 dot products at once (v_i[0..3]): result lane i = tree16(v_i).
 *   level 8+8: s_i = (v_i[0] + v_i[2], v_i[1] + v_i[3])
 *   level 4+4: t_i = s_i.0 + s_i.1                     (lanes j + j+4, j < 4)
 *   level 2+2: [t0.0 t0.1 t1.0 t1.1] + [t0.2 t0.3 t1.2 t1.3], same for t2, t3
 *   level 1+1: pairwise add (FADDP) of the two: lanes d0, d1, d2, d3
 * Each addition is one of the scalar tree's (addition commutes exactly);
 * FADDV/vaddvq is not used, its order is not the tree's. */
static inline float32x4_t arnn_neon_tree16_x4(const float32x4_t v0[4], const float32x4_t v1[4],
                                              const float32x4_t v2[4], const float32x4_t v3[4]) {
  const float32x4_t t0 = vaddq_f32(vaddq_f32(v0[0], v0[2]), vaddq_f32(v0[1], v0[3]));
  const float32x4_t t1 = vaddq_f32(vaddq_f32(v1[0], v1[2]), vaddq_f32(v1[1], v1[3]));
  const float32x4_t t2 = vaddq_f32(vaddq_f32(v2[0], v2[2]), vaddq_f32(v2[1], v2[3]));
  const float32x4_t t3 = vaddq_f32(vaddq_f32(v3[0], v3[2]), vaddq_f32(v3[1], v3[3]));
  const float32x4_t r01 = vaddq_f32(vcombine_f32(vget_low_f32(t0), vget_low_f32(t1)),
                                    vcombine_f32(vget_high_f32(t0), vget_high_f32(t1)));
  const float32x4_t r23 = vaddq_f32(vcombine_f32(vget_low_f32(t2), vget_low_f32(t3)),
                                    vcombine_f32(vget_high_f32(t2), vget_high_f32(t3)));
  return vpaddq_f32(r01, r23);
}

#endif
