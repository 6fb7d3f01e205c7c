/* Merge layers (Add, Subtract, Multiply, Average, Maximum, Minimum,
 * Concatenate), Permute((2, 1)), RepeatVector and Dot. Plain loops, every
 * reduction in one fixed order. */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "layers.h"

/* Keras' merges fold left to right (keras/src/layers/merging/add.py:
 * output = inputs[0]; output = output + inputs[i]; average.py divides that
 * sum by the number of inputs). Maximum and minimum pass a NaN from either
 * side (as numpy / jax maximum do). Each element is finished before y[i] is
 * written, so y may be any one of the inputs. */
static inline float max_nan_passing(float a, float b) { return b > a || b != b ? b : a; }
static inline float min_nan_passing(float a, float b) { return b < a || b != b ? b : a; }

void arnn_merge_elementwise(arnn_merge_mode mode, size_t n, const float *const *x, size_t count, float *y) {
  if (n == 0 || x == NULL || y == NULL) return;
  switch (mode) {
    case ARNN_MERGE_SUBTRACT:
      if (n != 2) return;
      for (size_t i = 0; i < count; i++) y[i] = x[0][i] - x[1][i];
      break;
    case ARNN_MERGE_ADD:
    case ARNN_MERGE_AVERAGE: {
      const float d = (float)n;
      for (size_t i = 0; i < count; i++) {
        float acc = x[0][i];
        for (size_t j = 1; j < n; j++) acc = acc + x[j][i];
        y[i] = mode == ARNN_MERGE_AVERAGE ? acc / d : acc;
      }
      break;
    }
    case ARNN_MERGE_MULTIPLY:
      for (size_t i = 0; i < count; i++) {
        float acc = x[0][i];
        for (size_t j = 1; j < n; j++) acc = acc * x[j][i];
        y[i] = acc;
      }
      break;
    case ARNN_MERGE_MAXIMUM:
      for (size_t i = 0; i < count; i++) {
        float acc = x[0][i];
        for (size_t j = 1; j < n; j++) acc = max_nan_passing(acc, x[j][i]);
        y[i] = acc;
      }
      break;
    case ARNN_MERGE_MINIMUM:
      for (size_t i = 0; i < count; i++) {
        float acc = x[0][i];
        for (size_t j = 1; j < n; j++) acc = min_nan_passing(acc, x[j][i]);
        y[i] = acc;
      }
      break;
    default: break;
  }
}

/* axis 1: every input has rows[0] rows; a row of y is the inputs' rows side by
 * side. axis 0: every input has cols[0] columns; a sample of y is the inputs'
 * samples one after the other. */
void arnn_concat(size_t B, size_t n, const float *const *x, const size_t *rows, const size_t *cols, int axis,
                 float *y) {
  if (B == 0 || n == 0 || x == NULL || rows == NULL || cols == NULL || y == NULL) return;
  if (axis == 0) {
    for (size_t b = 0; b < B; b++)
      for (size_t i = 0; i < n; i++) {
        const size_t len = rows[i] * cols[0];
        memcpy(y, x[i] + b * len, len * sizeof(float));
        y += len;
      }
    return;
  }
  const size_t R = rows[0];
  for (size_t b = 0; b < B; b++)
    for (size_t r = 0; r < R; r++)
      for (size_t i = 0; i < n; i++) {
        memcpy(y, x[i] + (b * R + r) * cols[i], cols[i] * sizeof(float));
        y += cols[i];
      }
}

void arnn_transpose(size_t B, size_t rows, size_t cols, const float *x, float *y) {
  if (x == NULL || y == NULL) return;
  const size_t per = rows * cols;
  for (size_t b = 0; b < B; b++) {
    const float *xb = x + b * per;
    float *yb = y + b * per;
    for (size_t r = 0; r < rows; r++)
      for (size_t c = 0; c < cols; c++) yb[c * rows + r] = xb[r * cols + c];
  }
}

