// rnn-peers-bench: the recurrent-layer peer (oneDNN) on the
// workloads of bench/README.md -- every workload x batch {1, 32} x threads
// {1, 2} x cell {LSTM, GRU reset_after} -- with ms per call, GFLOP/s, the
// fraction of the FMA peak and, at batch 1, the L2-bound time, all against
// limits measured in the same run (machine-peaks.h). See README.md.
//
// Threads are pinned in-process: the main thread to the first CPU of the
// affinity mask (the machine peaks are measured there), OpenMP worker i to the
// i-th CPU of the mask (run under taskset -c 0-1). ARNN_BENCH_NO_PIN=1 skips
// the pinning.
#include <benchmark/benchmark.h>

#include <sched.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <vector>

#if defined(_OPENMP)
#include <omp.h>
#endif

#include "bench-args.h"
#include "machine-peaks.h"
#include "arnn/arnn.h"
#include "peers-rnn.h"

namespace {

constexpr int kBatches[] = {1, 32};
constexpr int kThreads[] = {1, 2};
constexpr peer_rnn_cell kCells[] = {PEER_RNN_LSTM, PEER_RNN_GRU};

// ---------------------------------------------------------------------------
// Pinning.

std::vector<int> allowed_cpus() {
  std::vector<int> cpus;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0) return cpus;
  for (int c = 0; c < CPU_SETSIZE; c++)
    if (CPU_ISSET(c, &set)) cpus.push_back(c);
  return cpus;
}

bool pin_self(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return sched_setaffinity(0, sizeof set, &set) == 0;
}

// Pins OpenMP thread i of a team of n (the pool oneDNN's parallel regions
// reuse) to cpus[i % size]; thread 0 is the calling thread.
std::string pin_threads(const std::vector<int> &cpus, int n) {
  if (cpus.empty()) return "not pinned (no affinity mask)";
  std::string desc;
#if defined(_OPENMP)
  std::vector<int> ok(n, 0);
#pragma omp parallel num_threads(n)
  {
    const int i = omp_get_thread_num();
    ok[i] = pin_self(cpus[i % cpus.size()]);
  }
  for (int i = 0; i < n; i++) {
    desc += (i ? ", " : "") + std::string("omp thread ") + std::to_string(i) + " -> cpu " +
            std::to_string(cpus[i % cpus.size()]) + (ok[i] ? "" : " (failed)");
  }
#else
  (void)n;
  desc = std::string("main thread -> cpu ") + std::to_string(cpus[0]) + (pin_self(cpus[0]) ? "" : " (failed)") +
         " (built without OpenMP: workers not pinned)";
#endif
  return desc;
}

// ---------------------------------------------------------------------------
// Double-precision Keras reference for the startup check of each peer.

double sig(double x) { return 1.0 / (1.0 + std::exp(-x)); }

// One direction over x [T,E] (already in the order it reads), writes h_t to
// y[t*ystride].
void ref_direction(peer_rnn_cell cell, int T, int E, int H, const float *x, const float *K, const float *R,
                   const float *b, float *y, size_t ystride) {
  const int G = peer_rnn_gates(cell), GH = G * H;
  std::vector<double> h(H, 0.0), c(H, 0.0), xz(GH), hz(GH), hn(H);
  for (int t = 0; t < T; t++) {
    for (int j = 0; j < GH; j++) {
      double s = b[j];
      for (int e = 0; e < E; e++) s += (double)x[t * E + e] * K[(size_t)e * GH + j];
      xz[j] = s;
      double u = cell == PEER_RNN_GRU ? (double)b[GH + j] : 0.0;
      if (cell != PEER_RNN_GRU_BEFORE || j < 2 * H)
        for (int k = 0; k < H; k++) u += h[k] * R[(size_t)k * GH + j];
      hz[j] = u;
    }
    for (int j = 0; j < H; j++) {
      if (cell == PEER_RNN_LSTM) {
        const double i = sig(xz[j] + hz[j]), f = sig(xz[H + j] + hz[H + j]);
        const double g = std::tanh(xz[2 * H + j] + hz[2 * H + j]), o = sig(xz[3 * H + j] + hz[3 * H + j]);
        c[j] = f * c[j] + i * g;
        hn[j] = o * std::tanh(c[j]);
      } else {
        const double z = sig(xz[j] + hz[j]), r = sig(xz[H + j] + hz[H + j]);
        double hh;
        if (cell == PEER_RNN_GRU) {
          hh = std::tanh(xz[2 * H + j] + r * hz[2 * H + j]);
        } else {
          double u = 0.0;
          for (int k = 0; k < H; k++) u += sig(xz[H + k] + hz[H + k]) * h[k] * R[(size_t)k * GH + 2 * H + j];
          hh = std::tanh(xz[2 * H + j] + u);
        }
        hn[j] = z * h[j] + (1.0 - z) * hh;
      }
    }
    h = hn;
    for (int j = 0; j < H; j++) y[t * ystride + j] = (float)h[j];
  }
}

