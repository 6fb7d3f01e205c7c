// vmath-bench: throughput (elements per nanosecond) and accuracy (max ULP
// error) of arnn's elementwise kernels -- every ISA this CPU may run, called by
// name, plus the dispatched public entry point -- next to the installed peers
// (libm, libmvec, SLEEF, Eigen, XNNPACK). See README.md.
#include <benchmark/benchmark.h>

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <ostream>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "bench-args.h"
#include "bench-pin.h"
#include "arnn/arnn.h"
extern "C" {
#include "dispatch/dispatch.h"
}
#include "peers.h"

namespace {

using VunaryFn = void (*)(const float *x, float *y, size_t n);

constexpr int64_t kSizes[] = {64, 4096, 1 << 20};

// ---------------------------------------------------------------------------
// arnn kernels: derived from the one kernel list, best ISA first within an op.

struct ArnnKernel {
  const char *op;  // "vtanh"
  const char *isa; // "avx512"
  VunaryFn fn;
};

#define ARNN_KERNEL(op, isa, arch) {#op, #isa, arnn_f32_##op##__##isa},
const ArnnKernel kArnnKernels[] = {
#include "kernels/vmath/f32-vunary.inc"
};
#undef ARNN_KERNEL

// True when arnn kernels of `isa` may run here: the architecture has the level,
// the CPU and OS support it and the ARNN_ISA cap allows it.
bool arnn_isa_runnable(const char *isa) {
  const int level = arnn_isa_level_from_name(isa);
  if (level < 0) return false;
  const arnn_isa_level l = static_cast<arnn_isa_level>(level);
  return arnn_isa_level_on_this_arch(l) && l <= arnn_dispatch()->isa;
}

// ---------------------------------------------------------------------------
// The functions: double-precision reference, input ranges, public entry point.

double ref_tanh(double x) { return std::tanh(x); }
double ref_exp(double x) { return std::exp(x); }
double ref_sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

struct OpSpec {
  const char *op;            // name in the kernel list, "vtanh"
  const char *name;          // name in the benchmark, "tanh"
  double (*ref)(double);     // reference, evaluated in double
  float lo, hi;              // benchmark inputs: uniform in [lo, hi]
  float sweep_lo, sweep_hi;  // accuracy: bit-pattern sweep over [sweep_lo, sweep_hi]
  VunaryFn dispatched;       // public entry point
};

// Sweep ranges reach past where results stop being normal floats (exp and
// sigmoid below about -87.3, exp above 88.72); those inputs are skipped.
const OpSpec kOps[] = {
    {"vtanh", "tanh", ref_tanh, -10.0f, 10.0f, -10.0f, 10.0f, arnn_vtanh_f32},
    {"vexp", "exp", ref_exp, -80.0f, 80.0f, -90.0f, 90.0f, arnn_vexp_f32},
    {"vsigmoid", "sigmoid", ref_sigmoid, -10.0f, 10.0f, -90.0f, 90.0f, arnn_vsigmoid_f32},
};

const OpSpec *find_op(const char *op) {
  for (const OpSpec &s : kOps)
    if (std::strcmp(s.op, op) == 0) return &s;
  return nullptr;
}

// ---------------------------------------------------------------------------
// CPU checks for the peers compiled for a wider ISA than the baseline.

[[maybe_unused]] bool cpu_avx512f() {
#if defined(__x86_64__) || defined(__i386__)
  return __builtin_cpu_supports("avx512f");
#else
  return false;
#endif
}

[[maybe_unused]] bool cpu_avx2_fma() {
#if defined(__x86_64__) || defined(__i386__)
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
  return false;
#endif
}

[[maybe_unused]] bool cpu_eigen_avx512() {
#if defined(__x86_64__) || defined(__i386__)
  return cpu_avx512f() && __builtin_cpu_supports("avx512dq") && cpu_avx2_fma();
#else
  return false;
#endif
}

bool always() { return true; }

// ---------------------------------------------------------------------------
// Implementations.

enum class Kind { kPlain, kXnnSigmoid };

struct Impl {
  const OpSpec *spec;
  std::string name;    // "arnn_avx512", "arnn_dispatch", "sleef_u10", ...
  Kind kind;
  VunaryFn fn;         // kPlain only
  int arnn_rank;       // arnn kernels: position in the kernel list (lower = better ISA); -1 otherwise
  bool peer;
  double max_ulp = -1; // computed on first use
  float worst_x = NAN; // an input where max_ulp occurs
};

// "BM_vunary/<op>/<impl>" -> implementation, for the console reporter.
std::map<std::string, const Impl *> g_impl_by_name;

struct PeerEntry {
  const char *op;
  const char *name;
  Kind kind;
  VunaryFn fn;
  bool (*runnable)();
};

#if defined(__GLIBC__)
#define ARNN_BENCH_LIBM "glibc-scalar"
#else
#define ARNN_BENCH_LIBM "libm-scalar"
#endif

const PeerEntry kPeers[] = {
    {"vtanh", ARNN_BENCH_LIBM, Kind::kPlain, peer::libm_tanh, always},
    {"vexp", ARNN_BENCH_LIBM, Kind::kPlain, peer::libm_exp, always},
    {"vsigmoid", ARNN_BENCH_LIBM, Kind::kPlain, peer::libm_sigmoid, always},
#if defined(ARNN_BENCH_HAVE_MVEC_AVX512_TANHF)
    {"vtanh", "glibc-mvec-avx512", Kind::kPlain, peer::mvec512_tanh, cpu_avx512f},
#endif
#if defined(ARNN_BENCH_HAVE_MVEC_AVX512_EXPF)
    {"vexp", "glibc-mvec-avx512", Kind::kPlain, peer::mvec512_exp, cpu_avx512f},
    {"vsigmoid", "glibc-mvec-avx512", Kind::kPlain, peer::mvec512_sigmoid, cpu_avx512f},
#endif
#if defined(ARNN_BENCH_HAVE_MVEC_AVX2_TANHF)
    {"vtanh", "glibc-mvec-avx2", Kind::kPlain, peer::mvec256_tanh, cpu_avx2_fma},
#endif
#if defined(ARNN_BENCH_HAVE_MVEC_AVX2_EXPF)
    {"vexp", "glibc-mvec-avx2", Kind::kPlain, peer::mvec256_exp, cpu_avx2_fma},
    {"vsigmoid", "glibc-mvec-avx2", Kind::kPlain, peer::mvec256_sigmoid, cpu_avx2_fma},
#endif
#if defined(ARNN_BENCH_HAVE_SLEEF)
    {"vtanh", "sleef_u10", Kind::kPlain, peer::sleef_tanh_u10, cpu_avx512f},
    {"vtanh", "sleef_u35", Kind::kPlain, peer::sleef_tanh_u35, cpu_avx512f},
    {"vexp", "sleef_u10", Kind::kPlain, peer::sleef_exp_u10, cpu_avx512f},
    {"vsigmoid", "sleef_u10", Kind::kPlain, peer::sleef_sigmoid_u10, cpu_avx512f},
#endif
#if defined(ARNN_BENCH_HAVE_EIGEN)
    {"vtanh", "eigen", Kind::kPlain, peer::eigen_tanh, cpu_eigen_avx512},
    {"vexp", "eigen", Kind::kPlain, peer::eigen_exp, cpu_eigen_avx512},
#if defined(ARNN_BENCH_HAVE_EIGEN_LOGISTIC)
    {"vsigmoid", "eigen", Kind::kPlain, peer::eigen_sigmoid, cpu_eigen_avx512},
#endif
#endif
#if defined(ARNN_BENCH_HAVE_XNNPACK)
    {"vsigmoid", "xnnpack", Kind::kXnnSigmoid, nullptr, always},
#endif
};

// ---------------------------------------------------------------------------
// Buffers and inputs.

struct FreeDeleter {
  void operator()(float *p) const { std::free(p); }
};
using Buffer = std::unique_ptr<float[], FreeDeleter>;

// 64-byte aligned, uninitialized.
Buffer make_buffer(size_t n) {
  const size_t bytes = ((std::max<size_t>(n, 1) * sizeof(float)) + 63) / 64 * 64;
  float *p = static_cast<float *>(std::aligned_alloc(64, bytes));
  if (p == nullptr) {
    std::fprintf(stderr, "vmath-bench: out of memory (%zu bytes)\n", bytes);
    std::exit(1);
  }
  return Buffer(p);
}

// Uniform in [lo, hi] from 53 random bits; same values with every standard library.
float uniform(std::mt19937_64 &rng, float lo, float hi) {
  const double u = static_cast<double>(rng() >> 11) * 0x1.0p-53;
  return static_cast<float>(lo + (static_cast<double>(hi) - lo) * u);
}

// Benchmark inputs for (op, n): fixed seed per op, cached.
const float *inputs(const OpSpec &s, size_t n) {
  static std::map<std::pair<const OpSpec *, size_t>, Buffer> cache;
  Buffer &buf = cache[{&s, n}];
  if (!buf) {
    buf = make_buffer(n);
    std::mt19937_64 rng(0x61726e6e00000000ull + static_cast<uint64_t>(&s - kOps));
    for (size_t i = 0; i < n; ++i) buf[i] = uniform(rng, s.lo, s.hi);
  }
  return buf.get();
}

// ---------------------------------------------------------------------------
// Accuracy.

constexpr unsigned kSweepShift = 10;            // every 1024th bit pattern
constexpr size_t kRandomSamples = size_t{1} << 21;

// Accuracy sample of one op: inputs and double-precision references, only
// inputs whose correctly rounded result is a finite normal float.
struct RefSample {
  std::vector<float> x;
  std::vector<double> ref;
};

const RefSample &ref_sample(const OpSpec &s) {
  static std::map<const OpSpec *, std::unique_ptr<RefSample>> cache;
  std::unique_ptr<RefSample> &entry = cache[&s];
  if (entry) return *entry;
  entry = std::make_unique<RefSample>();
  std::mt19937_64 rng(0x756c7000ull + static_cast<uint64_t>(&s - kOps));
  std::vector<float> candidates;
  // One bit pattern from every block of 1024 (at a random offset in the block)
  // whose value lies in the sweep range.
  for (uint64_t block = 0; block < (uint64_t{1} << (32 - kSweepShift)); ++block) {
    const uint32_t bits = static_cast<uint32_t>(block << kSweepShift) |
                          static_cast<uint32_t>(rng() & ((1u << kSweepShift) - 1));
    float f;
    std::memcpy(&f, &bits, sizeof f);
    if (f >= s.sweep_lo && f <= s.sweep_hi) candidates.push_back(f);  // NaN fails both
  }
  // Plus uniform inputs in the benchmark range.
  for (size_t i = 0; i < kRandomSamples; ++i) candidates.push_back(uniform(rng, s.lo, s.hi));
  entry->x.reserve(candidates.size());
  entry->ref.reserve(candidates.size());
  for (float f : candidates) {
    const double r = s.ref(static_cast<double>(f));
    const float rounded = static_cast<float>(r);
    if (!std::isfinite(rounded) || std::fabs(rounded) < FLT_MIN) continue;
    entry->x.push_back(f);
    entry->ref.push_back(r);
  }
  return *entry;
}

// Runs `impl` once over x[0, n); false (with a message) if it cannot run.
bool run_once(const Impl &impl, const float *x, float *y, size_t n, std::string *error) {
  switch (impl.kind) {
    case Kind::kPlain:
      impl.fn(x, y, n);
      return true;
    case Kind::kXnnSigmoid: {
#if defined(ARNN_BENCH_HAVE_XNNPACK)
      const char *msg = "";
      peer::XnnSigmoid *op = peer::xnnpack_sigmoid_create(&msg);
      if (op == nullptr) {
        *error = msg;
        return false;
      }
      const bool ok = peer::xnnpack_sigmoid_setup(op, x, y, n) && peer::xnnpack_sigmoid_run(op);
      peer::xnnpack_sigmoid_destroy(op);
      if (!ok) *error = "xnn_setup/run_operator failed";
      return ok;
#else
      *error = "XNNPACK not built in";
      return false;
#endif
    }
  }
  return false;
}

// Max error in ULP of the correctly rounded result; NaN if the impl failed,
// +inf if it returned NaN/inf where the result is finite.
double max_ulp(Impl &impl) {
  if (impl.max_ulp >= 0 || std::isnan(impl.max_ulp)) return impl.max_ulp;
  const RefSample &s = ref_sample(*impl.spec);
  const size_t n = s.x.size();
  Buffer x = make_buffer(n), y = make_buffer(n);
  std::copy(s.x.begin(), s.x.end(), x.get());
  std::string error;
  if (!run_once(impl, x.get(), y.get(), n, &error)) {
    std::fprintf(stderr, "vmath-bench: %s/%s: accuracy not measured: %s\n", impl.spec->name, impl.name.c_str(),
                 error.c_str());
    impl.max_ulp = NAN;
    return impl.max_ulp;
  }
  double worst = 0.0;
  float worst_x = NAN;
  for (size_t i = 0; i < n; ++i) {
    const double r = s.ref[i];
    int e;
    std::frexp(static_cast<float>(r), &e);  // rounded = m * 2^e, 0.5 <= |m| < 1
    const double ulp = std::ldexp(1.0, e - 24);
    double err = std::fabs(static_cast<double>(y[i]) - r) / ulp;
    if (std::isnan(err)) err = INFINITY;
    if (err > worst || std::isnan(worst_x)) {
      worst = err;
      worst_x = s.x[i];
    }
  }
  impl.max_ulp = worst;
  impl.worst_x = worst_x;
  return worst;
}

// ---------------------------------------------------------------------------
// The benchmark bodies.

void set_counters(benchmark::State &st, size_t n, double ulp) {
  const double items = static_cast<double>(n) * static_cast<double>(st.iterations());
  st.SetItemsProcessed(static_cast<int64_t>(items));
  // kIsRate divides by seconds; items / 1e9 per second = items per nanosecond.
  st.counters["el/ns"] = benchmark::Counter(items / 1e9, benchmark::Counter::kIsRate);
  st.counters["maxULP"] = benchmark::Counter(ulp);
}

void bench_vunary(benchmark::State &st, Impl *impl) {
  const size_t n = static_cast<size_t>(st.range(0));
  const float *x = inputs(*impl->spec, n);
  Buffer ybuf = make_buffer(n);
  float *y = ybuf.get();
  std::memset(y, 0, n * sizeof(float));  // fault the pages in before timing
  const double ulp = max_ulp(*impl);

  if (impl->kind == Kind::kPlain) {
    const VunaryFn fn = impl->fn;
    for (auto _ : st) {
      fn(x, y, n);
      benchmark::ClobberMemory();
    }
  } else {
#if defined(ARNN_BENCH_HAVE_XNNPACK)
    const char *msg = "";
    peer::XnnSigmoid *op = peer::xnnpack_sigmoid_create(&msg);
    if (op == nullptr) {
      st.SkipWithError(msg);
      return;
    }
    if (!peer::xnnpack_sigmoid_setup(op, x, y, n)) {
      peer::xnnpack_sigmoid_destroy(op);
      st.SkipWithError("xnn_setup_sigmoid_nc_f32 failed");
      return;
    }
    for (auto _ : st) {
      if (!peer::xnnpack_sigmoid_run(op)) {
        st.SkipWithError("xnn_run_operator failed");
        break;
      }
      benchmark::ClobberMemory();
    }
    peer::xnnpack_sigmoid_destroy(op);
#else
    st.SkipWithError("XNNPACK not built in");
    return;
#endif
  }
  set_counters(st, n, ulp);
}

// ---------------------------------------------------------------------------
// Results: medians captured from the reporter, for the summary.

struct Result {
  double el_ns;
  double max_ulp;
};

class Results {
 public:
  // "BM_vunary/<op>/<impl>" + args "<n>". Keeps the median aggregate, or the
  // single run when there are no repetitions.
  void capture(const benchmark::BenchmarkReporter::Run &run) {
    if (run.error_occurred) return;
    const bool median = run.run_type == benchmark::BenchmarkReporter::Run::RT_Aggregate && run.aggregate_name == "median";
    const bool single = run.run_type == benchmark::BenchmarkReporter::Run::RT_Iteration && run.repetitions <= 1;
    if (!median && !single) return;
    const std::string &fn = run.run_name.function_name;
    const size_t a = fn.find('/'), b = fn.find('/', a + 1);
    if (a == std::string::npos || b == std::string::npos) return;
    const auto el = run.counters.find("el/ns"), ulp = run.counters.find("maxULP");
    if (el == run.counters.end() || ulp == run.counters.end()) return;
    const int64_t n = std::strtoll(run.run_name.args.c_str(), nullptr, 10);
    results_[std::make_tuple(fn.substr(a + 1, b - a - 1), fn.substr(b + 1), n)] = {el->second.value, ulp->second.value};
  }
  // "BM_bound/div-only" + args "<n>": the division-throughput limit.
  void capture_bound(const benchmark::BenchmarkReporter::Run &run) {
    if (run.error_occurred || run.run_name.function_name != "BM_bound/div-only") return;
    const bool median = run.run_type == benchmark::BenchmarkReporter::Run::RT_Aggregate && run.aggregate_name == "median";
    const bool single = run.run_type == benchmark::BenchmarkReporter::Run::RT_Iteration && run.repetitions <= 1;
    const auto el = run.counters.find("el/ns");
    if ((median || single) && el != run.counters.end())
      div_bound_[std::strtoll(run.run_name.args.c_str(), nullptr, 10)] = el->second.value;
  }
  double div_bound(int64_t n) const {
    const auto it = div_bound_.find(n);
    return it == div_bound_.end() ? 0.0 : it->second;
  }
  bool empty() const { return results_.empty(); }
  const std::map<std::tuple<std::string, std::string, int64_t>, Result> &all() const { return results_; }

