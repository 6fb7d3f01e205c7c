// rnn-bench: arnn's bidirectional LSTM layer on the benchmark workloads (bench/README.md)
// (imdb: ids T=400 E=50 H=128 V=5000, folded; elmo: dense T=40 E=1024 H=128;
// large: ids T=100 E=300 H=512 V=20000, not folded within the default budget),
// batch 1 and 32, 1 and 2 threads. Reports ms per call (real time), GFLOP/s of
// the FLOP actually executed (input projection unless folded + recurrence),
// the fraction of this core's FMA peak measured in the same binary, and for
// batch 1 the rate at which W_hh is streamed (GB/s) and its fraction of the
// L2 read bandwidth measured in the same binary. Rates use real time;
// on a shared machine compare the CPU column too (1-thread runs). Peers (oneDNN, PyTorch)
// live in their own benchmark.
#include <benchmark/benchmark.h>

#include <ctime>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <algorithm>
#include <memory>
#include <random>
#include <vector>

#include "arnn/arnn.h"
#include "machine-peaks.h"

namespace {

struct Workload {
  const char *name;
  bool ids;
  size_t V, E, T, H;
};
const Workload kWorkloads[] = {
    {"imdb", true, 5000, 50, 400, 128},
    {"elmo", false, 0, 1024, 40, 128},
    {"large", true, 20000, 300, 100, 512},
};

double process_seconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

// The FMA peak (machine-peaks: widest FMA loop, best of a few ~15 ms blocks)
// printed at start-up, for reference. The clock of this VM moves by up to
// 25% from one minute to the next (175-238 GFLOP/s measured), so peak_frac
// does not use it: each repetition measures the peak right before and right
// after its timed loop and divides by the mean of the two.
double fma_peak_gflops() {
  static double peak = 0;
  if (peak > 0) return peak;
  peak = arnn_peaks_fma_gflops_best(5);
  std::fprintf(stderr, "rnn-bench: measured FMA peak %.1f GFLOP/s per core at start-up\n", peak);
  return peak;
}

// L2 read bandwidth of one core: a 512 KiB buffer (in L2, not in L1), best
// of 5 blocks (machine-peaks' read loop), measured once.
double l2_gbytes_per_s() {
  static double bw = -1;
  if (bw >= 0) return bw;
  bw = arnn_peaks_read_gbs_best((size_t)512 << 10, 5);
  std::fprintf(stderr, "rnn-bench: measured L2 read bandwidth %.1f GB/s per core (512 KiB buffer)\n", bw);
  return bw;
}

struct Model {
  arnn_rnn_layer *layer = nullptr;
  std::vector<float> x;
  std::vector<int> ids;
  std::vector<float> y;
};

Model *get_model(int w, size_t B) {
  static std::unique_ptr<Model> cache[3][2];
  auto &slot = cache[w][B > 1];
  if (slot) return slot.get();
  const Workload &wl = kWorkloads[w];
  const size_t G = 4, GH = G * wl.H;
  std::mt19937 gen(42);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> k[2], r[2], b[2], table;
  for (int d = 0; d < 2; d++) {
    k[d].resize(wl.E * GH);
    r[d].resize(wl.H * GH);
    b[d].resize(GH);
    for (auto &v : k[d]) v = u(gen) * 0.1f;
    for (auto &v : r[d]) v = u(gen) * 0.1f;
    for (auto &v : b[d]) v = u(gen) * 0.1f;
  }
  arnn_rnn_layer_desc desc;
  arnn_rnn_layer_desc_init(&desc);
  desc.cell = ARNN_RNN_LSTM;
  desc.input_size = wl.E;
  desc.units = wl.H;
  desc.bidirectional = 1;
  for (int d = 0; d < 2; d++) {
    desc.kernel[d] = k[d].data();
    desc.recurrent_kernel[d] = r[d].data();
    desc.bias[d] = b[d].data();
  }
  if (wl.ids) {
    table.resize(wl.V * wl.E);
    for (auto &v : table) v = u(gen);
    desc.embedding = table.data();
    desc.vocab_size = wl.V;
  }
  auto m = std::make_unique<Model>();
  if (arnn_rnn_layer_create(&desc, &m->layer) != ARNN_OK) return nullptr;
  if (wl.ids) {
    m->ids.resize(B * wl.T);
    for (auto &v : m->ids) v = 1 + static_cast<int>(gen() % (wl.V - 1));
  } else {
    m->x.resize(B * wl.T * wl.E);
    for (auto &v : m->x) v = u(gen);
  }
  m->y.resize(B * wl.T * 2 * wl.H);
  slot = std::move(m);
  return slot.get();
}

arnn_threadpool *get_pool(int threads) {
  static arnn_threadpool *pool2 = nullptr;
  if (threads <= 1) return nullptr;
  if (!pool2) arnn_threadpool_create(2, &pool2);
  return pool2;
}

void BM_rnn(benchmark::State &state) {
  const int w = static_cast<int>(state.range(0));
  const size_t B = static_cast<size_t>(state.range(1));
  const int threads = static_cast<int>(state.range(2));
  const Workload &wl = kWorkloads[w];
  Model *m = get_model(w, B);
  if (!m) {
    state.SkipWithError("layer creation failed");
    return;
  }
  arnn_threadpool *pool = get_pool(threads);
  const bool folded = arnn_rnn_layer_is_folded(m->layer);
  fma_peak_gflops();
  const double peak_before = arnn_peaks_fma_gflops_best(3);
  const double proc0 = process_seconds();
  for (auto _ : state) {
    const arnn_status st = wl.ids ? arnn_rnn_layer_forward_ids(m->layer, pool, B, wl.T, m->ids.data(), nullptr, m->y.data())
                                  : arnn_rnn_layer_forward(m->layer, pool, B, wl.T, m->x.data(), nullptr, m->y.data());
    if (st != ARNN_OK) {
      state.SkipWithError(arnn_status_str(st));
      return;
    }
    benchmark::ClobberMemory();
  }
  const double proc_s = process_seconds() - proc0;
  const double peak = 0.5 * (peak_before + arnn_peaks_fma_gflops_best(3));
  const double G = 4, D = 2;
  const double proj = folded ? 0.0 : 2.0 * B * wl.T * wl.E * G * wl.H * D;
  const double rec = 2.0 * B * wl.T * wl.H * G * wl.H * D;
  const double iters = static_cast<double>(state.iterations());
  state.counters["GFLOP/s"] = benchmark::Counter((proj + rec) * iters * 1e-9, benchmark::Counter::kIsRate);
  state.counters["peak_frac"] =
      benchmark::Counter((proj + rec) * iters * 1e-9 / (peak * threads), benchmark::Counter::kIsRate);
  state.counters["peak_GFLOP/s"] = peak;
  // CPU time of all threads per call / threads: on a machine shared with
  // other jobs, what the wall time would be with the cores to ourselves
  // (assuming an even split)
  state.counters["cpu_ms_per_thread"] = 1e3 * proc_s / iters / threads;
  // per-timestep latency of the bidirectional layer (both directions)
  // (shown in seconds with an SI prefix, e.g. 2.4u = 2.4 microseconds)
  state.counters["per_step"] =
      benchmark::Counter(static_cast<double>(wl.T) * iters, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  if (B == 1) {
    // every step streams the packed W_hh of its direction once
    const double whh = D * wl.T * wl.H * G * ((wl.H + 15) / 16 * 16) * 4.0;
    state.counters["Whh_GB/s"] = benchmark::Counter(whh * iters * 1e-9, benchmark::Counter::kIsRate);
    if (l2_gbytes_per_s() > 0)
      state.counters["L2_frac"] = benchmark::Counter(whh * iters * 1e-9 / (l2_gbytes_per_s() * std::min(threads, 2)),
                                                     benchmark::Counter::kIsRate);
  }
  state.SetLabel(std::string(wl.name) + (folded ? " folded" : "") + " " + arnn_kernel_name("lstm_step"));
}

void Args(benchmark::internal::Benchmark *b) {
  for (int w = 0; w < 3; w++)
    for (int B : {1, 32})
      for (int t : {1, 2}) b->Args({w, B, t});
  b->ArgNames({"workload", "batch", "threads"});
}
BENCHMARK(BM_rnn)->Apply(Args)->UseRealTime()->Unit(benchmark::kMillisecond)->MinTime(0.2);

}  // namespace

BENCHMARK_MAIN();
