// machine-peaks: see machine-peaks.h. Timing with std::chrono::steady_clock;
// every figure is the median of `repetitions` timed blocks of >= ~15 ms, each
// preceded by an untimed warm-up (caches filled, clock ramped up).
#include "machine-peaks.h"

#include <sys/mman.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <vector>

#include "machine-peaks-kernels.h"

namespace {

constexpr double kBlockSeconds = 0.015;
constexpr int kDefaultReps = 5;

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

double median(std::vector<double> v) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  const size_t m = v.size() / 2;
  return (v.size() % 2) ? v[m] : 0.5 * (v[m - 1] + v[m]);
}

// Keeps results alive so the loops cannot be removed.
volatile float g_sink;

#if defined(__x86_64__) || defined(__i386__)
bool cpu_has_avx2_fma() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
bool cpu_has_avx512f() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f");
}
#else
bool cpu_has_avx2_fma() { return false; }
bool cpu_has_avx512f() { return false; }
#endif

// FMA peak of one chain kernel: calibrate the iteration count so a block
// takes about kBlockSeconds, then the median over `reps` blocks.
std::vector<double> fma_rates(float (*chains)(long, float, float), double flop_per_iter, int reps) {
  if (reps < 1) reps = kDefaultReps;
  // a < 1 and b > 0: every chain converges to b / (1 - a) = 1, no overflow,
  // no subnormals; the operands are volatile reads so nothing is folded.
  volatile float va = 0.999f, vb = 0.001f;
  const float a = va, b = vb;
  long iters = 1 << 16;
  for (;;) {  // calibration, also the warm-up
    const Clock::time_point t0 = Clock::now();
    g_sink = chains(iters, a, b);
    const double s = seconds_since(t0);
    if (s >= kBlockSeconds / 4 || iters > (1L << 40)) {
      iters = std::max(1L, (long)((double)iters * kBlockSeconds / std::max(s, 1e-9)));
      break;
    }
    iters *= 4;
  }
  std::vector<double> rates;
  for (int r = 0; r < reps; r++) {
    const Clock::time_point t0 = Clock::now();
    g_sink = chains(iters, a, b);
    const double s = seconds_since(t0);
    rates.push_back((double)iters * flop_per_iter / s * 1e-9);
  }
  return rates;
}

double fma_gflops(float (*chains)(long, float, float), double flop_per_iter, int reps) {
  return median(fma_rates(chains, flop_per_iter, reps));
}

float read_sum_portable(const float *x, size_t n) {
  float s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  for (size_t i = 0; i < n; i += 8)
    for (int j = 0; j < 8; j++) s[j] += x[i + j];
  return s[0] + s[1] + s[2] + s[3] + s[4] + s[5] + s[6] + s[7];
}

}  // namespace

namespace peaks {

ReadSumFn widest_read_sum(int *bits) {
#if defined(__x86_64__) || defined(__i386__)
  if (cpu_has_avx512f()) {
    *bits = 512;
    return read_sum_avx512;
  }
  if (cpu_has_avx2_fma()) {
    *bits = 256;
    return read_sum_avx2;
  }
#endif
  *bits = 32;
  return read_sum_portable;
}

FmaChainsFn widest_fma_chains(double *flop_per_iter) {
#if defined(__x86_64__) || defined(__i386__)
  if (cpu_has_avx512f()) {
    *flop_per_iter = kAvx512FlopPerIter;
    return fma_chains_avx512;
  }
  if (cpu_has_avx2_fma()) {
    *flop_per_iter = kAvx2FlopPerIter;
    return fma_chains_avx2;
  }
#endif
  *flop_per_iter = 0.0;
  return nullptr;
}

}  // namespace peaks