// Bidirectional concat: y [B,T,2H].
void ref_bidirectional(peer_rnn_cell cell, int B, int T, int E, int H, const float *x, const peer_rnn_weights &w,
                       float *y) {
  std::vector<float> xr((size_t)T * E), yr((size_t)T * H);
  for (int b = 0; b < B; b++) {
    const float *xb = x + (size_t)b * T * E;
    float *yb = y + (size_t)b * T * 2 * H;
    ref_direction(cell, T, E, H, xb, w.kernel[0], w.recurrent[0], w.bias[0], yb, 2 * H);
    for (int t = 0; t < T; t++) std::memcpy(&xr[(size_t)t * E], xb + (size_t)(T - 1 - t) * E, sizeof(float) * E);
    ref_direction(cell, T, E, H, xr.data(), w.kernel[1], w.recurrent[1], w.bias[1], yr.data(), H);
    for (int t = 0; t < T; t++)
      std::memcpy(yb + (size_t)t * 2 * H + H, &yr[(size_t)(T - 1 - t) * H], sizeof(float) * H);
  }
}

// Random small problem, one peer against the reference: max |error|.
template <class Create, class SetIn, class Run, class GetOut, class Destroy>
double check_peer(peer_rnn_cell cell, Create create, SetIn set_in, Run run, GetOut get_out, Destroy destroy) {
  const peer_rnn_workload w{"check", 7, 5, 6};
  const int B = 3, G = peer_rnn_gates(cell), GH = G * w.H;
  std::mt19937 rng(1234);
  std::uniform_real_distribution<float> d(-0.5f, 0.5f);
  std::vector<float> k[2], r[2], bb[2];
  peer_rnn_weights pw{};
  for (int i = 0; i < 2; i++) {
    k[i].resize((size_t)w.E * GH), r[i].resize((size_t)w.H * GH), bb[i].resize(cell == PEER_RNN_GRU ? 2 * GH : GH);
    for (float &v : k[i]) v = d(rng);
    for (float &v : r[i]) v = d(rng);
    for (float &v : bb[i]) v = d(rng);
    pw.kernel[i] = k[i].data(), pw.recurrent[i] = r[i].data(), pw.bias[i] = bb[i].data();
  }
  std::vector<float> x((size_t)B * w.T * w.E), y((size_t)B * w.T * 2 * w.H), yref(y.size());
  for (float &v : x) v = 2.0f * d(rng);
  auto *p = create(&w, B, 1, cell, &pw);
  if (!p) return INFINITY;
  set_in(p, x.data());
  const bool ok = run(p) == 0;
  get_out(p, y.data());
  destroy(p);
  if (!ok) return INFINITY;
  ref_bidirectional(cell, B, w.T, w.E, w.H, x.data(), pw, yref.data());
  double err = 0.0;
  for (size_t i = 0; i < y.size(); i++) err = std::max(err, (double)std::fabs(y[i] - yref[i]));
  return err;
}

// ---------------------------------------------------------------------------
// Benchmarks.

const arnn_machine_peaks *g_peaks;

