/* Public attention pooling: its options, argument checks, FTZ/DAZ, then the dispatched
 * fused kernel once per sequence of the batch. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "arnn/arnn.h"

#include "../dispatch/dispatch.h"
#include "fpenv.h"
#include "struct-size.h"

/* The first version of arnn_attention_options ends after epsilon. */
#define ATTENTION_OPTIONS_V1_SIZE ARNN_STRUCT_END(arnn_attention_options, epsilon)

void arnn_attention_options_init(arnn_attention_options *options) {
  if (options == NULL) return;
  memset(options, 0, sizeof *options);
  options->struct_size = sizeof *options;
  options->form = ARNN_ATTENTION_EPSILON;
  options->epsilon = ARNN_ATTENTION_DEFAULT_EPSILON;
}

arnn_status arnn_attention_pool_f32(size_t batch, size_t steps, size_t features, const float *x, const float *w,
                                    const float *bias, const unsigned char *mask,
                                    const arnn_attention_options *options, float *context, float *weights) {
  if (x == NULL || w == NULL || context == NULL) return ARNN_ERR_INVALID_ARGUMENT;
  if (batch == 0 || steps == 0 || features == 0) return ARNN_ERR_INVALID_ARGUMENT;
  arnn_attention_options opt;
  arnn_attention_options_init(&opt);
  if (options != NULL) {
    const arnn_status st = arnn_struct_read(&opt, sizeof opt, ATTENTION_OPTIONS_V1_SIZE, options);
    if (st != ARNN_OK) return st;
  }
  float eps;
  if (opt.form == ARNN_ATTENTION_SOFTMAX) {
    eps = 0.0f;
  } else if (opt.form == ARNN_ATTENTION_EPSILON) {
    eps = opt.epsilon;
    if (!(eps >= 0.0f) || isinf(eps)) return ARNN_ERR_INVALID_ARGUMENT;
  } else {
    return ARNN_ERR_INVALID_ARGUMENT;
  }
  /* x holds batch * steps * features floats; every index and byte offset the
   * kernels form must fit in size_t (and ptrdiff_t). */
  const size_t limit = (size_t)PTRDIFF_MAX / sizeof(float);
  if (steps > limit / features || batch > limit / (steps * features)) return ARNN_ERR_OUT_OF_RANGE;
  if (batch > limit / features) return ARNN_ERR_OUT_OF_RANGE; /* context */

  const arnn_f32_attention_pool_fn pool = arnn_dispatch()->attention_pool.fn;
  const arnn_fpenv saved = arnn_fpenv_enter_ftz();
  for (size_t b = 0; b < batch; b++)
    pool(steps, features, x + b * steps * features, w, bias, mask != NULL ? (const uint8_t *)mask + b * steps : NULL,
         eps, context + b * features, weights != NULL ? weights + b * steps : NULL);
  arnn_fpenv_restore(saved);
  return ARNN_OK;
}
