/* Fused GRU step with bf16 recurrent weights, scalar: the exact oracle of
 * gru-step-bf16-{avx2,avx512,neon}.c. Same equations and per-output order as
 * gru-step-scalar.c (gate order z, r, h; reset_after = 1 in one pass,
 * reset_after = 0 in two); only the weights come from the bf16 packing
 * (../rnn/rnn-step.h: w16 with G = 3 or 2, w_h16 with G = 1), widened
 * exactly to float32. */
#include "../common/bf16-inl.h"
#include "../rnn/rnn-act-scalar-inl.h"
#include "gru.h"

/* Weight of row k, gate g, lane l of block j in a bf16 packing with G gates. */
static inline float wt(const uint16_t *w, size_t Kp, size_t G, size_t j, size_t k, size_t g, size_t l) {
  return arnn_f32_from_bf16(w[((j * Kp + k / 2) * G + g) * 32 + 2 * l + k % 2]);
}

static void reset_after_step(const arnn_rnn_step_args *a, const float *xp, const float *h, float *h_out) {
  const size_t H = a->H, Kp = (H + 1) / 2, blocks = a->Hp / 16;
  for (size_t j = 0; j < blocks; j++) {
    float acc[3][16];
    for (size_t l = 0; l < 16; l++) {
      acc[0][l] = xp[(j * 3 + 0) * 16 + l];
      acc[1][l] = xp[(j * 3 + 1) * 16 + l];
      acc[2][l] = a->b_rec_h[j * 16 + l];
    }
    for (size_t k = 0; k < H; k++)
      for (size_t g = 0; g < 3; g++)
        for (size_t l = 0; l < 16; l++) acc[g][l] = fmaf(h[k], wt(a->w16, Kp, 3, j, k, g, l), acc[g][l]);
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
  const size_t H = a->H, Kp = (H + 1) / 2, blocks = a->Hp / 16;
  for (size_t j = 0; j < blocks; j++) {
    float acc[2][16];
    for (size_t l = 0; l < 16; l++) {
      acc[0][l] = xp[(j * 3 + 0) * 16 + l];
      acc[1][l] = xp[(j * 3 + 1) * 16 + l];
    }
    for (size_t k = 0; k < H; k++)
      for (size_t g = 0; g < 2; g++)
        for (size_t l = 0; l < 16; l++) acc[g][l] = fmaf(h[k], wt(a->w16, Kp, 2, j, k, g, l), acc[g][l]);
    for (size_t l = 0; l < 16; l++) {
      const size_t u = j * 16 + l;
      h_out[u] = arnn_scalar_ract(acc[0][l], a->ract);
      rh[u] = arnn_scalar_ract(acc[1][l], a->ract) * h[u];
    }
  }
  for (size_t j = 0; j < blocks; j++) {
    float acc[16];
    for (size_t l = 0; l < 16; l++) acc[l] = xp[(j * 3 + 2) * 16 + l];
    for (size_t k = 0; k < H; k++)
      for (size_t l = 0; l < 16; l++) acc[l] = fmaf(rh[k], wt(a->w_h16, Kp, 1, j, k, 0, l), acc[l]);
    for (size_t l = 0; l < 16; l++) {
      const size_t u = j * 16 + l;
      const float hh = arnn_scalar_tanh(acc[l]);
      h_out[u] = fmaf(h_out[u], h[u] - hh, hh);
    }
  }
}

void arnn_f32_gru_step_bf16__scalar(const arnn_rnn_step_args *a, size_t nb, const float *const *xp,
                                const float *const *h, float *const *h_out, float *const *scratch) {
  ARNN_KERNEL_ASSERT(arnn_rnn_step_args_ok(a, nb, xp, h, NULL, (const float *const *)h_out, (const float *const *)scratch, 0));
  for (size_t s = 0; s < nb; s++) {
    if (a->reset_after)
      reset_after_step(a, xp[s], h[s], h_out[s]);
    else
      reset_before_step(a, xp[s], h[s], h_out[s], scratch[s]);
  }
}
