// Inner loops of machine-peaks.cc, one file per ISA (machine-peaks-avx2.cc,
// machine-peaks-avx512.cc, compiled with that ISA's flags only). Call the
// AVX2 ones only when the CPU has AVX2+FMA, the AVX-512 ones only when it has
// AVX-512F (machine-peaks.cc checks with __builtin_cpu_supports).
#ifndef ARNN_BENCH_MACHINE_PEAKS_KERNELS_H
#define ARNN_BENCH_MACHINE_PEAKS_KERNELS_H

#include <stddef.h>

namespace peaks {

// FLOP done by one iteration of the FMA loops: accumulators x lanes x 2.
constexpr int kAvx2FmaAccumulators = 12;   // 12 of the 16 ymm registers
constexpr int kAvx512FmaAccumulators = 24; // 24 of the 32 zmm registers
constexpr double kAvx2FlopPerIter = kAvx2FmaAccumulators * 8 * 2.0;
constexpr double kAvx512FlopPerIter = kAvx512FmaAccumulators * 16 * 2.0;

// `iters` rounds of acc_j = acc_j * a + b on every accumulator; returns a sum
// of the accumulators so the work cannot be dropped.
float fma_chains_avx2(long iters, float a, float b);
float fma_chains_avx512(long iters, float a, float b);

// Sum of x[0..n) with 8 independent vector accumulators; n must be a multiple
// of 128 (512 bytes) and x 64-byte aligned.
float read_sum_avx2(const float *x, size_t n);
float read_sum_avx512(const float *x, size_t n);

using ReadSumFn = float (*)(const float *, size_t);
using FmaChainsFn = float (*)(long, float, float);

// The widest read loop this CPU runs and its load width in bits (512, 256,
// or 32 for a portable scalar loop). machine-peaks.cc.
ReadSumFn widest_read_sum(int *bits);
// The widest FMA loop this CPU runs and the FLOP of one of its iterations;
// nullptr (and 0) without AVX2+FMA. machine-peaks.cc.
FmaChainsFn widest_fma_chains(double *flop_per_iter);

}  // namespace peaks

#endif
