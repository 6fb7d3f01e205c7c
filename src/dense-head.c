/* Public dense head: the weights are packed once at creation into the layout
 * the kernels want (kernels/dense/dense.h: one zero-padded, 64-byte aligned
 * row of ldw = round_up(F, 16) floats per class, i.e. K transposed), then
 * apply checks its arguments, sets FTZ/DAZ and calls the dispatched kernel. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arnn/arnn.h"

#include "../dispatch/dispatch.h"
#include "fpenv.h"

struct arnn_dense_head {
  size_t features, classes, ldw;
  int activation; /* ARNN_DENSE_ACT_* */
  float *wt;      /* [classes][ldw], 64-byte aligned */
  float *bias;    /* [classes] or NULL */
};

arnn_status arnn_dense_head_create(size_t features, size_t classes, const float *kernel, const float *bias,
                                   arnn_dense_activation activation, arnn_dense_head **out) {
  if (out == NULL) return ARNN_ERR_INVALID_ARGUMENT;
  *out = NULL;
  if (kernel == NULL || features == 0 || classes == 0) return ARNN_ERR_INVALID_ARGUMENT;
  int act;
  switch (activation) {
    case ARNN_DENSE_LINEAR: act = ARNN_DENSE_ACT_LINEAR; break;
    case ARNN_DENSE_SIGMOID: act = ARNN_DENSE_ACT_SIGMOID; break;
    case ARNN_DENSE_SOFTMAX: act = ARNN_DENSE_ACT_SOFTMAX; break;
    default: return ARNN_ERR_INVALID_ARGUMENT;
  }
  const size_t limit = (size_t)PTRDIFF_MAX / sizeof(float);
  if (features > limit - 15) return ARNN_ERR_OUT_OF_RANGE;
  const size_t ldw = (features + 15) & ~(size_t)15;
  if (classes > limit / ldw) return ARNN_ERR_OUT_OF_RANGE;

  arnn_dense_head *h = calloc(1, sizeof *h);
  if (h == NULL) return ARNN_ERR_OUT_OF_MEMORY;
  h->features = features;
  h->classes = classes;
  h->ldw = ldw;
  h->activation = act;
  /* aligned_alloc needs a size that is a multiple of the alignment: ldw is a
   * multiple of 16 floats = 64 bytes. */
  h->wt = aligned_alloc(64, classes * ldw * sizeof(float));
  if (h->wt == NULL) {
    free(h);
    return ARNN_ERR_OUT_OF_MEMORY;
  }
  for (size_t c = 0; c < classes; c++) {
    float *row = h->wt + c * ldw;
    for (size_t k = 0; k < features; k++) row[k] = kernel[k * classes + c];
    for (size_t k = features; k < ldw; k++) row[k] = 0.0f;
  }
  if (bias != NULL) {
    h->bias = malloc(classes * sizeof(float));
    if (h->bias == NULL) {
      free(h->wt);
      free(h);
      return ARNN_ERR_OUT_OF_MEMORY;
    }
    memcpy(h->bias, bias, classes * sizeof(float));
  }
  *out = h;
  return ARNN_OK;
}

arnn_status arnn_dense_head_apply(const arnn_dense_head *head, size_t batch, const float *x, float *y) {
  if (head == NULL || x == NULL || y == NULL || batch == 0) return ARNN_ERR_INVALID_ARGUMENT;
  const size_t limit = (size_t)PTRDIFF_MAX / sizeof(float);
  if (batch > limit / head->features || batch > limit / head->classes) return ARNN_ERR_OUT_OF_RANGE;
  const arnn_f32_dense_head_fn fn = arnn_dispatch()->dense_head.fn;
  const arnn_fpenv saved = arnn_fpenv_enter_ftz();
  fn(batch, head->features, head->classes, x, head->wt, head->ldw, head->bias, head->activation, y);
  arnn_fpenv_restore(saved);
  return ARNN_OK;
}

size_t arnn_dense_head_features(const arnn_dense_head *head) { return head != NULL ? head->features : 0; }

size_t arnn_dense_head_classes(const arnn_dense_head *head) { return head != NULL ? head->classes : 0; }

void arnn_dense_head_free(arnn_dense_head *head) {
  if (head == NULL) return;
  free(head->wt);
  free(head->bias);
  free(head);
}
