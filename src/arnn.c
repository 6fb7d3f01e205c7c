/* Library-wide entry points: version, status strings, elementwise math. */
#include "arnn/arnn.h"

#include "../dispatch/dispatch.h"

const char *arnn_version(void) { return ARNN_VERSION_STRING; }

const char *arnn_status_str(arnn_status status) {
  switch (status) {
    case ARNN_OK: return "success";
    case ARNN_ERR_INVALID_ARGUMENT: return "invalid argument";
    case ARNN_ERR_OUT_OF_MEMORY: return "out of memory";
    case ARNN_ERR_IO: return "input/output error";
    case ARNN_ERR_MALFORMED_MODEL: return "malformed model file";
    case ARNN_ERR_UNSUPPORTED: return "unsupported";
    case ARNN_ERR_SHAPE_MISMATCH: return "shape mismatch";
    case ARNN_ERR_OUT_OF_RANGE: return "value out of range";
  }
  return "unknown status";
}

/* n == 0 returns before the table is touched, so NULL pointers are fine then. */
void arnn_vtanh_f32(const float *x, float *y, size_t n) {
  if (n == 0 || x == NULL || y == NULL) return;
  arnn_dispatch()->vtanh.fn(x, y, n);
}

void arnn_vexp_f32(const float *x, float *y, size_t n) {
  if (n == 0 || x == NULL || y == NULL) return;
  arnn_dispatch()->vexp.fn(x, y, n);
}

void arnn_vsigmoid_f32(const float *x, float *y, size_t n) {
  if (n == 0 || x == NULL || y == NULL) return;
  arnn_dispatch()->vsigmoid.fn(x, y, n);
}