 private:
  std::map<std::tuple<std::string, std::string, int64_t>, Result> results_;
  std::map<int64_t, double> div_bound_;
};

// Console output: one line per median (or per run without repetitions) with
// el/ns and maxULP as plain numbers, and an input where the max error occurs.
// Other aggregates go to --benchmark_out.
class VmathConsoleReporter : public benchmark::ConsoleReporter {
 public:
  explicit VmathConsoleReporter(Results *results) : ConsoleReporter(OO_None), results_(results) {}

  void ReportRuns(const std::vector<Run> &runs) override {
    for (const Run &run : runs) {
      results_->capture(run);
      results_->capture_bound(run);
      if (run.run_type == Run::RT_Aggregate && run.aggregate_name != "median") continue;
      print(run);
    }
  }

 private:
  void print(const Run &run) {
    std::ostream &out = GetOutputStream();
    const int width = static_cast<int>(std::max<size_t>(name_field_width_, 20));
    char line[512];
    if (!header_printed_) {
      header_printed_ = true;
      std::snprintf(line, sizeof line, "%-*s %13s %13s %10s %9s %8s %14s", width, "Benchmark", "Time", "CPU",
                    "Iterations", "el/ns", "maxULP", "at x");
      out << line << "\n" << std::string(std::strlen(line), '-') << "\n";
    }
    const std::string name = run.benchmark_name();
    if (run.error_occurred) {
      std::snprintf(line, sizeof line, "%-*s ERROR OCCURRED: '%s'", width, name.c_str(), run.error_message.c_str());
      out << line << "\n";
      return;
    }
    const auto el = run.counters.find("el/ns"), ulp = run.counters.find("maxULP");
    const char *unit = benchmark::GetTimeUnitString(run.time_unit);
    const auto impl = g_impl_by_name.find(run.run_name.function_name);
    const double worst_x = impl == g_impl_by_name.end() ? NAN : impl->second->worst_x;
    std::snprintf(line, sizeof line, "%-*s %10.0f %-2s %10.0f %-2s %10lld %9.3f %8.2f %14.7g", width, name.c_str(),
                  run.GetAdjustedRealTime(), unit, run.GetAdjustedCPUTime(), unit,
                  static_cast<long long>(run.iterations), el == run.counters.end() ? NAN : el->second.value,
                  ulp == run.counters.end() ? NAN : ulp->second.value, worst_x);
    out << line << "\n";
    out.flush();
  }

