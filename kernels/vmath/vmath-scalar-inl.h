/* Scalar building blocks of the vmath kernels. Each helper mirrors one SIMD
 * instruction's exact semantics (including NaN handling), so the scalar
 * kernels evaluate the same operation sequence as the SIMD ones.
 * Built with -ffp-contract=off: only the explicit fmaf() calls are fused. */
#ifndef ARNN_KERNELS_VMATH_SCALAR_INL_H
#define ARNN_KERNELS_VMATH_SCALAR_INL_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "vmath-constants.h"

static inline uint32_t arnn_f32_bits(float v) {
  uint32_t u;
  memcpy(&u, &v, sizeof u);
  return u;
}

static inline float arnn_f32_from_bits(uint32_t u) {
  float v;
  memcpy(&v, &u, sizeof v);
  return v;
}

/* x86 MINPS/MAXPS semantics with the constant first: a NaN in v is returned
 * unchanged (the comparison is false), so clamps propagate NaN. */
static inline float arnn_min_nan_passing(float c, float v) { return c < v ? c : v; }
static inline float arnn_max_nan_passing(float c, float v) { return c > v ? c : v; }

/* 2^n * p for integer n in [-151, 150] and p in [0.5, 2.5), rounded once
 * (overflow to inf, gradual underflow), as AVX-512 VSCALEFPS does: p * 2^n1 is
 * exact because both factors 2^n1, 2^n2 (n1 = n/2, n2 = n - n1) are normal and
 * the intermediate stays normal; only the second product rounds. */
static inline float arnn_scale_by_pow2(float p, int32_t n) {
  const int32_t n1 = n / 2;
  const int32_t n2 = n - n1;
  const float s1 = arnn_f32_from_bits((uint32_t)(n1 + 127) << 23);
  const float s2 = arnn_f32_from_bits((uint32_t)(n2 + 127) << 23);
  return (p * s1) * s2;
}

/* exp(x); the kernel file vexp-scalar.c describes the algorithm. */
static inline float arnn_scalar_exp(float x) {
  float v = arnn_min_nan_passing(ARNN_VEXP_CLAMP, x);
  v = arnn_max_nan_passing(-ARNN_VEXP_CLAMP, v);
  const float t = fmaf(v, ARNN_VMATH_LOG2E, ARNN_VEXP_ROUND_MAGIC16);
  const float nq = t - ARNN_VEXP_ROUND_MAGIC16; /* n + k/16 */
  float r = fmaf(nq, -ARNN_VMATH_LN2_HI, v);
  r = fmaf(nq, -ARNN_VMATH_LN2_LO, r);
  const uint32_t tb = arnn_f32_bits(t);
  const float table = arnn_vexp_table16[tb & 15u];
  const float q = fmaf(ARNN_VEXP_C3, r, ARNN_VEXP_C2);
  const float s = fmaf(q, r * r, r);
  const float y = fmaf(table, s, table);
  /* n = floor(nq) from t's bits (the sixteenths, arithmetic shift = floor);
   * for NaN x the bits are garbage but y is NaN, so the result is NaN. */
  const int32_t ni = (int32_t)(tb - arnn_f32_bits(ARNN_VEXP_ROUND_MAGIC16)) >> 4;
  if (ni < -151 || ni > 150) return y; /* only reachable when x is NaN */
  return arnn_scale_by_pow2(y, ni);
}

/* tanh(x); the kernel file vtanh-scalar.c describes the algorithm. */
static inline float arnn_scalar_tanh(float x) {
  const uint32_t xb = arnn_f32_bits(x);
  const float a = arnn_min_nan_passing(ARNN_VTANH_HI, arnn_f32_from_bits(xb & UINT32_C(0x7fffffff)));
  const float t = fmaf(a, ARNN_VTANH_2LOG2E, ARNN_VTANH_ROUND_DOWN) + ARNN_VMATH_ROUND_MAGIC_BIASED;
  const float nf = t - ARNN_VMATH_ROUND_MAGIC_BIASED;
  float r = fmaf(nf, -ARNN_VTANH_LN2_HI_HALF, a);
  r = fmaf(nf, -ARNN_VTANH_LN2_LO_HALF, r);
  float q = ARNN_VTANH_HQ4;
  q = fmaf(q, r, ARNN_VTANH_HQ3);
  q = fmaf(q, r, ARNN_VTANH_HQ2);
  q = fmaf(q, r, ARNN_VTANH_HQ1);
  q = fmaf(q, r, ARNN_VTANH_HQ0);
  const float h = fmaf(r * r, q, r); /* expm1(2r) / 2 */
  /* 2^n from t's bits: its low mantissa bits hold n + 127 (0 <= n <= 26). */
  const float pow2n = arnn_f32_from_bits(arnn_f32_bits(t) << 23);
  /* u = m/2 = 2^n h + (2^n - 1)/2, with (2^n - 1)/2 rounded once */
  const float u = fmaf(pow2n, h, fmaf(pow2n, 0.5f, -0.5f));
  const float q0 = u / (u + 1.0f);
  const float magnitude = u < ARNN_VTANH_CORRECT_BELOW ? fmaf(-u, q0, u) : q0;
  return arnn_f32_from_bits(arnn_f32_bits(magnitude) | (xb & UINT32_C(0x80000000)));
}

/* sigmoid(x); the kernel file vsigmoid-scalar.c describes the algorithm. */
static inline float arnn_scalar_sigmoid(float x) {
  /* x clamped to at most -LO (so e^-x >= FLT_MIN and 2^n stays normal); no
   * lower clamp: lanes with x < LO compute garbage that the final select
   * replaces by 0. w = -x is never formed: every operation below is
   * written with the sign folded into its constants or into fnmadd/fmsub
   * (exact: negation commutes with rounding), so r_neg = -r. */
  const float xc = arnn_min_nan_passing(-ARNN_VSIGMOID_LO, x);
  const float t = fmaf(xc, -ARNN_VMATH_LOG2E, ARNN_VMATH_ROUND_MAGIC_BIASED);
  const float nf = t - ARNN_VMATH_ROUND_MAGIC_BIASED;
  float r_neg = fmaf(nf, ARNN_VMATH_LN2_HI, xc);
  r_neg = fmaf(nf, ARNN_VMATH_LN2_LO, r_neg);
  /* s = expm1(r) = r + r^2 Q(r) evaluated in r_neg: odd steps negate */
  float q = fmaf(-ARNN_VEXP_Q4, r_neg, ARNN_VEXP_Q3);
  q = fmaf(-q, r_neg, ARNN_VEXP_Q2);
  q = fmaf(-q, r_neg, ARNN_VEXP_Q1);
  q = fmaf(-q, r_neg, ARNN_VEXP_Q0);
  const float s = fmaf(r_neg * r_neg, q, -r_neg);
  const float pow2n = arnn_f32_from_bits(arnn_f32_bits(t) << 23); /* 2^n, |n| <= 126 */
  /* 2^n + 1 is exact for n <= 23 and rounds to 2^n above (n = 24 is a tie,
   * to even); there the lost 1 is carried by s + 2^-n instead. */
  const float s_adj = pow2n >= 0x1p24f ? s + arnn_f32_from_bits(UINT32_C(0x7f000000) - arnn_f32_bits(pow2n)) : s;
  const float denominator = fmaf(pow2n, s_adj, pow2n + 1.0f);
  const float result = 1.0f / denominator;
  return x < ARNN_VSIGMOID_LO ? 0.0f : result;
}

#endif
