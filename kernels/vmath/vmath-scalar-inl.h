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

/* 2^n * p for integer n in [-150, 129] and p in [0.5, 2), rounded once
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

/* expm1(r) for |r| <= ln2/2 (reduced argument): r + r^2 Q(r). */
static inline float arnn_scalar_expm1_reduced(float r) {
  float q = ARNN_VEXP_Q4;
  q = fmaf(q, r, ARNN_VEXP_Q3);
  q = fmaf(q, r, ARNN_VEXP_Q2);
  q = fmaf(q, r, ARNN_VEXP_Q1);
  q = fmaf(q, r, ARNN_VEXP_Q0);
  return fmaf(r * r, q, r);
}

/* e^x for x already clamped to [ARNN_VEXP_LO, ARNN_VEXP_HI] (or NaN).
 * n = round(x log2 e) by the magic-number addition; r = x - n ln2 with a
 * two-constant Cody-Waite reduction (exact first product); 2^n (1 + s). */
static inline float arnn_scalar_exp_clamped(float x) {
  const float t = fmaf(x, ARNN_VMATH_LOG2E, ARNN_VMATH_ROUND_MAGIC);
  const float n = t - ARNN_VMATH_ROUND_MAGIC;
  float r = fmaf(n, -ARNN_VMATH_LN2_HI, x);
  r = fmaf(n, -ARNN_VMATH_LN2_LO, r);
  const float p = 1.0f + arnn_scalar_expm1_reduced(r);
  /* n as an integer straight from t's low mantissa bits (valid for |n| < 2^22;
   * for NaN x the bits are garbage but p is NaN, so the result is NaN). */
  const int32_t ni = (int32_t)(arnn_f32_bits(t) - arnn_f32_bits(ARNN_VMATH_ROUND_MAGIC));
  if (ni < -150 || ni > 129) return p; /* only reachable when x is NaN */
  return arnn_scale_by_pow2(p, ni);
}

#endif
