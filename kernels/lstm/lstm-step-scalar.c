/* Fused LSTM step, scalar: the exact oracle of lstm-step-avx2.c and
 * lstm-step-avx512.c. For each sequence s and hidden unit u (block j, lane l):
 *
 *   z_g = xp[(j*4+g)*16+l] + sum_k h[k] R[k][g*H+u]   (fmaf over k in order)
 *   i = s(z_i), f = s(z_f), g = tanh(z_c), o = s(z_o)   (s = recurrent act.)
 *   c' = fma(f, c, i*g),  h' = o * tanh(c')
 *
 * The start and the epilogue are lstm-step-scalar-inl.h (shared with the
 * bf16 kernel). Layout and contract: rnn-step.h. */
#include "lstm-step-scalar-inl.h"

void arnn_f32_lstm_step__scalar(const arnn_rnn_step_args *a, size_t nb, const float *const *xp,
                                const float *const *h, float *const *c, float *const *h_out) {
  ARNN_KERNEL_ASSERT(arnn_rnn_step_args_ok(a, nb, xp, h, (const float *const *)c, (const float *const *)h_out, NULL, 1));
  const size_t H = a->H, blocks = a->Hp / 16;
  for (size_t s = 0; s < nb; s++) {
    for (size_t j = 0; j < blocks; j++) {
      const float *w = a->w + j * H * 64;
      float acc[4][16];
      arnn_lstm_scalar_acc_init(acc, xp[s], j);
      for (size_t k = 0; k < H; k++) {
        const float hk = h[s][k];
        for (size_t g = 0; g < 4; g++)
          for (size_t l = 0; l < 16; l++) acc[g][l] = fmaf(hk, w[k * 64 + g * 16 + l], acc[g][l]);
      }
      arnn_lstm_scalar_epilogue(a, acc, j, c[s], h_out[s]);
    }
  }
}