  Results *results_;
  bool header_printed_ = false;
};

// Any other --benchmark_format (json): the library's reporter, captured.
class CapturingJsonReporter : public benchmark::JSONReporter {
 public:
  explicit CapturingJsonReporter(Results *results) : results_(results) {}
  void ReportRuns(const std::vector<Run> &runs) override {
    for (const Run &run : runs) {
      results_->capture(run);
      results_->capture_bound(run);
    }
    JSONReporter::ReportRuns(runs);
  }

 private:
  Results *results_;
};

// Summary per n and function: arnn's best-ISA kernel against the fastest peer.
void print_summary(std::FILE *out, const Results &results, const std::vector<std::unique_ptr<Impl>> &impls) {
  std::set<int64_t> sizes;
  for (const auto &kv : results.all()) sizes.insert(std::get<2>(kv.first));
  auto find_impl = [&](const std::string &op, const std::string &name) -> const Impl * {
    for (const auto &p : impls)
      if (op == p->spec->name && name == p->name) return p.get();
    return nullptr;
  };
  std::fprintf(out, "\nSummary: median el/ns (higher is faster) and max ULP error; arnn = best-ISA kernel run\n");
  for (int64_t n : sizes) {
    std::fprintf(out, "\nn = %lld\n", static_cast<long long>(n));
    std::fprintf(out, "%-8s %-14s %7s %7s | %-18s %7s %7s | %9s\n", "op", "arnn", "el/ns", "maxULP", "fastest peer",
                 "el/ns", "maxULP", "arnn/peer");
    for (const OpSpec &s : kOps) {
      std::string arnn_name, peer_name;
      Result arnn{}, best{};
      int best_rank = 1 << 30;
      for (const auto &kv : results.all()) {
        if (std::get<0>(kv.first) != s.name || std::get<2>(kv.first) != n) continue;
        const Impl *impl = find_impl(s.name, std::get<1>(kv.first));
        if (impl == nullptr) continue;
        if (impl->peer) {
          if (peer_name.empty() || kv.second.el_ns > best.el_ns) {
            peer_name = impl->name;
            best = kv.second;
          }
        } else {
          // Prefer the best-ISA named kernel; the dispatched entry only if no kernel ran.
          const int rank = impl->arnn_rank >= 0 ? impl->arnn_rank : (1 << 29);
          if (rank < best_rank) {
            best_rank = rank;
            arnn_name = impl->name;
            arnn = kv.second;
          }
        }
      }
      if (arnn_name.empty() && peer_name.empty()) continue;
      char a[64] = "-", p[64] = "-", ratio[32] = "-";
      if (!arnn_name.empty()) std::snprintf(a, sizeof a, "%-14s %7.3f %7.2f", arnn_name.c_str(), arnn.el_ns, arnn.max_ulp);
      else std::snprintf(a, sizeof a, "%-14s %7s %7s", "-", "-", "-");
      if (!peer_name.empty()) std::snprintf(p, sizeof p, "%-18s %7.3f %7.2f", peer_name.c_str(), best.el_ns, best.max_ulp);
      else std::snprintf(p, sizeof p, "%-18s %7s %7s", "-", "-", "-");
      if (!arnn_name.empty() && !peer_name.empty() && best.el_ns > 0)
        std::snprintf(ratio, sizeof ratio, "%8.2fx", arnn.el_ns / best.el_ns);
      std::fprintf(out, "%-8s %s | %s | %9s\n", s.name, a, p, ratio);
    }
    if (results.div_bound(n) > 0)
      std::fprintf(out, "true-division bound (y = 1/x, 16-lane vdivps, nothing else): %.3f el/ns\n", results.div_bound(n));
  }
  std::fflush(out);
}

// ---------------------------------------------------------------------------

std::string flag_value(const std::vector<std::string> &args, const char *flag, const char *fallback) {
  std::string value = fallback;
  const std::string prefix = std::string(flag) + "=";
  for (const std::string &a : args)
    if (a.compare(0, prefix.size(), prefix) == 0) value = a.substr(prefix.size());
  return value;
}

}  // namespace

