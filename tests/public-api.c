/* The public API as a user sees it, through the shared library: version,
 * status strings, NULL/zero-size handling, dispatched results within the
 * accuracy contract, and only public symbols exported. */
#include <dlfcn.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "arnn/arnn.h"

static int failures;
#include "check.h"

static int within_2ulp(float y, double r) {
  const float rf = (float)r;
  if (isinf(rf)) return y == rf;
  if (fabsf(rf) < FLT_MIN) return fabs((double)y - r) <= 0x1p-148 || y == 0.0f;
  int e;
  frexp((double)fabsf(rf), &e);
  return fabs((double)y - r) <= 2.0 * ldexp(1.0, e - 24);
}

int main(void) {
  CHECK(strcmp(arnn_version(), ARNN_VERSION_STRING) == 0, "version %s", arnn_version());
  const char *seen[16] = {0};
  for (int s = ARNN_OK; s <= ARNN_ERR_OUT_OF_RANGE; s++) {
    const char *str = arnn_status_str((arnn_status)s);
    CHECK(str && str[0], "status %d has a string", s);
    for (int j = 0; j < s; j++) CHECK(strcmp(seen[j], str) != 0, "status strings %d and %d differ", j, s);
    seen[s] = str;
  }
  CHECK(arnn_status_str((arnn_status)999) != NULL, "unknown status still has a string");

  /* n == 0 with NULL pointers does nothing */
  arnn_vtanh_f32(NULL, NULL, 0);
  arnn_vexp_f32(NULL, NULL, 0);
  arnn_vsigmoid_f32(NULL, NULL, 0);

  enum { N = 10007 };
  static float x[N], y[N];
  for (int i = 0; i < N; i++) x[i] = -30.0f + 60.0f * (float)i / N;
  arnn_vtanh_f32(x, y, N);
  for (int i = 0; i < N; i++) CHECK(within_2ulp(y[i], tanh(x[i])), "tanh(%a) = %a", (double)x[i], (double)y[i]);
  arnn_vexp_f32(x, y, N);
  for (int i = 0; i < N; i++) CHECK(within_2ulp(y[i], exp(x[i])), "exp(%a) = %a", (double)x[i], (double)y[i]);
  arnn_vsigmoid_f32(x, y, N);
  for (int i = 0; i < N; i++)
    CHECK(within_2ulp(y[i], 1.0 / (1.0 + exp(-(double)x[i]))), "sigmoid(%a) = %a", (double)x[i], (double)y[i]);

  /* Only ARNN_API symbols are exported from the shared library. */
  CHECK(dlsym(RTLD_DEFAULT, "arnn_vtanh_f32") != NULL, "public symbol visible");
  CHECK(dlsym(RTLD_DEFAULT, "arnn_f32_vtanh__scalar") == NULL, "kernel symbols hidden");
  CHECK(dlsym(RTLD_DEFAULT, "arnn_dispatch") == NULL, "dispatcher hidden");
  printf("ISA %s, tanh kernel %s: %s\n", arnn_isa(), arnn_kernel_name("vtanh"), failures ? "FAIL" : "ok");
  return failures != 0;
}
