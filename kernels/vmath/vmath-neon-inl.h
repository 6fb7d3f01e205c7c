/* AArch64 Advanced SIMD (NEON) building blocks of the vmath kernels: 4 lanes,
 * operation-for-operation twins of vmath-scalar-inl.h (and of the AVX2 file,
 * which they follow line by line), so every ISA returns the same bits.
 *
 * NaN rule: the x86 clamps min(c, v) / max(c, v) return v when v is NaN; here
 * FMIN/FMAX (vminq/vmaxq) return a NaN when either operand is NaN, which is
 * the same outcome for our clamps, whose constants are never NaN. vminnmq /
 * vmaxnmq would return the constant instead and must not be used. */
#ifndef ARNN_KERNELS_VMATH_NEON_INL_H
#define ARNN_KERNELS_VMATH_NEON_INL_H

#include <arm_neon.h>
#include <stddef.h>
#include <string.h>

#include "vmath-constants.h"

/* c - a*b and a*b - c, each rounded once (negation is exact). */
static inline float32x4_t arnn_neon_fnmadd(float32x4_t a, float32x4_t b, float32x4_t c) { return vfmsq_f32(c, a, b); }
static inline float32x4_t arnn_neon_fmsub(float32x4_t a, float32x4_t b, float32x4_t c) {
  return vfmaq_f32(vnegq_f32(c), a, b);
}
static inline float32x4_t arnn_neon_fmadd(float32x4_t a, float32x4_t b, float32x4_t c) { return vfmaq_f32(c, a, b); }

/* exp(x) per lane; twin of arnn_scalar_exp(), the kernel file vexp-scalar.c
 * describes the algorithm. */
static inline float32x4_t arnn_neon_exp(float32x4_t x) {
  const float32x4_t magic = vdupq_n_f32(ARNN_VEXP_ROUND_MAGIC16);
  float32x4_t v = vminq_f32(vdupq_n_f32(ARNN_VEXP_CLAMP), x);
  v = vmaxq_f32(vdupq_n_f32(-ARNN_VEXP_CLAMP), v);
  const float32x4_t t = arnn_neon_fmadd(v, vdupq_n_f32(ARNN_VMATH_LOG2E), magic);
  const float32x4_t nq = vsubq_f32(t, magic);
  float32x4_t r = arnn_neon_fmadd(nq, vdupq_n_f32(-ARNN_VMATH_LN2_HI), v);
  r = arnn_neon_fmadd(nq, vdupq_n_f32(-ARNN_VMATH_LN2_LO), r);
  /* T_k by a byte table lookup: lane k reads bytes 4k .. 4k+3 of the table */
  const uint32x4_t tb = vreinterpretq_u32_f32(t);
  const uint32x4_t k = vandq_u32(tb, vdupq_n_u32(15));
  const uint8x16_t byte_index =
      vreinterpretq_u8_u32(vmlaq_u32(vdupq_n_u32(UINT32_C(0x03020100)), k, vdupq_n_u32(UINT32_C(0x04040404))));
  const uint8x16x4_t table_bytes = {{vld1q_u8((const uint8_t *)arnn_vexp_table16),
                                     vld1q_u8((const uint8_t *)arnn_vexp_table16 + 16),
                                     vld1q_u8((const uint8_t *)arnn_vexp_table16 + 32),
                                     vld1q_u8((const uint8_t *)arnn_vexp_table16 + 48)}};
  const float32x4_t table = vreinterpretq_f32_u8(vqtbl4q_u8(table_bytes, byte_index));
  const float32x4_t q = arnn_neon_fmadd(vdupq_n_f32(ARNN_VEXP_C3), r, vdupq_n_f32(ARNN_VEXP_C2));
  const float32x4_t s = arnn_neon_fmadd(q, vmulq_f32(r, r), r);
  const float32x4_t y = arnn_neon_fmadd(table, s, table);
  /* y * 2^floor(nq) as two exact power-of-two factors, as in the AVX2 twin */
  const int32x4_t ni = vshrq_n_s32(vsubq_s32(vreinterpretq_s32_u32(tb), vreinterpretq_s32_f32(magic)), 4);
  const int32x4_t n1 = vshrq_n_s32(ni, 1);
  const int32x4_t n2 = vsubq_s32(ni, n1);
  const int32x4_t bias = vdupq_n_s32(127);
  const float32x4_t s1 = vreinterpretq_f32_s32(vshlq_n_s32(vaddq_s32(n1, bias), 23));
  const float32x4_t s2 = vreinterpretq_f32_s32(vshlq_n_s32(vaddq_s32(n2, bias), 23));
  return vmulq_f32(vmulq_f32(y, s1), s2);
}

