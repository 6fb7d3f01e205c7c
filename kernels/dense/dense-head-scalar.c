/* Dense classifier head, scalar: the exact oracle of dense-head-avx2.c and
 * dense-head-avx512.c (same operations, same order, same bits).
 *
 * Per row b and class c:  z = x_b . W[:, c]  in the canonical 16-lane order
 * (kernels/common/dot16-scalar-inl.h), then z + bias[c] if a bias is given.
 * Activation (shared per-element vmath functions):
 *   sigmoid: y = sigmoid(z), computed from exp(-|z|) with a true division;
 *   softmax: m = max_c z, y_c = exp(z_c - m) (so every exponent is <= 0 and
 *            nothing overflows, however large the logits), S = sum_c y_c in
 *            increasing c (S >= 1 because the maximum contributes exp(0) = 1),
 *            y_c = y_c / S (true division). */
#include "dense.h"
#include "../common/dot16-scalar-inl.h"
#include "../vmath/vmath-scalar-inl.h"

void arnn_f32_dense_head__scalar(size_t B, size_t F, size_t C, const float *x, const float *wt, size_t ldw,
                                 const float *bias, int activation, float *y) {
  ARNN_KERNEL_ASSERT(arnn_dense_head_args_ok(B, F, C, x, wt, ldw, activation, y));
  for (size_t b = 0; b < B; b++) {
    const float *xb = x + b * F;
    float *yb = y + b * C;
    for (size_t c = 0; c < C; c++) {
      float z = arnn_scalar_dot16(xb, wt + c * ldw, F);
      if (bias != NULL) z = z + bias[c];
      yb[c] = z;
    }
    if (activation == ARNN_DENSE_ACT_SIGMOID) {
      for (size_t c = 0; c < C; c++) yb[c] = arnn_scalar_sigmoid(yb[c]);
    } else if (activation == ARNN_DENSE_ACT_SOFTMAX) {
      const float m = arnn_dense_row_max(yb, C);
      for (size_t c = 0; c < C; c++) yb[c] = arnn_scalar_exp(yb[c] - m);
      const float s = arnn_dense_row_sum(yb, C);
      for (size_t c = 0; c < C; c++) yb[c] = yb[c] / s;
    }
  }
}
