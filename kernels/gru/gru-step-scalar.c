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
 * z, r the recurrent ones) are folded in. Contract: ../rnn/rnn-step.h. */
#include "../rnn/rnn-act-scalar-inl.h"
#include "gru.h"

static void reset_after_step(const arnn_rnn_step_args *a, const float *xp, const float *h, float *h_out) {
  const size_t H = a->H, blocks = a->Hp / 16;
  for (size_t j = 0; j < blocks; j++) {
    const float *w = a->w + j * H * 48;
    float acc[3][16];
    for (size_t l = 0; l < 16; l++) {
      acc[0][l] = xp[(j * 3 + 0) * 16 + l];
      acc[1][l] = xp[(j * 3 + 1) * 16 + l];
      acc[2][l] = a->b_rec_h[j * 16 + l];
    }
    for (size_t k = 0; k < H; k++)
      for (size_t g = 0; g < 3; g++)
        for (size_t l = 0; l < 16; l++) acc[g][l] = fmaf(h[k], w[k * 48 + g * 16 + l], acc[g][l]);
    for (size_t l = 0; l < 16; l++) {
      const size_t u = j * 16 + l;
      const float z = arnn_scalar_ract(acc[0][l], a->ract);
      const float r = arnn_scalar_ract(acc[1][l], a->ract);
      const float hh = arnn_scalar_tanh(fmaf(r, acc[2][l], xp[(j * 3 + 2) * 16 + l]));
      h_out[u] = fmaf(z, h[u] - hh, hh);
    }
  }
}

static void reset_before_step(const arnn_rnn_step_args *a, const float *xp, const float *h, float *h_out,
                              float *rh) {
  const size_t H = a->H, blocks = a->Hp / 16;
  for (size_t j = 0; j < blocks; j++) {
    const float *w = a->w + j * H * 32;
    float acc[2][16];
    for (size_t l = 0; l < 16; l++) {
      acc[0][l] = xp[(j * 3 + 0) * 16 + l];
      acc[1][l] = xp[(j * 3 + 1) * 16 + l];
    }
    for (size_t k = 0; k < H; k++)
      for (size_t g = 0; g < 2; g++)
        for (size_t l = 0; l < 16; l++) acc[g][l] = fmaf(h[k], w[k * 32 + g * 16 + l], acc[g][l]);
    for (size_t l = 0; l < 16; l++) {
      const size_t u = j * 16 + l;
      h_out[u] = arnn_scalar_ract(acc[0][l], a->ract);
      rh[u] = arnn_scalar_ract(acc[1][l], a->ract) * h[u];
    }
  }
  for (size_t j = 0; j < blocks; j++) {
    const float *w = a->w_h + j * H * 16;
    float acc[16];
    for (size_t l = 0; l < 16; l++) acc[l] = xp[(j * 3 + 2) * 16 + l];
    for (size_t k = 0; k < H; k++)
      for (size_t l = 0; l < 16; l++) acc[l] = fmaf(rh[k], w[k * 16 + l], acc[l]);
    for (size_t l = 0; l < 16; l++) {
      const size_t u = j * 16 + l;
      const float hh = arnn_scalar_tanh(acc[l]);
      h_out[u] = fmaf(h_out[u], h[u] - hh, hh);
    }
  }
}

void arnn_f32_gru_step__scalar(const arnn_rnn_step_args *a, size_t nb, const float *const *xp,
                               const float *const *h, float *const *h_out, float *const *scratch) {
  ARNN_KERNEL_ASSERT(arnn_rnn_step_args_ok(a, nb, xp, h, NULL, (const float *const *)h_out, (const float *const *)scratch, 0));
  for (size_t s = 0; s < nb; s++) {
    if (a->reset_after)
      reset_after_step(a, xp[s], h[s], h_out[s]);
    else
      reset_before_step(a, xp[s], h[s], h_out[s], scratch[s]);
  }
}
