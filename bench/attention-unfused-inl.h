// Bodies of the unfused passes; included by attention-unfused-*.cc (each
// compiled with its own ISA flags) and by attention-bench.cc (baseline flags)
// with UNFUSED_PASSES naming the table. The t loop is outside so c (F floats)
// stays in L1 and the f loop vectorizes.
#include "attention-unfused.h"
namespace {
void weighted_sum(size_t T, size_t F, const float *__restrict x, const float *__restrict a, float *__restrict c) {
  for (size_t f = 0; f < F; f++) c[f] = 0.0f;
  for (size_t t = 0; t < T; t++) {
    const float at = a[t];
    const float *__restrict xt = x + t * F;
    for (size_t f = 0; f < F; f++) c[f] += at * xt[f];
  }
}
void scale_rows(size_t T, size_t F, const float *__restrict x, const float *__restrict a, float *__restrict tmp) {
  for (size_t t = 0; t < T; t++)
    for (size_t f = 0; f < F; f++) tmp[t * F + f] = a[t] * x[t * F + f];
}
void sum_rows(size_t T, size_t F, const float *__restrict tmp, float *__restrict c) {
  for (size_t f = 0; f < F; f++) c[f] = 0.0f;
  for (size_t t = 0; t < T; t++)
    for (size_t f = 0; f < F; f++) c[f] += tmp[t * F + f];
}
}  // namespace
extern const UnfusedPasses UNFUSED_PASSES = {weighted_sum, scale_rows, sum_rows};
