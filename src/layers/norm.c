/* BatchNormalization (inference) and LayerNormalization over the last axis.
 *
 * Both are an affine map per feature, y = x * scale + shift, with Keras'
 * operation shape (keras/src/layers/normalization/batch_normalization.py and
 * layer_normalization.py: inv = rsqrt(var + eps) * gamma; y = x * inv +
 * (beta - mean * inv)). Batch norm's scale and shift are constants, computed
 * once at creation in double and rounded once. Layer norm computes the mean
 * and the (biased) variance of each row in double, two passes in increasing
 * feature order (fixed order, no cancellation of E[x^2] - E[x]^2), and
 * y = (x - mean) * (inv * gamma) + beta in double, rounded once: a row whose
 * mean is large against its spread keeps its accuracy. No rsqrt estimate:
 * sqrt and division are IEEE. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "layers.h"

enum { NORM_BATCH = 0, NORM_LAYER = 1 };

struct arnn_norm_layer {
  int kind;
  size_t F;
  float epsilon;
  float *a; /* batch: scale; layer: gamma */
  float *b; /* batch: shift; layer: beta */
};

static arnn_status norm_alloc(size_t F, int kind, float epsilon, arnn_norm_layer **out) {
  if (F > SIZE_MAX / sizeof(float)) return ARNN_ERR_OUT_OF_RANGE;
  arnn_norm_layer *l = calloc(1, sizeof *l);
  if (l == NULL) return ARNN_ERR_OUT_OF_MEMORY;
  l->kind = kind;
  l->F = F;
  l->epsilon = epsilon;
  l->a = malloc(F * sizeof(float));
  l->b = malloc(F * sizeof(float));
  if (l->a == NULL || l->b == NULL) {
    arnn_norm_layer_destroy(l);
    return ARNN_ERR_OUT_OF_MEMORY;
  }
  *out = l;
  return ARNN_OK;
}

/* gamma or beta may be NULL (Keras scale=False / center=False): 1 and 0. */
arnn_status arnn_batch_norm_create(size_t F, const float *gamma, const float *beta, const float *mean,
                                   const float *var, float epsilon, arnn_norm_layer **layer) {
  if (layer == NULL) return ARNN_ERR_INVALID_ARGUMENT;
  *layer = NULL;
  if (F == 0 || mean == NULL || var == NULL || !(epsilon >= 0.0f) || isinf(epsilon))
    return ARNN_ERR_INVALID_ARGUMENT;
  arnn_norm_layer *l;
  const arnn_status st = norm_alloc(F, NORM_BATCH, epsilon, &l);
  if (st != ARNN_OK) return st;
  for (size_t f = 0; f < F; f++) {
    const double g = gamma != NULL ? gamma[f] : 1.0;
    const double bt = beta != NULL ? beta[f] : 0.0;
    const double inv = g / sqrt((double)var[f] + (double)epsilon);
    l->a[f] = (float)inv;
    l->b[f] = (float)(bt - (double)mean[f] * inv);
  }
  *layer = l;
  return ARNN_OK;
}

arnn_status arnn_layer_norm_create(size_t F, const float *gamma, const float *beta, float epsilon,
                                   arnn_norm_layer **layer) {
  if (layer == NULL) return ARNN_ERR_INVALID_ARGUMENT;
  *layer = NULL;
  if (F == 0 || !(epsilon >= 0.0f) || isinf(epsilon)) return ARNN_ERR_INVALID_ARGUMENT;
  arnn_norm_layer *l;
  const arnn_status st = norm_alloc(F, NORM_LAYER, epsilon, &l);
  if (st != ARNN_OK) return st;
  for (size_t f = 0; f < F; f++) {
    l->a[f] = gamma != NULL ? gamma[f] : 1.0f;
    l->b[f] = beta != NULL ? beta[f] : 0.0f;
  }
  *layer = l;
  return ARNN_OK;
}

void arnn_norm_layer_destroy(arnn_norm_layer *layer) {
  if (layer == NULL) return;
  free(layer->a);
  free(layer->b);
  free(layer);
}

void arnn_norm_layer_apply(const arnn_norm_layer *layer, size_t rows, const float *x, float *y) {
  if (layer == NULL || x == NULL || y == NULL) return;
  const size_t F = layer->F;
  const float *a = layer->a, *b = layer->b;
  if (layer->kind == NORM_BATCH) {
    for (size_t r = 0; r < rows; r++)
      for (size_t f = 0; f < F; f++) y[r * F + f] = x[r * F + f] * a[f] + b[f];
    return;
  }
  for (size_t r = 0; r < rows; r++) {
    const float *xr = x + r * F;
    float *yr = y + r * F;
    double sum = 0.0;
    for (size_t f = 0; f < F; f++) sum += xr[f];
    const double mean_d = sum / (double)F;
    double ss = 0.0;
    for (size_t f = 0; f < F; f++) {
      const double dev = xr[f] - mean_d;
      ss += dev * dev;
    }
    const double inv = 1.0 / sqrt(ss / (double)F + (double)layer->epsilon);
    for (size_t f = 0; f < F; f++) yr[f] = (float)((xr[f] - mean_d) * (inv * a[f]) + b[f]);
  }
}
