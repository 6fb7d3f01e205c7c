// The array passes of the unfused attention baselines, as a compiler writes
// them: one copy auto-vectorized for AVX-512, one for AVX2+FMA (-O3,
// contraction allowed), picked at run time (attention-bench.cc).
//   weighted_sum: c[f] = sum_t a[t] x[t][f]            (lean baseline)
//   scale_rows:   tmp[t][f] = a[t] x[t][f]              (Keras: a * x ...
//   sum_rows:     c[f] = sum_t tmp[t][f]                 ... K.sum(axis=1))
#ifndef ARNN_BENCH_ATTENTION_UNFUSED_H
#define ARNN_BENCH_ATTENTION_UNFUSED_H
#include <cstddef>
struct UnfusedPasses {
  void (*weighted_sum)(size_t T, size_t F, const float *x, const float *a, float *c);
  void (*scale_rows)(size_t T, size_t F, const float *x, const float *a, float *tmp);
  void (*sum_rows)(size_t T, size_t F, const float *tmp, float *c);
};
extern const UnfusedPasses unfused_passes_avx512;
extern const UnfusedPasses unfused_passes_avx2;
#endif
