/* Reading bf16 W_hh on NEON, shared by the bf16 LSTM and GRU step kernels:
 * 16 bytes of the bf16 packing (../rnn/rnn-step.h) hold 4 lanes of a gate for
 * k and k+1; the 32-bit lane l is (w[k+1][l] << 16) | w[k][l], so w[k] =
 * lane << 16 (SHL) and w[k+1] = lane with the low half cleared (AND), both
 * exact. */
#ifndef ARNN_KERNELS_RNN_RNN_BF16_NEON_INL_H
#define ARNN_KERNELS_RNN_RNN_BF16_NEON_INL_H

#include <arm_neon.h>
#include <stdint.h>

/* w[k] (*wk) and w[k+1] (*wk1) of 4 lanes from 16 bytes of pairs at p. */
static inline __attribute__((always_inline)) void arnn_neon_widen_bf16_pairs(const uint16_t *p, float32x4_t *wk,
                                                                             float32x4_t *wk1) {
  const uint32x4_t pair = vreinterpretq_u32_u16(vld1q_u16(p));
  *wk = vreinterpretq_f32_u32(vshlq_n_u32(pair, 16));
  *wk1 = vreinterpretq_f32_u32(vandq_u32(pair, vdupq_n_u32(0xFFFF0000u)));
}

/* w[k] alone: the last k of an odd H, whose pair partner is zero padding. */
static inline __attribute__((always_inline)) float32x4_t arnn_neon_widen_bf16_first(const uint16_t *p) {
  return vreinterpretq_f32_u32(vshlq_n_u32(vreinterpretq_u32_u16(vld1q_u16(p)), 16));
}

#endif