void arnn_repeat_vector(size_t B, size_t F, size_t n, const float *x, float *y) {
  if (x == NULL || y == NULL) return;
  for (size_t b = 0; b < B; b++)
    for (size_t i = 0; i < n; i++) memcpy(y + (b * n + i) * F, x + b * F, F * sizeof(float));
}

/* normalize=True scratch: the normalized copies of one sample of a and b. */
size_t arnn_dot_scratch_floats(size_t B, size_t ra, size_t ca, size_t rb, size_t cb) {
  (void)B;
  return ra * ca + rb * cb;
}

/* L2 normalization along `axis` of one [rows][cols] sample into out, as
 * keras/src/ops/nn.py _normalize (order 2): x * min(rsqrt(sum x^2), 1/eps)
 * with eps = backend.epsilon() = 1e-7, so a zero vector stays zero. (tf.keras
 * 2 uses tf.linalg.l2_normalize, x * rsqrt(max(sum x^2, 1e-12)): the two differ
 * only for vectors of norm below 1e-6.) The sum of squares runs in increasing
 * index order; rsqrt is 1 / sqrt, both IEEE. */
static void l2_normalize(size_t rows, size_t cols, const float *x, int axis, float *out) {
  const size_t lines = axis == 1 ? rows : cols, len = axis == 1 ? cols : rows;
  const size_t stride = axis == 1 ? 1 : cols, line_step = axis == 1 ? cols : 1;
  for (size_t i = 0; i < lines; i++) {
    const float *v = x + i * line_step;
    float ss = 0.0f;
    for (size_t k = 0; k < len; k++) ss += v[k * stride] * v[k * stride];
    float inv = 1.0f / sqrtf(ss);
    if (!(inv <= 1e7f)) inv = inv != inv ? inv : 1e7f; /* NaN passes, inf caps */
    for (size_t k = 0; k < len; k++) out[i * line_step + k * stride] = v[k * stride] * inv;
  }
}

/* Keras Dot on per-sample matrices (keras/src/layers/merging/dot.py
 * batch_dot): y[i][j] = sum_k A(i, k) B(k, j), where A(i, k) is a[i][k]
 * (axa = 1) or a[k][i] (axa = 0) and B(k, j) is b[k][j] (axb = 0) or b[j][k]
 * (axb = 1): the free axis of a, then the free axis of b, as Keras orders the
 * output. Each sum is fmaf over k in increasing order from 0. */
void arnn_dot(size_t B, size_t ra, size_t ca, const float *a, int axa, size_t rb, size_t cb, const float *b,
              int axb, int normalize, float *y, float *scratch) {
  if (a == NULL || b == NULL || y == NULL || (normalize && scratch == NULL)) return;
  const size_t K = axa == 1 ? ca : ra;
  if ((axb == 0 ? rb : cb) != K) return;
  const size_t I = axa == 1 ? ra : ca, J = axb == 0 ? cb : rb;
  /* element strides of A(i, k) and B(k, j) */
  const size_t ai = axa == 1 ? ca : 1, ak = axa == 1 ? 1 : ca;
  const size_t bk = axb == 0 ? cb : 1, bj = axb == 0 ? 1 : cb;
  for (size_t s = 0; s < B; s++) {
    const float *as = a + s * ra * ca, *bs = b + s * rb * cb;
    if (normalize) {
      l2_normalize(ra, ca, as, axa, scratch);
      l2_normalize(rb, cb, bs, axb, scratch + ra * ca);
      as = scratch;
      bs = scratch + ra * ca;
    }
    float *ys = y + s * I * J;
    for (size_t i = 0; i < I; i++)
      for (size_t j = 0; j < J; j++) {
        float acc = 0.0f;
        for (size_t k = 0; k < K; k++) acc = fmaf(as[i * ai + k * ak], bs[k * bk + j * bj], acc);
        ys[i * J + j] = acc;
      }
  }
}
