/* Activations (docs/model-graph.md, "Activations"), in place.
 *
 * Bit-reproducibility: tanh, sigmoid and exp go through the dispatched vmath
 * kernels, which give the same bits on every ISA. Everything else is plain
 * scalar C compiled with -ffp-contract=off. The functions Keras evaluates
 * with expm1, erfc or log1p (elu, selu, gelu, softplus) are evaluated in
 * double and rounded once to float: libm's double results are far inside
 * one float ULP, so the rounded value is the correctly rounded float except
 * in vanishingly rare ties, and no float32 cancellation (1 + erf(x) for
 * x << 0, e^x - 1 near 0) loses accuracy. (glibc may pick an FMA build of a
 * double function by CPU; that can change a float result only in those same
 * rare ties, never with the ARNN_ISA setting.)
 *
 * NaN passes through every elementwise activation (comparisons are written
 * so a NaN input selects a NaN-producing branch). */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "../../dispatch/dispatch.h"
#include "layers.h"

/* The names the graph JSON uses (docs/model-graph.md). */
static const char *const act_names[ARNN_ACT_COUNT] = {
    [ARNN_ACT_LINEAR] = "linear",
    [ARNN_ACT_RELU] = "relu",
    [ARNN_ACT_RELU6] = "relu6",
    [ARNN_ACT_LEAKY_RELU] = "leaky_relu",
    [ARNN_ACT_ELU] = "elu",
    [ARNN_ACT_SELU] = "selu",
    [ARNN_ACT_GELU] = "gelu",
    [ARNN_ACT_GELU_TANH] = "gelu_tanh",
    [ARNN_ACT_SWISH] = "swish",
    [ARNN_ACT_TANH] = "tanh",
    [ARNN_ACT_SIGMOID] = "sigmoid",
    [ARNN_ACT_HARD_SIGMOID_KERAS2] = "hard_sigmoid_keras2",
    [ARNN_ACT_HARD_SIGMOID_KERAS3] = "hard_sigmoid_keras3",
    [ARNN_ACT_SOFTPLUS] = "softplus",
    [ARNN_ACT_SOFTSIGN] = "softsign",
    [ARNN_ACT_EXPONENTIAL] = "exponential",
    [ARNN_ACT_SOFTMAX] = "softmax",
    [ARNN_ACT_PRELU] = "prelu",
};

const char *arnn_act_name(arnn_act_kind kind) {
  if ((int)kind < 0 || kind >= ARNN_ACT_COUNT) return NULL;
  return act_names[kind];
}

int arnn_act_from_name(const char *name) {
  if (name == NULL) return -1;
  for (int k = 0; k < ARNN_ACT_COUNT; k++)
    if (strcmp(name, act_names[k]) == 0) return k;
  return -1;
}

/* Elements per stack chunk for the activations that need x and f(x) at once
 * (gelu_tanh, swish) and for the columns handled together by a softmax over
 * rows: no scratch argument, and a chunk fits in L1 next to its data. */
#define ACT_CHUNK 256

/* Keras ReLU with its options, in the operation order of the backend function
 * (keras/src/activations/activations.py ReLU.static_call, identical to tf.keras
 * backend.relu):
 *   negative_slope != 0, no max_value, threshold 0: leaky_relu (x > 0 ? x : slope x);
 *   otherwise negative_part = relu(threshold - x) (only when slope != 0);
 *     threshold != 0: x = x * (x > threshold)   (so x == threshold gives 0, and
 *                                                 -inf gives NaN, as in Keras)
 *     else max_value == 6: relu6, no further clip
 *     else relu(x);
 *   max_value given: clip(x, 0, max_value);
 *   slope != 0: x - slope * negative_part.
 * This differs from the docstring formula at x == threshold (threshold != 0)
 * and, with max_value and threshold < 0, for threshold < x < 0: the code, not
 * the docstring, is what a saved model computed. */
static inline float nan_passing_max0(float x) { return x < 0.0f ? 0.0f : x; }

static inline float clip_nan_passing(float x, float lo, float hi) {
  if (x < lo) return lo;
  if (x > hi) return hi;
  return x;
}