// Rates and fractions every RNN case reports, from the wall time `seconds` of
// the timed loop (the lead's arnn cases should call this too so the columns
// agree). Plain counters, so the aggregates are medians of per-repetition
// values.
// FMA_frac is relative to `threads` cores at the one-core peak (measured after
// each repetition); the L2 and L3 bounds are those of `threads` cores, each
// streaming its share of W_hh at the one-core rate (with two threads arnn
// gives each direction its own core and oneDNN splits every step's product:
// either way a core reads half of W_hh per step, so the bound halves).
// whh_bytes: bytes per recurrent weight (4 float32, 2 bf16): the bounds scale
// with it.
void set_rnn_counters(benchmark::State &st, const peer_rnn_workload &w, int batch, int threads, peer_rnn_cell cell,
                      double seconds, double whh_bytes = 4.0) {
  const double whh_step = peer_rnn_whh_bytes_per_step(&w, cell) * (whh_bytes / 4.0);
  const double per_call = seconds / (double)std::max<benchmark::IterationCount>(1, st.iterations());
  const double gflops = peer_rnn_flop(&w, batch, cell) * 1e-9 / per_call;
  st.counters["GFLOP/s"] = gflops;
  // The FMA peak measured again right after this repetition's timed loop:
  // this VM's clock moves by up to 25% from minute to minute, so the figure
  // measured at start-up (printed in the context) is not the yardstick.
  double peak = arnn_peaks_fma_gflops_best(3);
  if (peak <= 0) peak = g_peaks->fma_gflops; /* no x86 FMA loop on this CPU */
  if (peak > 0) {
    st.counters["peak_GFLOP/s"] = peak;
    st.counters["FMA_frac"] = gflops / (threads * peak);
  }
  if (batch == 1 && g_peaks->bw_l2_gbs > 0) {
    // All of W_hh (both directions) streamed from L2 once per timestep, shared by the cores.
    const double bound = arnn_peaks_bound_seconds(whh_step * w.T, g_peaks->bw_l2_gbs) / threads;
    st.counters["L2bound_ms"] = bound * 1e3;
    st.counters["L2_frac"] = bound / per_call;
  }
  if (batch == 1 && g_peaks->bw_l3_gbs > 0) {
    // The same from L3: the bound that applies when W_hh does not fit in L2
    // (large: 2 x 4 MiB for LSTM).
    st.counters["L3bound_ms"] =
        1e3 * arnn_peaks_bound_seconds(whh_step * w.T, g_peaks->bw_l3_gbs) / threads;
  }
}

#if defined(ARNN_BENCH_HAVE_ONEDNN)
void bm_onednn(benchmark::State &st, const peer_rnn_workload *w, int batch, int threads, peer_rnn_cell cell,
               peer_onednn_weights layout) {
  const char *err = nullptr;
  peer_onednn_rnn *p = peer_onednn_rnn_create(w, batch, threads, cell, layout, nullptr, &err);
  if (!p) {
    st.SkipWithError(err ? err : "oneDNN create failed");
    return;
  }
  if (peer_onednn_rnn_run(p) != 0) {  // warm-up: first touch of dst and scratchpad
    peer_onednn_rnn_destroy(p);
    st.SkipWithError("oneDNN execute failed");
    return;
  }
  st.SetLabel(peer_onednn_rnn_impl(p));
  const auto t0 = std::chrono::steady_clock::now();
  for (auto _ : st) peer_onednn_rnn_run(p);
  set_rnn_counters(st, *w, batch, threads, cell, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(),
                   layout == PEER_ONEDNN_BF16 ? 2.0 : 4.0);
  peer_onednn_rnn_destroy(p);
}
#endif

