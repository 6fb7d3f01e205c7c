/* MaxPooling1D / AveragePooling1D and the global poolings over the steps
 * axis. Plain loops; the feature loop is innermost, so every sum is over t in
 * increasing order for each feature (the same order on every ISA whatever the
 * compiler vectorises). Max passes NaN: once a window holds a NaN the result
 * is NaN, whatever the order of the steps. */
#include <stddef.h>
#include <string.h>

#include "layers.h"

/* a NaN in either operand gives NaN */
static inline float max_nan_passing(float m, float v) { return v > m || v != v ? v : m; }

/* Keras conv_output_length with dilation 1 (tf.keras utils/conv_utils.py;
 * keras/src/ops/operation_utils.py compute_pooling_output_shape):
 * valid: floor((T - pool) / stride) + 1, same: ceil(T / stride). */
size_t arnn_pool1d_out_steps(size_t T, size_t pool, size_t stride, arnn_padding_mode padding) {
  if (T == 0 || pool == 0 || stride == 0) return 0;
  if (padding == ARNN_PAD_SAME) return (T - 1) / stride + 1;
  if (padding != ARNN_PAD_VALID) return 0;
  return T < pool ? 0 : (T - pool) / stride + 1;
}

/* SAME pooling pads as TensorFlow (tf.nn.max_pool / avg_pool, which Keras'
 * pooling layers call; the JAX and torch backends reproduce it):
 * pad_total = max((T' - 1)*stride + pool - T, 0), pad_left = floor(pad_total/2).
 * Padded positions are not values: max ignores them, and average divides by the
 * number of real steps in the window (TensorFlow's SAME average pooling
 * excludes padding; keras' JAX backend divides by a pooled window of ones,
 * torch by count_include_pad=False). Every window holds at least one real step
 * (pad_left <= (pool - 1)/2 and the last window starts at or before T - 1). */
void arnn_pool1d_apply(arnn_pool_mode mode, size_t pool, size_t stride, arnn_padding_mode padding, size_t B,
                       size_t T, size_t F, const float *x, float *y) {
  const size_t T_out = arnn_pool1d_out_steps(T, pool, stride, padding);
  if (T_out == 0 || B == 0 || F == 0 || x == NULL || y == NULL) return;
  size_t pad_left = 0;
  if (padding == ARNN_PAD_SAME) {
    const size_t reach = (T_out - 1) * stride; /* <= T - 1 */
    if (pool >= T)
      pad_left = (pool - T + reach) / 2;
    else
      pad_left = reach > T - pool ? (reach - (T - pool)) / 2 : 0;
  }
  for (size_t b = 0; b < B; b++) {
    const float *xb = x + b * T * F;
    for (size_t o = 0; o < T_out; o++) {
      /* window [start, start + pool) in padded coordinates, clipped to [0, T) */
      const size_t start = o * stride;
      const size_t lo = start > pad_left ? start - pad_left : 0;
      size_t hi = start + pool - pad_left; /* start + pool > pad_left, see above */
      if (hi > T) hi = T;
      float *yo = y + (b * T_out + o) * F;
      memcpy(yo, xb + lo * F, F * sizeof(float));
      if (mode == ARNN_POOL_MAX) {
        for (size_t t = lo + 1; t < hi; t++)
          for (size_t f = 0; f < F; f++) yo[f] = max_nan_passing(yo[f], xb[t * F + f]);
      } else {
        for (size_t t = lo + 1; t < hi; t++)
          for (size_t f = 0; f < F; f++) yo[f] = yo[f] + xb[t * F + f];
        const float count = (float)(hi - lo);
        for (size_t f = 0; f < F; f++) yo[f] = yo[f] / count;
      }
    }
  }
}

/* GlobalAveragePooling1D: without a mask, the mean over T (sum in increasing
 * t, then one true division by T). With a mask, keras' masked mean
 * (keras/src/layers/pooling/global_average_pooling1d.py: where(mask, x, 0)
 * summed, divided by the sum of the mask): masked rows are skipped, not
 * multiplied by 0, so a NaN or inf in a padded row cannot leak. A sample with
 * no kept step gives 0 (Keras would give 0/0 = NaN).
 *
 * GlobalMaxPooling1D: the max over the steps. Keras' layer takes no mask
 * (keras/src/layers/pooling/global_max_pooling1d.py calls ops.max over the
 * steps axis; tf.keras 2 refuses a mask), so the converter passes NULL for it.
 * When a mask is given here anyway, the max runs over the kept steps only,
 * and a sample with no kept step gives 0 (not -inf, which would turn into NaN
 * in the next layer). */
void arnn_global_pool1d_apply(arnn_pool_mode mode, size_t B, size_t T, size_t F, const float *x,
                              const unsigned char *mask, float *y) {
  if (B == 0 || F == 0 || x == NULL || y == NULL) return;
  for (size_t b = 0; b < B; b++) {
    const float *xb = x + b * T * F;
    const unsigned char *mb = mask != NULL ? mask + b * T : NULL;
    float *yb = y + b * F;
    size_t kept = 0;
    for (size_t t = 0; t < T; t++) {
      if (mb != NULL && !mb[t]) continue;
      const float *row = xb + t * F;
      if (kept == 0)
        memcpy(yb, row, F * sizeof(float));
      else if (mode == ARNN_POOL_MAX)
        for (size_t f = 0; f < F; f++) yb[f] = max_nan_passing(yb[f], row[f]);
      else
        for (size_t f = 0; f < F; f++) yb[f] = yb[f] + row[f];
      kept++;
    }
    if (kept == 0) {
      memset(yb, 0, F * sizeof(float));
    } else if (mode == ARNN_POOL_AVG) {
      const float count = (float)kept;
      for (size_t f = 0; f < F; f++) yb[f] = yb[f] / count;
    }
  }
}
