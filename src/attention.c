/* Public attention pooling: argument checks, FTZ/DAZ, then the dispatched
 * fused kernel once per sequence of the batch. */
#include <math.h>
#include <stdint.h>

#include "arnn/arnn.h"

#include "../dispatch/dispatch.h"
#include "fpenv.h"

arnn_status arnn_attention_pool_f32(size_t batch, size_t steps, size_t features, const float *x, const float *w,
                                    const float *bias, const unsigned char *mask,
                                    const arnn_attention_options *options, float *context, float *weights) {
  if (x == NULL || w == NULL || context == NULL) return ARNN_ERR_INVALID_ARGUMENT;
  if (batch == 0 || steps == 0 || features == 0) return ARNN_ERR_INVALID_ARGUMENT;
  float eps = ARNN_ATTENTION_DEFAULT_EPSILON;
  if (options != NULL) {
    if (options->form == ARNN_ATTENTION_SOFTMAX) {
      eps = 0.0f;
    } else if (options->form == ARNN_ATTENTION_EPSILON) {
      eps = options->epsilon;
      if (!(eps >= 0.0f) || isinf(eps)) return ARNN_ERR_INVALID_ARGUMENT;
    } else {
      return ARNN_ERR_INVALID_ARGUMENT;
    }
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
