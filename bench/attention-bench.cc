// attention-bench: fused attention pooling (kernels/attention/) in GB/s of x
// streamed, for the imdb (T=400, F=256) and elmo (T=40, F=256) shapes at batch
// 1 and 32, every ISA this CPU may run (by name, from the kernel list) plus
// the public entry point, against
//   - the L1 and L2 streaming-read bandwidth measured in the same run
//     (bench/machine-peaks.h), and
//   - an unfused baseline built from arnn's public pieces, the way a framework
//     evaluates the Keras layer: a GEMV for the scores (arnn_dense_head_apply,
//     F x 1, linear), + bias, arnn_vtanh_f32, arnn_vexp_f32, a sum, a division
//     pass, and a weighted-sum pass (auto-vectorized, AVX-512 or AVX2).
// See bench/README.md.
#include <benchmark/benchmark.h>

#include <sched.h>

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "bench-args.h"
#include "bench-pin.h"
#include "arnn/arnn.h"
extern "C" {
#include "dispatch/dispatch.h"
}
#include "attention-unfused.h"
#include "machine-peaks-kernels.h"
#include "machine-peaks.h"

namespace {

struct PoolKernel {
  const char *isa;
  arnn_f32_attention_pool_fn fn;
};
#define ARNN_ATTENTION_KERNEL(op, isa, arch) {#isa, arnn_f32_##op##__##isa},
const PoolKernel kPoolKernels[] = {
#include "kernels/attention/f32-attention-pool.inc"
};
#undef ARNN_ATTENTION_KERNEL

bool isa_runnable(const char *isa) {
  const int level = arnn_isa_level_from_name(isa);
  if (level < 0) return false;
  const arnn_isa_level l = static_cast<arnn_isa_level>(level);
  return arnn_isa_level_on_this_arch(l) && l <= arnn_dispatch()->isa;
}

struct Shape {
  const char *name;
  size_t T, F;
};
const Shape kShapes[] = {{"imdb", 400, 256}, {"elmo", 40, 256}};
const size_t kBatches[] = {1, 32};
constexpr float kEps = 1e-7f;

float *alloc_floats(size_t n) {
  const size_t bytes = ((n * sizeof(float)) + 63) / 64 * 64;
  return static_cast<float *>(std::aligned_alloc(64, bytes));
}

// Inputs of one (shape, batch): x like BiRNN outputs in (-1, 1), Keras-like w
// (glorot scale), a per-step bias; no mask (the kernels skip masked steps, so
// a mask only makes them faster).
struct Data {
  size_t B, T, F;
  float *x, *w, *bias, *c, *scores;
  arnn_dense_head *gemv;  // the unfused baseline's score GEMV: K = w [F x 1]
  Data(size_t b, size_t t, size_t f) : B(b), T(t), F(f) {
    x = alloc_floats(B * T * F);
    w = alloc_floats(F);
    bias = alloc_floats(T);
    c = alloc_floats(B * F);
    scores = alloc_floats(T);
    uint64_t s = 0x243F6A8885A308D3ULL;
    auto next = [&s]() {
      s ^= s >> 12, s ^= s << 25, s ^= s >> 27;
      return (float)((double)((s * 0x2545F4914F6CDD1DULL) >> 11) * (1.0 / 9007199254740992.0));
    };
    for (size_t i = 0; i < B * T * F; i++) x[i] = 2.0f * next() - 1.0f;
    const float ws = std::sqrt(6.0f / (float)(F + 1));
    for (size_t i = 0; i < F; i++) w[i] = ws * (2.0f * next() - 1.0f);
    for (size_t i = 0; i < T; i++) bias[i] = 0.1f * (2.0f * next() - 1.0f);
    gemv = nullptr;
    if (arnn_dense_head_create(F, 1, w, nullptr, ARNN_DENSE_LINEAR, &gemv) != ARNN_OK) gemv = nullptr;
  }
  ~Data() {
    std::free(x), std::free(w), std::free(bias), std::free(c), std::free(scores);
    arnn_dense_head_free(gemv);
  }
  Data(const Data &) = delete;
  Data &operator=(const Data &) = delete;
};

}  // namespace
#define UNFUSED_PASSES unfused_passes_portable
#include "attention-unfused-inl.h"
namespace {

const UnfusedPasses *pick_passes(std::string *name) {
#ifdef ARNN_BENCH_UNFUSED_X86
  const std::string isa = arnn_isa();
  if (isa == "avx512") return *name = "avx512", &unfused_passes_avx512;
  if (isa == "avx2") return *name = "avx2", &unfused_passes_avx2;
#endif
  *name = "portable";
  return &unfused_passes_portable;
}

// The Keras computation pass by pass, with arnn's public pieces.
void unfused(Data &d, const UnfusedPasses *p) {
  const size_t T = d.T, F = d.F;
  for (size_t b = 0; b < d.B; b++) {
    const float *xb = d.x + b * T * F;
    float *s = d.scores;
    arnn_dense_head_apply(d.gemv, T, xb, s);              // pass 1: e = x w     (reads x)
    for (size_t t = 0; t < T; t++) s[t] += d.bias[t];      //         e += b
    arnn_vtanh_f32(s, s, T);                               // pass 2: tanh
    arnn_vexp_f32(s, s, T);                                // pass 3: exp
    float sum = 0.0f;                                      // pass 4: sum
    for (size_t t = 0; t < T; t++) sum += s[t];
    const float d_inv = sum + kEps;                        // pass 5: a = e / (sum + eps)
    for (size_t t = 0; t < T; t++) s[t] = s[t] / d_inv;
    p->weighted_sum(T, F, xb, s, d.c + b * F);             // pass 6: c = sum a x (reads x)
  }
}

// The same, with the last step as Keras writes it (seed 002:
// K.sum(a * x, axis=1)): the product a_t x_t is materialized as a [T, F]
// temporary, then summed over t.
void unfused_keras(Data &d, const UnfusedPasses *p, float *tmp) {
  const size_t T = d.T, F = d.F;
  for (size_t b = 0; b < d.B; b++) {
    const float *xb = d.x + b * T * F;
    float *s = d.scores;
    arnn_dense_head_apply(d.gemv, T, xb, s);
    for (size_t t = 0; t < T; t++) s[t] += d.bias[t];
    arnn_vtanh_f32(s, s, T);
    arnn_vexp_f32(s, s, T);
    float sum = 0.0f;
    for (size_t t = 0; t < T; t++) sum += s[t];
    const float den = sum + kEps;
    for (size_t t = 0; t < T; t++) s[t] = s[t] / den;
    p->scale_rows(T, F, xb, s, tmp);  // a * x -> [T, F] temporary
    p->sum_rows(T, F, tmp, d.c + b * F); // sum over t
  }
}

const arnn_machine_peaks *g_peaks;
const char *const kReadL1 = "read/L1_16KiB";
const char *const kReadL2 = "read/L2_512KiB";

void set_counters(benchmark::State &st, const Data &d) {
  const double bytes = (double)(d.B * d.T * d.F * sizeof(float));
  st.counters["GB/s"] = benchmark::Counter(bytes * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

void bench_fused(benchmark::State &st, const Shape *shape, size_t B, arnn_f32_attention_pool_fn fn) {
  Data d(B, shape->T, shape->F);
  for (auto _ : st) {
    for (size_t b = 0; b < B; b++)
      fn(d.T, d.F, d.x + b * d.T * d.F, d.w, d.bias, nullptr, kEps, d.c + b * d.F, nullptr);
    benchmark::DoNotOptimize(d.c);
    benchmark::ClobberMemory();
  }
  set_counters(st, d);
}

void bench_unfused_keras(benchmark::State &st, const Shape *shape, size_t B, const UnfusedPasses *p) {
  Data d(B, shape->T, shape->F);
  float *tmp = alloc_floats(shape->T * shape->F);
  if (d.gemv == nullptr || tmp == nullptr) {
    st.SkipWithError("allocation failed");
    std::free(tmp);
    return;
  }
  for (auto _ : st) {
    unfused_keras(d, p, tmp);
    benchmark::DoNotOptimize(d.c);
    benchmark::ClobberMemory();
  }
  set_counters(st, d);
  std::free(tmp);
}

void bench_public(benchmark::State &st, const Shape *shape, size_t B) {
  Data d(B, shape->T, shape->F);
  for (auto _ : st) {
    if (arnn_attention_pool_f32(B, d.T, d.F, d.x, d.w, d.bias, nullptr, nullptr, d.c, nullptr) != ARNN_OK) {
      st.SkipWithError("arnn_attention_pool_f32 failed");
      break;
    }
    benchmark::DoNotOptimize(d.c);
    benchmark::ClobberMemory();
  }
  set_counters(st, d);
}

void bench_unfused(benchmark::State &st, const Shape *shape, size_t B, const UnfusedPasses *ws) {
  Data d(B, shape->T, shape->F);
  if (d.gemv == nullptr) {
    st.SkipWithError("arnn_dense_head_create failed");
    return;
  }
  for (auto _ : st) {
    unfused(d, ws);
    benchmark::DoNotOptimize(d.c);
    benchmark::ClobberMemory();
  }
  set_counters(st, d);
}

// Streaming-read probes timed exactly like the attention benchmarks (same
// timer, repetitions and median), with machine-peaks' read loop (widest
// vectors the CPU has, 8 accumulators): the sum of a 16 KiB (L1) or 512 KiB
// (L2) buffer, read again and again.
using ReadFn = float (*)(const float *, size_t);
float read_sum_portable(const float *x, size_t n) {
  float s[8] = {0};
  for (size_t i = 0; i < n; i += 8)
    for (int j = 0; j < 8; j++) s[j] += x[i + j];
  return s[0] + s[1] + s[2] + s[3] + s[4] + s[5] + s[6] + s[7];
}

ReadFn pick_read(std::string *name) {
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) return *name = "avx512", peaks::read_sum_avx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return *name = "avx2", peaks::read_sum_avx2;
#endif
  *name = "portable";
  return read_sum_portable;
}

void bench_read(benchmark::State &st, size_t bytes, ReadFn read) {
  const size_t n = bytes / sizeof(float);
  float *x = alloc_floats(n);
  for (size_t i = 0; i < n; i++) x[i] = 1.0f / (float)(i % 97 + 1);
  for (auto _ : st) benchmark::DoNotOptimize(read(x, n));
  st.counters["GB/s"] = benchmark::Counter((double)bytes * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  std::free(x);
}

// Medians of GB/s per benchmark name, for the summary.
struct Capture {
  std::map<std::string, double> gbs;
  void take(const benchmark::BenchmarkReporter::Run &run) {
    if (run.error_occurred) return;
    if (run.run_type == benchmark::BenchmarkReporter::Run::RT_Aggregate && run.aggregate_name != "median") return;
    const auto it = run.counters.find("GB/s");
    if (it == run.counters.end()) return;
    // with repetitions the median aggregate wins; without, the single run
    std::string name = run.run_name.function_name;
    if (run.run_type == benchmark::BenchmarkReporter::Run::RT_Aggregate || !gbs.count(name)) gbs[name] = it->second.value;
  }
};

class CapturingConsoleReporter : public benchmark::ConsoleReporter {
 public:
  explicit CapturingConsoleReporter(Capture *c) : capture_(c) {}
  void ReportRuns(const std::vector<Run> &runs) override {
    for (const Run &r : runs) capture_->take(r);
    ConsoleReporter::ReportRuns(runs);
  }

 private:
  Capture *capture_;
};

class CapturingJsonReporter : public benchmark::JSONReporter {
 public:
  explicit CapturingJsonReporter(Capture *c) : capture_(c) {}
  void ReportRuns(const std::vector<Run> &runs) override {
    for (const Run &r : runs) capture_->take(r);
    JSONReporter::ReportRuns(runs);
  }

 private:
  Capture *capture_;
};

std::string bench_name(const Shape &s, size_t B, const std::string &impl) {
  char buf[160];
  std::snprintf(buf, sizeof buf, "attention/%s_T%zu_F%zu/B%zu/%s", s.name, s.T, s.F, B, impl.c_str());
  return buf;
}

void print_summary(std::FILE *out, const Capture &cap, const std::vector<std::string> &fused_impls) {
  const auto l1 = cap.gbs.find(kReadL1), l2 = cap.gbs.find(kReadL2);
  const double bw_l1 = l1 != cap.gbs.end() ? l1->second : g_peaks->bw_l1_gbs;
  const double bw_l2 = l2 != cap.gbs.end() ? l2->second : g_peaks->bw_l2_gbs;
  std::fprintf(out, "\nSummary (median GB/s of x, CPU time; read bandwidth in this run: L1 %.1f GB/s, L2 %.1f GB/s%s)\n",
               bw_l1, bw_l2, l1 != cap.gbs.end() && l2 != cap.gbs.end() ? "" : " from machine-peaks (wall clock)");
  std::fprintf(out, "%-24s %-14s %9s %7s %7s %9s %8s %9s %8s\n", "shape", "fused", "GB/s", "%L2", "%L1", "unfused",
               "speedup", "keras", "speedup");
  for (const Shape &s : kShapes)
    for (size_t B : kBatches) {
      const auto u = cap.gbs.find(bench_name(s, B, "unfused"));
      const auto uk = cap.gbs.find(bench_name(s, B, "unfused_keras"));
      for (const std::string &impl : fused_impls) {
        const auto f = cap.gbs.find(bench_name(s, B, impl));
        if (f == cap.gbs.end()) continue;
        char shape[64];
        std::snprintf(shape, sizeof shape, "%s[%zu,%zu] B=%zu", s.name, s.T, s.F, B);
        const double ug = u != cap.gbs.end() ? u->second : 0.0;
        const double kg = uk != cap.gbs.end() ? uk->second : 0.0;
        std::fprintf(out, "%-24s %-14s %9.1f %6.0f%% %6.0f%% %9.1f %7.2fx %9.1f %7.2fx\n", shape, impl.c_str(),
                     f->second, 100.0 * f->second / bw_l2, 100.0 * f->second / bw_l1, ug, ug > 0 ? f->second / ug : 0.0,
                     kg, kg > 0 ? f->second / kg : 0.0);
      }
    }
  std::fflush(out);
}

}  // namespace

int main(int argc, char **argv) {
  const std::string pinned = arnn_bench_pin_to_first_allowed_cpu();
  std::vector<std::string> args;
  if (!arnn_bench_initialize(argc, argv, 5, "--benchmark_display_aggregates_only", "0.1", &args)) return 1;

  g_peaks = arnn_machine_peaks_get();
  arnn_machine_peaks_print(stderr, g_peaks, "machine-peaks: ");

  std::string ws_name;
  const UnfusedPasses *ws = pick_passes(&ws_name);
  std::vector<std::string> fused_impls;
  for (const PoolKernel &k : kPoolKernels)
    if (isa_runnable(k.isa)) fused_impls.push_back(std::string("fused_") + k.isa);
  fused_impls.push_back("fused_public");

  std::string read_name;
  const ReadFn read = pick_read(&read_name);
  benchmark::RegisterBenchmark(kReadL1, [read](benchmark::State &st) { bench_read(st, ARNN_PEAKS_L1_BYTES, read); });
  benchmark::RegisterBenchmark(kReadL2, [read](benchmark::State &st) { bench_read(st, ARNN_PEAKS_L2_BYTES, read); });
  for (const Shape &s : kShapes)
    for (size_t B : kBatches) {
      const Shape *sp = &s;
      for (const PoolKernel &k : kPoolKernels) {
        if (!isa_runnable(k.isa)) continue;
        const arnn_f32_attention_pool_fn fn = k.fn;
        benchmark::RegisterBenchmark(bench_name(s, B, std::string("fused_") + k.isa).c_str(),
                                     [sp, B, fn](benchmark::State &st) { bench_fused(st, sp, B, fn); });
      }
      benchmark::RegisterBenchmark(bench_name(s, B, "fused_public").c_str(),
                                   [sp, B](benchmark::State &st) { bench_public(st, sp, B); });
      benchmark::RegisterBenchmark(bench_name(s, B, "unfused").c_str(),
                                   [sp, B, ws](benchmark::State &st) { bench_unfused(st, sp, B, ws); });
      benchmark::RegisterBenchmark(bench_name(s, B, "unfused_keras").c_str(),
                                   [sp, B, ws](benchmark::State &st) { bench_unfused_keras(st, sp, B, ws); });
    }

  benchmark::AddCustomContext("arnn_isa", arnn_isa());
  benchmark::AddCustomContext("arnn attention_pool", arnn_kernel_name("attention_pool"));
  benchmark::AddCustomContext("unfused", std::string("arnn_dense_head_apply (") + arnn_kernel_name("dense_head") +
                                             ") + bias + arnn_vtanh_f32 + arnn_vexp_f32 + sum + division + "
                                             "weighted sum (" + ws_name + "); unfused_keras: the last pass as "
                                             "a*x into a [T,F] temporary + sum over t");
  benchmark::AddCustomContext("pinned", pinned);
  benchmark::AddCustomContext("read probe", "machine-peaks read_sum_" + read_name + " (8 accumulators)");
  char peaks[128];
  std::snprintf(peaks, sizeof peaks, "L1 %.1f GB/s, L2 %.1f GB/s (median of %d)", g_peaks->bw_l1_gbs,
                g_peaks->bw_l2_gbs, g_peaks->repetitions);
  benchmark::AddCustomContext("read bandwidth", peaks);

  Capture cap;
  std::string format = "console";
  for (const std::string &a : args)
    if (a.rfind("--benchmark_format=", 0) == 0) format = a.substr(19);
  std::FILE *summary_out = stdout;
  if (format == "json") {
    CapturingJsonReporter reporter(&cap);
    benchmark::RunSpecifiedBenchmarks(&reporter);
    summary_out = stderr;
  } else if (format == "console") {
    CapturingConsoleReporter reporter(&cap);
    benchmark::RunSpecifiedBenchmarks(&reporter);
  } else {
    benchmark::RunSpecifiedBenchmarks();
  }
  if (!cap.gbs.empty()) print_summary(summary_out, cap, fused_impls);
  benchmark::Shutdown();
  return 0;
}