int main(int argc, char **argv) {
  const std::string pinned = arnn_bench_pin_to_first_allowed_cpu();

  // Defaults the user's own flags override: 5 repetitions reported as
  // aggregates (the console shows the median), 0.1 s per measurement.
  std::vector<std::string> args;
  if (!arnn_bench_initialize(argc, argv, 5, "--benchmark_report_aggregates_only", "0.1", &args)) return 1;

  // Implementations, per op in kernel-list order.
  std::vector<std::unique_ptr<Impl>> impls;
  std::vector<const OpSpec *> ops;
  for (const ArnnKernel &k : kArnnKernels) {
    const OpSpec *s = find_op(k.op);
    if (s == nullptr) {
      std::fprintf(stderr, "vmath-bench: no reference for %s, skipping arnn_f32_%s__%s\n", k.op, k.op, k.isa);
      continue;
    }
    if (std::find(ops.begin(), ops.end(), s) == ops.end()) ops.push_back(s);
  }
  for (const OpSpec *s : ops) {
    int rank = 0;
    for (const ArnnKernel &k : kArnnKernels) {
      if (std::strcmp(k.op, s->op) != 0) continue;
      if (arnn_isa_runnable(k.isa))
        impls.push_back(std::make_unique<Impl>(Impl{s, std::string("arnn_") + k.isa, Kind::kPlain, k.fn, rank, false}));
      ++rank;
    }
    impls.push_back(std::make_unique<Impl>(Impl{s, "arnn_dispatch", Kind::kPlain, s->dispatched, -1, false}));
    for (const PeerEntry &p : kPeers)
      if (std::strcmp(p.op, s->op) == 0 && p.runnable())
        impls.push_back(std::make_unique<Impl>(Impl{s, p.name, p.kind, p.fn, -1, true}));
  }
  for (const auto &impl : impls) {
    const std::string name = std::string("BM_vunary/") + impl->spec->name + "/" + impl->name;
    Impl *p = impl.get();
    g_impl_by_name[name] = p;
    benchmark::internal::Benchmark *b =
        benchmark::RegisterBenchmark(name.c_str(), [p](benchmark::State &st) { bench_vunary(st, p); });
    for (int64_t n : kSizes) b->Arg(n);
  }

#if defined(ARNN_BENCH_HAVE_DIV_BOUND)
  if (cpu_avx512f()) {
    benchmark::internal::Benchmark *b = benchmark::RegisterBenchmark("BM_bound/div-only", [](benchmark::State &st) {
      const size_t n = static_cast<size_t>(st.range(0));
      Buffer x = make_buffer(n), y = make_buffer(n);
      for (size_t i = 0; i < n; i++) x[i] = 1.0f + static_cast<float>(i % 1024) * 0x1p-10f;
      for (auto _ : st) {
        peer::bound_div_avx512(x.get(), y.get(), n);
        benchmark::DoNotOptimize(y.get());
        benchmark::ClobberMemory();
      }
      st.counters["el/ns"] = benchmark::Counter(static_cast<double>(st.iterations()) * n / 1e9, benchmark::Counter::kIsRate);
    });
    for (int64_t n : kSizes) b->Arg(n);
  }
#endif
  benchmark::AddCustomContext("arnn_isa", arnn_isa());
  for (const OpSpec *s : ops) {
    const char *kernel = arnn_kernel_name(s->op);
    benchmark::AddCustomContext(std::string("arnn_dispatch ") + s->name, kernel != nullptr ? kernel : "?");
  }
  benchmark::AddCustomContext("pinned", pinned);
  benchmark::AddCustomContext("maxULP sample", "every 1024th float bit pattern in the sweep range + 2^21 uniform "
                                               "inputs; results below FLT_MIN or overflowing skipped");

  Results results;
  const std::string format = flag_value(args, "--benchmark_format", "console");
  std::FILE *summary_out = stdout;
  if (format == "console") {
    VmathConsoleReporter reporter(&results);
    benchmark::RunSpecifiedBenchmarks(&reporter);
  } else if (format == "json") {
    CapturingJsonReporter reporter(&results);
    benchmark::RunSpecifiedBenchmarks(&reporter);
    summary_out = stderr;  // keep stdout valid JSON
  } else {
    benchmark::RunSpecifiedBenchmarks();
  }
  if (!results.empty()) print_summary(summary_out, results, impls);
  benchmark::Shutdown();
  return 0;
}
