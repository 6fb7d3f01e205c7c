/* bfloat16 weights: the 16 high bits of an IEEE binary32 (1 sign, 8 exponent,
 * 7 fraction bits). Widening is exact (bf16 << 16 is the float with the same
 * value), so every ISA widens a packed bf16 weight to the same float32 and
 * the kernels then follow the float32 operation order unchanged.
 *
 * Narrowing rounds to nearest, ties to even, on the bit pattern: adding
 * 0x7FFF plus the lowest kept bit to the 32-bit pattern carries into bit 16
 * exactly when the discarded half is above one half ulp, or equal to it with
 * an odd kept part. The carry moves through the exponent naturally, so
 * subnormals round like normals and the largest finite floats round up to
 * infinity (FLT_MAX -> +inf, as IEEE rounding to the bf16 format does); +-inf
 * and +-0 are kept. A NaN keeps its sign and top payload bits with the quiet
 * bit set, so it stays a NaN (a signalling NaN whose payload sits in the low
 * 16 bits would otherwise become infinity). python/arnn/converter.py
 * (bf16_bits) computes the same function; tests/bf16-test.c checks both give
 * the same bits for every float. */
#ifndef ARNN_KERNELS_COMMON_BF16_INL_H
#define ARNN_KERNELS_COMMON_BF16_INL_H

#include <stdint.h>
#include <string.h>

static inline uint16_t arnn_bf16_from_f32(float x) {
  uint32_t u;
  memcpy(&u, &x, sizeof u);
  if ((u & 0x7FFFFFFFu) > 0x7F800000u) return (uint16_t)((u >> 16) | 0x0040u);
  return (uint16_t)((u + 0x7FFFu + ((u >> 16) & 1u)) >> 16);
}

static inline float arnn_f32_from_bf16(uint16_t b) {
  const uint32_t u = (uint32_t)b << 16;
  float x;
  memcpy(&x, &u, sizeof x);
  return x;
}

/* x rounded to the nearest bf16 value, as a float. */
static inline float arnn_f32_round_bf16(float x) { return arnn_f32_from_bf16(arnn_bf16_from_f32(x)); }

#endif
