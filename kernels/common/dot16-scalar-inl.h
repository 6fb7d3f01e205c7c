/* The canonical f32 dot product of arnn, scalar form (the oracle of
 * dot16-avx2-inl.h and dot16-avx512-inl.h).
 *
 * For x, w of length n the result is defined as:
 *   1. 16 partial sums p[0..15], all starting at +0; element k goes to lane
 *      j = k mod 16 as p[j] = fma(x[k], w[k], p[j]), in increasing k.
 *      Lanes that would get k >= n get nothing (the SIMD kernels mask the
 *      tail so that the accumulator keeps its value, not "+ 0*0").
 *   2. One fixed pairwise tree:  p[j] += p[j+8] (j < 8), p[j] += p[j+4]
 *      (j < 4), p[j] += p[j+2] (j < 2), result = p[0] + p[1].
 * AVX-512 holds the 16 lanes in one zmm, AVX2 in two ymm (lanes 0-7, 8-15),
 * so every ISA performs exactly these roundings and returns the same bits. */
#ifndef ARNN_KERNELS_COMMON_DOT16_SCALAR_INL_H
#define ARNN_KERNELS_COMMON_DOT16_SCALAR_INL_H

#include <math.h>
#include <stddef.h>

/* Step 2: the 16-lane tree (p is overwritten). */
static inline float arnn_scalar_tree16(float p[16]) {
  for (int j = 0; j < 8; j++) p[j] = p[j] + p[j + 8];
  for (int j = 0; j < 4; j++) p[j] = p[j] + p[j + 4];
  for (int j = 0; j < 2; j++) p[j] = p[j] + p[j + 2];
  return p[0] + p[1];
}

/* Steps 1 and 2: sum_k x[k] w[k] in the canonical order. */
static inline float arnn_scalar_dot16(const float *x, const float *w, size_t n) {
  float p[16] = {0};
  size_t k = 0;
  for (; k + 16 <= n; k += 16)
    for (int j = 0; j < 16; j++) p[j] = fmaf(x[k + j], w[k + j], p[j]);
  for (int j = 0; k + (size_t)j < n; j++) p[j] = fmaf(x[k + j], w[k + j], p[j]);
  return arnn_scalar_tree16(p);
}

/* The attention kernels' dot product: 64 partial sums instead of 16, so a
 * SIMD kernel can keep 4 independent FMA chains per row and stream just two
 * rows of x at a time (see attention-pool-avx512.c for why):
 *   1. p[0..63] = +0; element k goes to lane k mod 64 as
 *      p[j] = fma(x[k], w[k], p[j]), increasing k; lanes past n get nothing;
 *   2. fold p[j] += p[j+32] (j < 32), then p[j] += p[j+16] (j < 16);
 *   3. the 16-lane tree above.
 * AVX-512 holds the 64 lanes in 4 zmm, AVX2 in 8 ymm. */
static inline float arnn_scalar_dot64(const float *x, const float *w, size_t n) {
  float p[64] = {0};
  size_t k = 0;
  for (; k + 64 <= n; k += 64)
    for (int j = 0; j < 64; j++) p[j] = fmaf(x[k + j], w[k + j], p[j]);
  for (int j = 0; k + (size_t)j < n; j++) p[j] = fmaf(x[k + j], w[k + j], p[j]);
  for (int j = 0; j < 32; j++) p[j] = p[j] + p[j + 32];
  for (int j = 0; j < 16; j++) p[j] = p[j] + p[j + 16];
  return arnn_scalar_tree16(p);
}

#endif
