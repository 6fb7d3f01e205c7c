// XNNPACK f32 sigmoid operator (this XNNPACK has no f32 tanh or exp operator).
// XNNPACK picks its own micro-kernel for the CPU at xnn_initialize.
#include <xnnpack.h>

#include "peers.h"

namespace peer {

struct XnnSigmoid {
  xnn_operator_t op;
};

XnnSigmoid *xnnpack_sigmoid_create(const char **error) {
  static const enum xnn_status init = xnn_initialize(NULL);
  if (init != xnn_status_success) {
    *error = "xnn_initialize failed (unsupported hardware?)";
    return NULL;
  }
  xnn_operator_t op = NULL;
  if (xnn_create_sigmoid_nc_f32(/*channels=*/1, /*input_stride=*/1, /*output_stride=*/1, /*flags=*/0, &op) !=
      xnn_status_success) {
    *error = "xnn_create_sigmoid_nc_f32 failed";
    return NULL;
  }
  XnnSigmoid *s = new XnnSigmoid;
  s->op = op;
  return s;
}

bool xnnpack_sigmoid_setup(XnnSigmoid *s, const float *x, float *y, size_t n) {
  return xnn_setup_sigmoid_nc_f32(s->op, /*batch_size=*/n, x, y, /*threadpool=*/NULL) == xnn_status_success;
}

bool xnnpack_sigmoid_run(XnnSigmoid *s) { return xnn_run_operator(s->op, /*threadpool=*/NULL) == xnn_status_success; }

void xnnpack_sigmoid_destroy(XnnSigmoid *s) {
  if (s == NULL) return;
  xnn_delete_operator(s->op);
  delete s;
}

}  // namespace peer