static float keras_relu(float x, float slope, float max_value, float threshold) {
  const int has_max = max_value != INFINITY; /* INFINITY = none */
  if (slope != 0.0f && !has_max && threshold == 0.0f) return x > 0.0f ? x : slope * x;
  float negative_part = 0.0f;
  if (slope != 0.0f) negative_part = nan_passing_max0(threshold - x);
  int clip_max = has_max;
  float y;
  if (threshold != 0.0f) {
    y = x * (x > threshold ? 1.0f : 0.0f);
  } else if (has_max && max_value == 6.0f) {
    y = clip_nan_passing(x, 0.0f, 6.0f);
    clip_max = 0;
  } else {
    y = nan_passing_max0(x);
  }
  if (clip_max) y = clip_nan_passing(y, 0.0f, max_value);
  if (slope != 0.0f) y = y - slope * negative_part;
  return y;
}

/* SELU constants (keras/src/activations/activations.py selu; tf.nn.selu). */
#define SELU_ALPHA 1.6732632423543772848170429916717
#define SELU_SCALE 1.0507009873554804934193349852946

/* Softmax over the cols of each of `rows` rows (contiguous). */
static void softmax_rows(size_t rows, size_t cols, float *x, arnn_f32_vunary_fn vexp) {
  for (size_t r = 0; r < rows; r++) {
    float *v = x + r * cols;
    float m = v[0];
    for (size_t c = 1; c < cols; c++) m = v[c] > m ? v[c] : m;
    for (size_t c = 0; c < cols; c++) v[c] = v[c] - m;
    vexp(v, v, cols);
    float s = 0.0f;
    for (size_t c = 0; c < cols; c++) s += v[c];
    for (size_t c = 0; c < cols; c++) v[c] = v[c] / s;
  }
}

/* Softmax over the rows of each column of one [rows][cols] sample, ACT_CHUNK
 * columns at a time (the per-column max and sum live on the stack). Masked
 * rows first get -1e9 added to their logits, as the Keras Softmax layer does
 * for float32 (keras/src/layers/activations/softmax.py: inputs += (1 - mask) *
 * _large_negative_number, -1e9; tf.keras the same with
 * _large_compatible_negative). Kept rows are left untouched (x + 0 == x). */
static void softmax_cols(size_t rows, size_t cols, const unsigned char *mask, float *x, arnn_f32_vunary_fn vexp) {
  if (mask != NULL)
    for (size_t r = 0; r < rows; r++)
      if (!mask[r])
        for (size_t c = 0; c < cols; c++) x[r * cols + c] = x[r * cols + c] + -1e9f;
  float m[ACT_CHUNK], s[ACT_CHUNK];
  for (size_t c0 = 0; c0 < cols; c0 += ACT_CHUNK) {
    const size_t w = cols - c0 < ACT_CHUNK ? cols - c0 : ACT_CHUNK;
    for (size_t c = 0; c < w; c++) m[c] = x[c0 + c];
    for (size_t r = 1; r < rows; r++) {
      const float *v = x + r * cols + c0;
      for (size_t c = 0; c < w; c++) m[c] = v[c] > m[c] ? v[c] : m[c];
    }
    for (size_t c = 0; c < w; c++) s[c] = 0.0f;
    for (size_t r = 0; r < rows; r++) {
      float *v = x + r * cols + c0;
      for (size_t c = 0; c < w; c++) v[c] = v[c] - m[c];
      vexp(v, v, w);
      for (size_t c = 0; c < w; c++) s[c] += v[c];
    }
    for (size_t r = 0; r < rows; r++) {
      float *v = x + r * cols + c0;
      for (size_t c = 0; c < w; c++) v[c] = v[c] / s[c];
    }
  }
}