// arnn's own bidirectional layer on the same dense input and shapes, so the
// summary table puts it next to the peers (one binary, one run, one set of
// machine peaks). Weights uniform in [-0.1, 0.1] in Keras layout; bf16: the
// layer keeps its kernels as bf16 (ARNN_RNN_WEIGHTS_BF16), so W_hh streams
// half the bytes and the bounds halve.
void bm_arnn(benchmark::State &st, const peer_rnn_workload *w, int batch, int threads, peer_rnn_cell cell, bool bf16) {
  const size_t E = (size_t)w->E, H = (size_t)w->H, T = (size_t)w->T, G = (size_t)peer_rnn_gates(cell);
  const size_t bias_n = cell == PEER_RNN_GRU ? 2 * G * H : G * H;
  std::vector<float> kernel(2 * E * G * H), recurrent(2 * H * G * H), bias(2 * bias_n);
  std::vector<float> x((size_t)batch * T * E), y((size_t)batch * T * 2 * H);
  uint64_t s = 0x9e3779b97f4a7c15ull;
  auto next = [&s]() {
    s ^= s << 13, s ^= s >> 7, s ^= s << 17;
    return (float)((s >> 40) * 0x1p-24 * 0.2 - 0.1);
  };
  for (float &v : kernel) v = next();
  for (float &v : recurrent) v = next();
  for (float &v : bias) v = next();
  for (float &v : x) v = 10.0f * next();
  arnn_rnn_layer_desc d;
  arnn_rnn_layer_desc_init(&d);
  d.cell = cell == PEER_RNN_LSTM ? ARNN_RNN_LSTM : ARNN_RNN_GRU;
  d.reset_after = cell == PEER_RNN_GRU;
  d.input_size = E;
  d.units = H;
  d.bidirectional = 1;
  d.weights = bf16 ? ARNN_RNN_WEIGHTS_BF16 : ARNN_RNN_WEIGHTS_F32;
  for (int dir = 0; dir < 2; dir++) {
    d.kernel[dir] = kernel.data() + dir * E * G * H;
    d.recurrent_kernel[dir] = recurrent.data() + dir * H * G * H;
    d.bias[dir] = bias.data() + dir * bias_n;
  }
  arnn_rnn_layer *layer = nullptr;
  arnn_threadpool *pool = nullptr;
  if (arnn_rnn_layer_create(&d, &layer) != ARNN_OK || (threads > 1 && arnn_threadpool_create(threads, &pool) != ARNN_OK)) {
    arnn_rnn_layer_destroy(layer);
    st.SkipWithError("arnn layer or pool creation failed");
    return;
  }
  arnn_rnn_layer_forward(layer, pool, batch, T, x.data(), nullptr, y.data());  // warm-up
  const char *op = cell == PEER_RNN_LSTM ? (bf16 ? "lstm_step_bf16" : "lstm_step") : (bf16 ? "gru_step_bf16" : "gru_step");
  const char *kernel_name = arnn_kernel_name(op);
  st.SetLabel(kernel_name ? kernel_name : op);
  const auto t0 = std::chrono::steady_clock::now();
  for (auto _ : st) arnn_rnn_layer_forward(layer, pool, batch, T, x.data(), nullptr, y.data());
  set_rnn_counters(st, *w, batch, threads, cell, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(),
                   bf16 ? 2.0 : 4.0);
  arnn_threadpool_destroy(pool);
  arnn_rnn_layer_destroy(layer);
}

// Median rows collected for the summary table.
struct Row {
  std::string name;
  std::string label;
  double ms;
  double cpu_ms;
  std::map<std::string, double> counters;
};

class RnnReporter : public benchmark::ConsoleReporter {
 public:
  std::vector<Row> rows;
  void ReportRuns(const std::vector<Run> &runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run &run : runs) {
      const bool single = run.run_type == Run::RT_Iteration && run.repetitions <= 1;
      if (!(single || (run.run_type == Run::RT_Aggregate && run.aggregate_name == "median"))) continue;
      if (run.error_occurred) continue;
      Row r;
      r.name = run.run_name.str();
      const size_t rt = r.name.rfind("/real_time");
      if (rt != std::string::npos) r.name.erase(rt);
      r.label = run.report_label;
      r.ms = run.GetAdjustedRealTime();  // the benchmarks use milliseconds
      r.cpu_ms = run.GetAdjustedCPUTime();
      for (const auto &c : run.counters) r.counters[c.first] = c.second.value;
      rows.push_back(r);
    }
  }
};

}  // namespace

