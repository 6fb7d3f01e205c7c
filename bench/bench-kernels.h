// The arnn kernels a benchmark times by name: one table per op, built from the
// op's kernel list (kernels/*/f32-*.inc) like the dispatcher's, and which of
// them may run here.
#ifndef ARNN_BENCH_BENCH_KERNELS_H
#define ARNN_BENCH_BENCH_KERNELS_H

extern "C" {
#include "dispatch/dispatch.h"
}

// One entry of a kernel table:
//   #define ARNN_KERNEL ARNN_BENCH_KERNEL
//   const ArnnBenchKernel<arnn_f32_sdpa_fn> kKernels[] = {
//   #include "kernels/sdpa/f32-sdpa.inc"
//   };
//   #undef ARNN_KERNEL
template <typename Fn>
struct ArnnBenchKernel {
  const char *op;   // "vtanh"
  const char *isa;  // "avx512"
  Fn fn;
};
#define ARNN_BENCH_KERNEL(op, isa, arch) {#op, #isa, arnn_f32_##op##__##isa},

// True when kernels of `isa` may run here: the architecture has the level, the
// CPU and OS support it and the ARNN_ISA cap allows it.
inline bool arnn_bench_isa_runnable(const char *isa) {
  const int level = arnn_isa_level_from_name(isa);
  if (level < 0) return false;
  const arnn_isa_level l = static_cast<arnn_isa_level>(level);
  return arnn_isa_level_on_this_arch(l) && l <= arnn_dispatch()->isa;
}

#endif
