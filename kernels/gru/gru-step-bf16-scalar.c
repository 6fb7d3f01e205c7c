/* Fused GRU step with bf16 recurrent weights, scalar: the exact oracle of
 * gru-step-bf16-{avx2,avx512,neon}.c. Same equations and per-output order as
 * gru-step-scalar.c (gate order z, r, h; reset_after = 1 in one pass,
 * reset_after = 0 in two; the same starts, epilogues and step,
 * gru-step-scalar-inl.h); only the weights come from the bf16 packing
 * (../rnn/rnn-step.h: w16 with G = 3 or 2, w_h16 with G = 1), widened
 * exactly to float32. */
#include "../common/bf16-inl.h"
#include "gru-step-scalar-inl.h"

/* Weight of row k, gate g, lane l of block j in a bf16 packing with G gates. */
static inline float wt(const uint16_t *w, size_t Kp, size_t G, size_t j, size_t k, size_t g, size_t l) {
  return arnn_f32_from_bf16(w[((j * Kp + k / 2) * G + g) * 32 + 2 * l + k % 2]);
}

static void reset_after_step(const arnn_rnn_step_args *a, const float *xp, const float *h, float *h_out) {
  const size_t H = a->H, Kp = (H + 1) / 2, blocks = a->Hp / 16;
  for (size_t j = 0; j < blocks; j++) {
    float acc[3][16];
    arnn_gru_scalar_full_init(acc, a, xp, j);
    for (size_t k = 0; k < H; k++)
      for (size_t g = 0; g < 3; g++)
        for (size_t l = 0; l < 16; l++) acc[g][l] = fmaf(h[k], wt(a->w16, Kp, 3, j, k, g, l), acc[g][l]);
    arnn_gru_scalar_full_epilogue(a, acc, xp, h, j, h_out);
  }
}

static void reset_before_step(const arnn_rnn_step_args *a, const float *xp, const float *h, float *h_out,
                              float *rh) {
  const size_t H = a->H, Kp = (H + 1) / 2, blocks = a->Hp / 16;
  for (size_t j = 0; j < blocks; j++) {
    float acc[2][16];
    arnn_gru_scalar_pass1_init(acc, xp, j);
    for (size_t k = 0; k < H; k++)
      for (size_t g = 0; g < 2; g++)
        for (size_t l = 0; l < 16; l++) acc[g][l] = fmaf(h[k], wt(a->w16, Kp, 2, j, k, g, l), acc[g][l]);
    arnn_gru_scalar_pass1_epilogue(a, acc, h, j, h_out, rh);
  }
  for (size_t j = 0; j < blocks; j++) {
    float acc[16];
    arnn_gru_scalar_pass2_init(acc, xp, j);
    for (size_t k = 0; k < H; k++)
      for (size_t l = 0; l < 16; l++) acc[l] = fmaf(rh[k], wt(a->w_h16, Kp, 1, j, k, 0, l), acc[l]);
    arnn_gru_scalar_pass2_epilogue(acc, h, j, h_out);
  }
}

void arnn_f32_gru_step_bf16__scalar(const arnn_rnn_step_args *a, size_t nb, const float *const *xp,
                                    const float *const *h, float *const *h_out, float *const *scratch) {
  ARNN_KERNEL_ASSERT(arnn_rnn_step_args_ok(a, nb, xp, h, NULL, (const float *const *)h_out, (const float *const *)scratch, 0));
  arnn_gru_scalar_step(a, nb, xp, h, h_out, scratch, reset_after_step, reset_before_step);
}