int main(int argc, char **argv) {
  // Defaults the user's flags override: 5 repetitions, aggregates only (the
  // summary table shows medians), 0.3 s per measurement.
  std::vector<std::string> args;
  if (!arnn_bench_initialize(argc, argv, 5, "--benchmark_report_aggregates_only", "0.3", &args)) return 1;

  // Machine limits on the main thread's core, then the thread pinning.
  const std::vector<int> cpus = allowed_cpus();
  const char *no_pin = std::getenv("ARNN_BENCH_NO_PIN");
  const bool pin = !(no_pin && no_pin[0] == '1');
  if (pin && !cpus.empty()) pin_self(cpus[0]);
  g_peaks = arnn_machine_peaks_get();
  arnn_machine_peaks_print(stderr, g_peaks, "machine: ");
  std::string pinned = "not pinned (ARNN_BENCH_NO_PIN=1)";
  if (pin) pinned = pin_threads(cpus, 2);  // the largest team the cases use
  if (cpus.size() < 2) pinned += "; fewer than 2 CPUs allowed: 2-thread cases share one core";

  char buf[160];
  std::snprintf(buf, sizeof buf, "%.1f GFLOP/s (AVX2 %.1f, AVX-512 %.1f)", g_peaks->fma_gflops,
                g_peaks->fma_avx2_gflops, g_peaks->fma_avx512_gflops);
  benchmark::AddCustomContext("FMA peak (1 core)", buf);
  std::snprintf(buf, sizeof buf, "L1 %.0f, L2 %.0f, L3 %.0f, DRAM %.1f GB/s (median of %d)", g_peaks->bw_l1_gbs,
                g_peaks->bw_l2_gbs, g_peaks->bw_l3_gbs, g_peaks->bw_dram_gbs, g_peaks->repetitions);
  benchmark::AddCustomContext("read bandwidth (1 core)", buf);
  benchmark::AddCustomContext("pinned", pinned);
  benchmark::AddCustomContext("input", "dense [B,T,E] f32 for every workload (imdb: embedding lookup not timed)");
  benchmark::AddCustomContext("counters", "GFLOP/s = B*2*(2TEGH + 2THGH)/time; FMA_frac = GFLOP/s / (threads x 1-core FMA peak measured after each repetition); "
                                          "L2bound_ms (batch 1) = T * W_hh bytes (both dirs) / (L2 bandwidth x threads); "
                                          "L2_frac = L2bound / time; L3bound_ms the same from L3");

  benchmark::AddCustomContext("arnn", std::string(arnn_version()) + ", isa " + arnn_isa());
  for (const peer_rnn_workload &w : peer_rnn_workloads)
    for (int batch : kBatches)
      for (int threads : kThreads)
        for (peer_rnn_cell cell : kCells)
          for (bool bf16 : {false, true}) {
            const std::string name = std::string("rnn/") + w.name + "/b" + std::to_string(batch) + "/t" +
                                     std::to_string(threads) + "/" + peer_rnn_cell_name(cell) +
                                     (bf16 ? "/arnn_bf16" : "/arnn");
            const peer_rnn_workload *wp = &w;
            benchmark::RegisterBenchmark(name.c_str(), [=](benchmark::State &st) {
              bm_arnn(st, wp, batch, threads, cell, bf16);
            })->Unit(benchmark::kMillisecond)->UseRealTime();
          }
#if defined(ARNN_BENCH_HAVE_ONEDNN)
  benchmark::AddCustomContext("oneDNN", peer_onednn_version());
  // oneDNN's bf16 RNN only where the CPU has the bf16 instructions it is
  // built for (AVX512-BF16); elsewhere it would emulate them.
  const bool onednn_bf16 = __builtin_cpu_supports("avx512bf16");
  benchmark::AddCustomContext("oneDNN bf16", onednn_bf16 ? "run (CPU has AVX512-BF16)" : "not run (no AVX512-BF16)");
  for (peer_rnn_cell cell : {PEER_RNN_LSTM, PEER_RNN_GRU, PEER_RNN_GRU_BEFORE}) {
    double err = 0.0;
    for (peer_onednn_weights layout : {PEER_ONEDNN_WEIGHTS_ANY, PEER_ONEDNN_WEIGHTS_PLAIN}) {
      auto create = [layout](const peer_rnn_workload *w, int b, int t, peer_rnn_cell c, const peer_rnn_weights *pw) {
        return peer_onednn_rnn_create(w, b, t, c, layout, pw, nullptr);
      };
      err = std::max(err, check_peer(cell, create, peer_onednn_rnn_set_input, peer_onednn_rnn_run,
                                     peer_onednn_rnn_get_output, peer_onednn_rnn_destroy));
    }
    std::snprintf(buf, sizeof buf, "max |err| %.2g vs float64 Keras reference (T=7 E=5 H=6 B=3, both layouts)%s",
                  err, err < 1e-5 ? "" : "  ** MISMATCH **");
    benchmark::AddCustomContext(std::string("oneDNN check ") + peer_rnn_cell_name(cell), buf);
    if (onednn_bf16) {
      auto create = [](const peer_rnn_workload *w, int b, int t, peer_rnn_cell c, const peer_rnn_weights *pw) {
        return peer_onednn_rnn_create(w, b, t, c, PEER_ONEDNN_BF16, pw, nullptr);
      };
      err = check_peer(cell, create, peer_onednn_rnn_set_input, peer_onednn_rnn_run, peer_onednn_rnn_get_output,
                       peer_onednn_rnn_destroy);
      std::snprintf(buf, sizeof buf, "max |err| %.2g vs float64 Keras reference (bf16 data: a sanity bound of 0.05)%s",
                    err, err < 0.05 ? "" : "  ** MISMATCH **");
      benchmark::AddCustomContext(std::string("oneDNN bf16 check ") + peer_rnn_cell_name(cell), buf);
    }
  }
  for (const peer_rnn_workload &w : peer_rnn_workloads)
    for (int batch : kBatches)
      for (int threads : kThreads)
        for (peer_rnn_cell cell : kCells)
          for (peer_onednn_weights layout : {PEER_ONEDNN_WEIGHTS_ANY, PEER_ONEDNN_WEIGHTS_PLAIN, PEER_ONEDNN_BF16}) {
            if (layout == PEER_ONEDNN_BF16 && !onednn_bf16) continue;
            const std::string name = std::string("rnn/") + w.name + "/b" + std::to_string(batch) + "/t" +
                                     std::to_string(threads) + "/" + peer_rnn_cell_name(cell) +
                                     (layout == PEER_ONEDNN_WEIGHTS_ANY     ? "/onednn"
                                      : layout == PEER_ONEDNN_WEIGHTS_PLAIN ? "/onednn_plain"
                                                                            : "/onednn_bf16");
            const peer_rnn_workload *wp = &w;
            benchmark::RegisterBenchmark(name.c_str(), [=](benchmark::State &st) {
              bm_onednn(st, wp, batch, threads, cell, layout);
            })->Unit(benchmark::kMillisecond)->UseRealTime();
          }
#else
  benchmark::AddCustomContext("oneDNN", "not found at configure time (libdnnl-dev)");
#endif

  RnnReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  if (!reporter.rows.empty()) {
    // cpu% = main thread CPU time / wall time: well below 100% on a 1-thread
    // case means the thread was preempted (a busy machine), not a slow peer.
    std::printf("\nSummary (medians):\n%-36s %10s %9s %8s %11s %8s %11s %6s  %s\n", "case", "ms/call", "GFLOP/s",
                "FMA%", "L2bound_ms", "L2%", "L3bound_ms", "cpu%", "impl");
    for (const Row &r : reporter.rows) {
      auto get = [&](const char *k) {
        auto it = r.counters.find(k);
        return it == r.counters.end() ? NAN : it->second;
      };
      std::printf("%-36s %10.3f %9.1f %7.1f%% %11.3f %7.1f%% %11.3f %5.0f%%  %s\n", r.name.c_str(), r.ms,
                  get("GFLOP/s"), 100.0 * get("FMA_frac"), get("L2bound_ms"), 100.0 * get("L2_frac"),
                  get("L3bound_ms"), 100.0 * r.cpu_ms / r.ms, r.label.c_str());
    }
  }
  benchmark::Shutdown();
  return 0;
}
