// libm scalar peer. CMakeLists.txt compiles this file with -O2 and all tree
// vectorizers off, so every element is one call of the scalar libm function:
// no libmvec call can be substituted (that also needs -ffast-math, which the
// build never uses).
#include <math.h>

#include "peers.h"

namespace peer {

void libm_tanh(const float *x, float *y, size_t n) {
  for (size_t i = 0; i < n; ++i) y[i] = tanhf(x[i]);
}

void libm_exp(const float *x, float *y, size_t n) {
  for (size_t i = 0; i < n; ++i) y[i] = expf(x[i]);
}

void libm_sigmoid(const float *x, float *y, size_t n) {
  for (size_t i = 0; i < n; ++i) y[i] = 1.0f / (1.0f + expf(-x[i]));
}

}  // namespace peer