extern "C" {

double arnn_peaks_fma_gflops_avx2(int repetitions) {
#if defined(__x86_64__) || defined(__i386__)
  if (cpu_has_avx2_fma()) return fma_gflops(peaks::fma_chains_avx2, peaks::kAvx2FlopPerIter, repetitions);
#endif
  (void)repetitions;
  return 0.0;
}

double arnn_peaks_fma_gflops_avx512(int repetitions) {
#if defined(__x86_64__) || defined(__i386__)
  if (cpu_has_avx512f()) return fma_gflops(peaks::fma_chains_avx512, peaks::kAvx512FlopPerIter, repetitions);
#endif
  (void)repetitions;
  return 0.0;
}

double arnn_peaks_fma_gflops_best(int repetitions) {
  if (repetitions < 1) repetitions = kDefaultReps;
  double flop_per_iter;
  const peaks::FmaChainsFn chains = peaks::widest_fma_chains(&flop_per_iter);
  const std::vector<double> rates = chains ? fma_rates(chains, flop_per_iter, repetitions) : std::vector<double>();
  return rates.empty() ? 0.0 : *std::max_element(rates.begin(), rates.end());
}

// GB/s of each of `repetitions` blocks of ~15 ms reading `bytes` again and
// again; empty when the buffer cannot be allocated.
std::vector<double> read_rates(size_t bytes, int repetitions) {
  if (repetitions < 1) repetitions = kDefaultReps;
  bytes = (std::max(bytes, (size_t)1024) + 1023) & ~(size_t)1023;  // multiple of 512 B kernels
  // Large buffers: 2 MiB aligned and transparent huge pages, so the DRAM
  // figure is not a TLB-miss figure.
  const size_t align = bytes >= ((size_t)4 << 20) ? ((size_t)2 << 20) : 4096;
  const size_t alloc = (bytes + align - 1) / align * align;
  float *x = static_cast<float *>(std::aligned_alloc(align, alloc));
  if (!x) return {};
#if defined(MADV_HUGEPAGE)
  if (align > 4096) madvise(x, alloc, MADV_HUGEPAGE);
#endif
  const size_t n = bytes / sizeof(float);
  for (size_t i = 0; i < n; i++) x[i] = 1e-3f;  // touches every page
  int bits = 0;
  const peaks::ReadSumFn read = peaks::widest_read_sum(&bits);
  // Warm-up pass and calibration: passes per block so a block takes ~15 ms.
  g_sink = read(x, n);
  const Clock::time_point t0 = Clock::now();
  g_sink = read(x, n);
  const double pass = std::max(seconds_since(t0), 1e-9);
  const long passes = std::max(1L, (long)(kBlockSeconds / pass));
  std::vector<double> rates;
  for (int r = 0; r < repetitions; r++) {
    const Clock::time_point t1 = Clock::now();
    float s = 0.0f;
    for (long p = 0; p < passes; p++) s += read(x, n);
    const double sec = seconds_since(t1);
    g_sink = s;
    rates.push_back((double)bytes * (double)passes / sec * 1e-9);
  }
  std::free(x);
  return rates;
}

double arnn_peaks_read_gbs(size_t bytes, int repetitions) {
  const std::vector<double> rates = read_rates(bytes, repetitions);
  return rates.empty() ? 0.0 : median(rates);
}

double arnn_peaks_read_gbs_best(size_t bytes, int repetitions) {
  const std::vector<double> rates = read_rates(bytes, repetitions);
  return rates.empty() ? 0.0 : *std::max_element(rates.begin(), rates.end());
}

const arnn_machine_peaks *arnn_machine_peaks_get(void) {
  static arnn_machine_peaks peaks_cache;
  static std::once_flag once;
  std::call_once(once, [] {
    int reps = kDefaultReps;
    if (const char *e = std::getenv("ARNN_PEAKS_REPS")) {
      const int v = std::atoi(e);
      if (v >= 1 && v <= 99) reps = v;
    }
    arnn_machine_peaks p;
    std::memset(&p, 0, sizeof p);
    p.repetitions = reps;
    p.fma_avx2_gflops = arnn_peaks_fma_gflops_avx2(reps);
    p.fma_avx512_gflops = arnn_peaks_fma_gflops_avx512(reps);
    p.fma_gflops = std::max(p.fma_avx2_gflops, p.fma_avx512_gflops);
    p.bw_l1_gbs = arnn_peaks_read_gbs(ARNN_PEAKS_L1_BYTES, reps);
    p.bw_l2_gbs = arnn_peaks_read_gbs(ARNN_PEAKS_L2_BYTES, reps);
    p.bw_l3_gbs = arnn_peaks_read_gbs(ARNN_PEAKS_L3_BYTES, reps);
    p.bw_dram_gbs = arnn_peaks_read_gbs(ARNN_PEAKS_DRAM_BYTES, reps);
    peaks::widest_read_sum(&p.read_vector_bits);
    peaks_cache = p;
  });
  return &peaks_cache;
}

void arnn_machine_peaks_print(FILE *out, const arnn_machine_peaks *p, const char *prefix) {
  if (!out || !p) return;
  const char *pre = prefix ? prefix : "";
  std::fprintf(out, "%sFMA peak          %8.1f GFLOP/s (AVX2 %.1f, AVX-512 %.1f; one thread)\n", pre,
               p->fma_gflops, p->fma_avx2_gflops, p->fma_avx512_gflops);
  std::fprintf(out, "%sread L1   %6zu KiB %8.1f GB/s\n", pre, ARNN_PEAKS_L1_BYTES >> 10, p->bw_l1_gbs);
  std::fprintf(out, "%sread L2   %6zu KiB %8.1f GB/s\n", pre, ARNN_PEAKS_L2_BYTES >> 10, p->bw_l2_gbs);
  std::fprintf(out, "%sread L3   %6zu KiB %8.1f GB/s\n", pre, ARNN_PEAKS_L3_BYTES >> 10, p->bw_l3_gbs);
  std::fprintf(out, "%sread DRAM %6zu KiB %8.1f GB/s\n", pre, ARNN_PEAKS_DRAM_BYTES >> 10, p->bw_dram_gbs);
  std::fprintf(out, "%s(%d-bit loads, median of %d repetitions)\n", pre, p->read_vector_bits, p->repetitions);
}

double arnn_peaks_bound_seconds(double bytes, double gbs) {
  return gbs > 0.0 ? bytes / (gbs * 1e9) : 0.0;
}

}  // extern "C"