void arnn_act_apply(const arnn_act *act, size_t B, size_t rows, size_t cols, const unsigned char *mask, float *x) {
  if (act == NULL || x == NULL || B == 0 || rows == 0 || cols == 0) return;
  const size_t per_sample = rows * cols;
  const size_t n = B * per_sample;
  const arnn_dispatch_table *d = arnn_dispatch();
  switch (act->kind) {
    case ARNN_ACT_LINEAR: break;
    case ARNN_ACT_RELU:
      for (size_t i = 0; i < n; i++) x[i] = keras_relu(x[i], act->negative_slope, act->max_value, act->threshold);
      break;
    case ARNN_ACT_RELU6:
      for (size_t i = 0; i < n; i++) x[i] = clip_nan_passing(x[i], 0.0f, 6.0f);
      break;
    case ARNN_ACT_LEAKY_RELU:
      /* tf.nn.leaky_relu / jax: x > 0 ? x : alpha x (same values at 0) */
      for (size_t i = 0; i < n; i++) x[i] = x[i] > 0.0f ? x[i] : act->alpha * x[i];
      break;
    case ARNN_ACT_ELU:
      /* keras elu: x > 0 ? x : alpha * expm1(x), expm1 rounded to float first */
      for (size_t i = 0; i < n; i++)
        if (!(x[i] > 0.0f)) x[i] = act->alpha * (float)expm1((double)x[i]);
      break;
    case ARNN_ACT_SELU:
      for (size_t i = 0; i < n; i++)
        x[i] = x[i] > 0.0f ? (float)SELU_SCALE * x[i] : (float)(SELU_SCALE * SELU_ALPHA * expm1((double)x[i]));
      break;
    case ARNN_ACT_GELU:
      /* x/2 (1 + erf(x/sqrt2)) = x/2 erfc(-x/sqrt2): no cancellation for x << 0 */
      for (size_t i = 0; i < n; i++) {
        const double v = x[i];
        x[i] = (float)(0.5 * v * erfc(-v * 0.70710678118654752440));
      }
      break;
    case ARNN_ACT_GELU_TANH: {
      /* tf.nn.gelu(approximate=True), float32 order:
       * 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) */
      float t[ACT_CHUNK];
      for (size_t i0 = 0; i0 < n; i0 += ACT_CHUNK) {
        const size_t w = n - i0 < ACT_CHUNK ? n - i0 : ACT_CHUNK;
        float *v = x + i0;
        for (size_t i = 0; i < w; i++) t[i] = 0.7978845608028654f * (v[i] + 0.044715f * (v[i] * v[i] * v[i]));
        d->vtanh.fn(t, t, w);
        for (size_t i = 0; i < w; i++) v[i] = 0.5f * v[i] * (1.0f + t[i]);
      }
      break;
    }
    case ARNN_ACT_SWISH: {
      /* keras silu / swish: x * sigmoid(x) */
      float t[ACT_CHUNK];
      for (size_t i0 = 0; i0 < n; i0 += ACT_CHUNK) {
        const size_t w = n - i0 < ACT_CHUNK ? n - i0 : ACT_CHUNK;
        d->vsigmoid.fn(x + i0, t, w);
        for (size_t i = 0; i < w; i++) x[i0 + i] = x[i0 + i] * t[i];
      }
      break;
    }
    case ARNN_ACT_TANH: d->vtanh.fn(x, x, n); break;
    case ARNN_ACT_SIGMOID: d->vsigmoid.fn(x, x, n); break;
    case ARNN_ACT_EXPONENTIAL: d->vexp.fn(x, x, n); break;
    case ARNN_ACT_HARD_SIGMOID_KERAS2:
      /* tf.keras backend.hard_sigmoid: clip(0.2 x + 0.5, 0, 1), two roundings */
      for (size_t i = 0; i < n; i++) x[i] = clip_nan_passing(0.2f * x[i] + 0.5f, 0.0f, 1.0f);
      break;
    case ARNN_ACT_HARD_SIGMOID_KERAS3:
      /* keras 3 (TensorFlow backend nn.hard_sigmoid): clip(x / 6 + 0.5, 0, 1) */
      for (size_t i = 0; i < n; i++) x[i] = clip_nan_passing(x[i] / 6.0f + 0.5f, 0.0f, 1.0f);
      break;
    case ARNN_ACT_SOFTPLUS:
      /* log(1 + e^x), stable form: max(x, 0) + log1p(e^-|x|) */
      for (size_t i = 0; i < n; i++) {
        const double v = x[i];
        x[i] = (float)(v > 0.0 ? v + log1p(exp(-v)) : log1p(exp(v)));
      }
      break;
    case ARNN_ACT_SOFTSIGN:
      for (size_t i = 0; i < n; i++) x[i] = x[i] / (1.0f + fabsf(x[i]));
      break;
    case ARNN_ACT_SOFTMAX:
      if (act->axis == 0) {
        for (size_t b = 0; b < B; b++)
          softmax_cols(rows, cols, mask != NULL ? mask + b * rows : NULL, x + b * per_sample, d->vexp.fn);
      } else {
        softmax_rows(B * rows, cols, x, d->vexp.fn);
      }
      break;
    case ARNN_ACT_PRELU:
      /* keras PReLU: relu(x) - alpha relu(-x) = x > 0 ? x : alpha x */
      if (act->prelu_alpha == NULL) break;
      for (size_t b = 0; b < B; b++) {
        float *v = x + b * per_sample;
        for (size_t i = 0; i < per_sample; i++) v[i] = v[i] > 0.0f ? v[i] : act->prelu_alpha[i] * v[i];
      }
      break;
    default: break;
  }
}
