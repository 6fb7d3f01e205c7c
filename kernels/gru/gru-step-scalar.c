/* Fused GRU step, scalar: the exact oracle of gru-step-avx2.c and
 * gru-step-avx512.c. Gate order z, r, h (Keras). For unit u (block j, lane l):
 *
 * reset_after = 1 (w holds z, r, h interleaved, G = 3):
 *   z = s(xp_z + sum_k h[k] R_z),  r = s(xp_r + sum_k h[k] R_r)
 *   a = b_rec_h[u] + sum_k h[k] R_h          (all fmaf over k in order)
 *   hh = tanh(fma(r, a, xp_h)),  h' = fma(z, h - hh, hh)  (= z h + (1-z) hh)
 * reset_after = 0 (w holds z, r, G = 2; w_h holds R_h, G = 1):
 *   pass 1: z, r as above; rh = r*h (scratch), z parked in h_out;
 *   pass 2: hh = tanh(xp_h + sum_k rh[k] R_h),  h' = fma(z, h - hh, hh).
 * xp always has G = 3 gate-interleaved columns; the input biases (and for
 * z, r the recurrent ones) are folded in. The passes' starts and epilogues
 * and the step are gru-step-scalar-inl.h (shared with the bf16 kernel).
 * Contract: ../rnn/rnn-step.h. */
#include "gru-step-scalar-inl.h"

static void reset_after_step(const arnn_rnn_step_args *a, const float *xp, const float *h, float *h_out) {
  const size_t H = a->H, blocks = a->Hp / 16;
  for (size_t j = 0; j < blocks; j++) {
    const float *w = a->w + j * H * 48;
    float acc[3][16];
    arnn_gru_scalar_full_init(acc, a, xp, j);
    for (size_t k = 0; k < H; k++)
      for (size_t g = 0; g < 3; g++)
        for (size_t l = 0; l < 16; l++) acc[g][l] = fmaf(h[k], w[k * 48 + g * 16 + l], acc[g][l]);
    arnn_gru_scalar_full_epilogue(a, acc, xp, h, j, h_out);
  }
}

static void reset_before_step(const arnn_rnn_step_args *a, const float *xp, const float *h, float *h_out,
                              float *rh) {
  const size_t H = a->H, blocks = a->Hp / 16;
  for (size_t j = 0; j < blocks; j++) {
    const float *w = a->w + j * H * 32;
    float acc[2][16];
    arnn_gru_scalar_pass1_init(acc, xp, j);
    for (size_t k = 0; k < H; k++)
      for (size_t g = 0; g < 2; g++)
        for (size_t l = 0; l < 16; l++) acc[g][l] = fmaf(h[k], w[k * 32 + g * 16 + l], acc[g][l]);
    arnn_gru_scalar_pass1_epilogue(a, acc, h, j, h_out, rh);
  }
  for (size_t j = 0; j < blocks; j++) {
    const float *w = a->w_h + j * H * 16;
    float acc[16];
    arnn_gru_scalar_pass2_init(acc, xp, j);
    for (size_t k = 0; k < H; k++)
      for (size_t l = 0; l < 16; l++) acc[l] = fmaf(rh[k], w[k * 16 + l], acc[l]);
    arnn_gru_scalar_pass2_epilogue(acc, h, j, h_out);
  }
}

void arnn_f32_gru_step__scalar(const arnn_rnn_step_args *a, size_t nb, const float *const *xp,
                               const float *const *h, float *const *h_out, float *const *scratch) {
  ARNN_KERNEL_ASSERT(arnn_rnn_step_args_ok(a, nb, xp, h, NULL, (const float *const *)h_out, (const float *const *)scratch, 0));
  arnn_gru_scalar_step(a, nb, xp, h, h_out, scratch, reset_after_step, reset_before_step);
}
