/* Fused LSTM step with bf16 recurrent weights, scalar: the exact oracle of
 * lstm-step-bf16-{avx2,avx512,neon}.c. Same equations and per-output order as
 * lstm-step-scalar.c (and the same start and epilogue,
 * lstm-step-scalar-inl.h); only the weights are read from the bf16 packing
 * (../rnn/rnn-step.h: pairs of consecutive k interleaved per lane) and
 * widened to float32, which is exact:
 *
 *   z_g = xp[(j*4+g)*16+l] + sum_k h[k] bf16(R[k][g*H+u])   (fmaf over k in order)
 *
 * So a layer whose float32 weights are bf16 values gives the same bits with
 * this kernel as with the float32 one. */
#include "../common/bf16-inl.h"
#include "lstm-step-scalar-inl.h"

void arnn_f32_lstm_step_bf16__scalar(const arnn_rnn_step_args *a, size_t nb, const float *const *xp,
                                     const float *const *h, float *const *c, float *const *h_out) {
  ARNN_KERNEL_ASSERT(arnn_rnn_step_args_ok(a, nb, xp, h, (const float *const *)c, (const float *const *)h_out, NULL, 1));
  const size_t H = a->H, Kp = (H + 1) / 2, blocks = a->Hp / 16;
  for (size_t s = 0; s < nb; s++) {
    for (size_t j = 0; j < blocks; j++) {
      const uint16_t *w = a->w16 + j * Kp * 4 * 32;
      float acc[4][16];
      arnn_lstm_scalar_acc_init(acc, xp[s], j);
      for (size_t k = 0; k < H; k++) {
        const float hk = h[s][k];
        const uint16_t *wk = w + (k / 2) * 4 * 32 + k % 2;
        for (size_t g = 0; g < 4; g++)
          for (size_t l = 0; l < 16; l++) acc[g][l] = fmaf(hk, arnn_f32_from_bf16(wk[g * 32 + 2 * l]), acc[g][l]);
      }
      arnn_lstm_scalar_epilogue(a, acc, j, c[s], h_out[s]);
    }
  }
}