/* tanh(x) per lane; the kernel file vtanh-scalar.c describes the algorithm. */
static inline float32x4_t arnn_neon_tanh(float32x4_t v) {
  const float32x4_t magic = vdupq_n_f32(ARNN_VMATH_ROUND_MAGIC_BIASED);
  const float32x4_t a = vminq_f32(vdupq_n_f32(ARNN_VTANH_HI), vabsq_f32(v));
  /* n = floor(2a log2 e) = round(2a log2 e - 0.49); t holds n + 127 in its low bits */
  const float32x4_t t =
      vaddq_f32(arnn_neon_fmadd(a, vdupq_n_f32(ARNN_VTANH_2LOG2E), vdupq_n_f32(ARNN_VTANH_ROUND_DOWN)), magic);
  const float32x4_t n = vsubq_f32(t, magic);
  float32x4_t r = arnn_neon_fmadd(n, vdupq_n_f32(-ARNN_VTANH_LN2_HI_HALF), a);
  r = arnn_neon_fmadd(n, vdupq_n_f32(-ARNN_VTANH_LN2_LO_HALF), r);
  /* h = expm1(2r)/2 with halved coefficients; u = m/2 = fma(2^n, h, (2^n - 1)/2) */
  float32x4_t q = arnn_neon_fmadd(vdupq_n_f32(ARNN_VTANH_HQ4), r, vdupq_n_f32(ARNN_VTANH_HQ3));
  q = arnn_neon_fmadd(q, r, vdupq_n_f32(ARNN_VTANH_HQ2));
  q = arnn_neon_fmadd(q, r, vdupq_n_f32(ARNN_VTANH_HQ1));
  q = arnn_neon_fmadd(q, r, vdupq_n_f32(ARNN_VTANH_HQ0));
  const float32x4_t h = arnn_neon_fmadd(vmulq_f32(r, r), q, r);
  const float32x4_t pow2n = vreinterpretq_f32_u32(vshlq_n_u32(vreinterpretq_u32_f32(t), 23));
  const float32x4_t u = arnn_neon_fmadd(pow2n, h, arnn_neon_fmadd(pow2n, vdupq_n_f32(0.5f), vdupq_n_f32(-0.5f)));
  const float32x4_t q0 = vdivq_f32(u, vaddq_f32(u, vdupq_n_f32(1.0f)));
  /* u < 1/2: refine with tanh = u (1 - tanh), i.e. fma(-u, q0, u) */
  const uint32x4_t refine = vcltq_f32(u, vdupq_n_f32(ARNN_VTANH_CORRECT_BELOW));
  const float32x4_t magnitude = vbslq_f32(refine, arnn_neon_fnmadd(u, q0, u), q0);
  /* the sign bit of x, the other bits of the magnitude: tanh(-0) = -0 */
  return vbslq_f32(vdupq_n_u32(UINT32_C(0x80000000)), v, magnitude);
}

/* sigmoid(x) per lane; the kernel file vsigmoid-scalar.c describes the algorithm. */
static inline float32x4_t arnn_neon_sigmoid(float32x4_t v) {
  const float32x4_t magic = vdupq_n_f32(ARNN_VMATH_ROUND_MAGIC_BIASED);
  const float32x4_t lo = vdupq_n_f32(ARNN_VSIGMOID_LO);
  /* x clamped to at most -LO (no lower clamp: lanes below LO become 0 at
   * the end whatever they computed); w = -x folded into the constants: r_neg = -r */
  const float32x4_t xc = vminq_f32(vdupq_n_f32(-ARNN_VSIGMOID_LO), v);
  const float32x4_t t = arnn_neon_fmadd(xc, vdupq_n_f32(-ARNN_VMATH_LOG2E), magic);
  const float32x4_t n = vsubq_f32(t, magic);
  float32x4_t r_neg = arnn_neon_fmadd(n, vdupq_n_f32(ARNN_VMATH_LN2_HI), xc);
  r_neg = arnn_neon_fmadd(n, vdupq_n_f32(ARNN_VMATH_LN2_LO), r_neg);
  float32x4_t q = arnn_neon_fmadd(vdupq_n_f32(-ARNN_VEXP_Q4), r_neg, vdupq_n_f32(ARNN_VEXP_Q3));
  q = arnn_neon_fnmadd(q, r_neg, vdupq_n_f32(ARNN_VEXP_Q2));
  q = arnn_neon_fnmadd(q, r_neg, vdupq_n_f32(ARNN_VEXP_Q1));
  q = arnn_neon_fnmadd(q, r_neg, vdupq_n_f32(ARNN_VEXP_Q0));
  const float32x4_t s = arnn_neon_fmsub(vmulq_f32(r_neg, r_neg), q, r_neg); /* expm1(-x - n ln2) */
  const float32x4_t pow2n = vreinterpretq_f32_u32(vshlq_n_u32(vreinterpretq_u32_f32(t), 23));
  /* 1 + e^-x = fma(2^n, s, 2^n + 1); for n >= 24, 2^n + 1 rounds to 2^n and
   * the 1 rides in s + 2^-n instead (adding +0 elsewhere leaves s unchanged) */
  const uint32x4_t big = vcgeq_f32(pow2n, vdupq_n_f32(0x1p24f));
  const uint32x4_t inv_pow2n = vsubq_u32(vdupq_n_u32(UINT32_C(0x7f000000)), vreinterpretq_u32_f32(pow2n));
  const float32x4_t s_adj = vaddq_f32(s, vreinterpretq_f32_u32(vandq_u32(big, inv_pow2n)));
  const float32x4_t denominator = arnn_neon_fmadd(pow2n, s_adj, vaddq_f32(pow2n, vdupq_n_f32(1.0f)));
  /* lanes with x < LO (ordered) become 0; NaN lanes keep their NaN */
  const uint32x4_t below = vcltq_f32(v, lo);
  return vreinterpretq_f32_u32(
      vbicq_u32(vreinterpretq_u32_f32(vdivq_f32(vdupq_n_f32(1.0f), denominator)), below));
}

/* Runs `f` on the last n < 4 elements through a zeroed stack copy, so nothing
 * outside [0, n) is read or written (NEON has no masked loads). */
#define ARNN_NEON_TAIL(f, x, y, n)                 \
  do {                                             \
    float buf_[4] = {0.0f, 0.0f, 0.0f, 0.0f};      \
    memcpy(buf_, (x), (n) * sizeof(float));        \
    vst1q_f32(buf_, f(vld1q_f32(buf_)));           \
    memcpy((y), buf_, (n) * sizeof(float));        \
  } while (0)

#endif
