// rnn-bench: arnn's bidirectional LSTM layer on the NOTES.md workloads
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
#include <immintrin.h>

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

// Peak FMA rate of one core: 16 independent accumulator chains, long enough
// to amortise the timer; AVX-512 if the CPU has it, else AVX2.
__attribute__((target("avx512f"), noinline)) double fma_loop_avx512(int64_t iters) {
  __m512 acc[16];
  for (int i = 0; i < 16; i++) acc[i] = _mm512_set1_ps(1.0f + i * 1e-3f);
  const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
  for (int64_t n = 0; n < iters; n++)
    for (int i = 0; i < 16; i++) acc[i] = _mm512_fmadd_ps(acc[i], a, b);
  float buf[16], s = 0;
  for (int i = 0; i < 16; i++) {
    _mm512_storeu_ps(buf, acc[i]);
    s += buf[0];
  }
  benchmark::DoNotOptimize(s);
  return 16.0 * 16 * 2 * iters;
}
__attribute__((target("avx2,fma"), noinline)) double fma_loop_avx2(int64_t iters) {
  __m256 acc[12];
  for (int i = 0; i < 12; i++) acc[i] = _mm256_set1_ps(1.0f + i * 1e-3f);
  const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
  for (int64_t n = 0; n < iters; n++)
    for (int i = 0; i < 12; i++) acc[i] = _mm256_fmadd_ps(acc[i], a, b);
  float buf[8], s = 0;
  for (int i = 0; i < 12; i++) {
    _mm256_storeu_ps(buf, acc[i]);
    s += buf[0];
  }
  benchmark::DoNotOptimize(s);
  return 12.0 * 8 * 2 * iters;
}

double thread_seconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

double process_seconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

// FMA peak of this core now: best of `reps` runs of `iters` iterations of
// the independent-chain loop, thread CPU time (so a machine shared with other
// jobs does not lower it).
double fma_peak_now(int reps, long iters) {
  const bool avx512 = __builtin_cpu_supports("avx512f");
  double best = 0;
  for (int rep = 0; rep < reps; rep++) {
    const double t0 = thread_seconds();
    const double flop = avx512 ? fma_loop_avx512(iters) : fma_loop_avx2(iters);
    const double s = thread_seconds() - t0;
    if (flop / s > best) best = flop / s;
  }
  return best * 1e-9;
}

// The figure printed at start-up, for reference. The clock of this VM moves
// by up to 25% from one minute to the next (175-238 GFLOP/s measured), so
// peak_frac does not use it: each repetition measures the peak right before
// and right after its timed loop (fma_peak_now, ~30 ms each) and divides by
// the mean of the two.
double fma_peak_gflops() {
  static double peak = 0;
  if (peak > 0) return peak;
  peak = fma_peak_now(5, 20000000);
  std::fprintf(stderr, "rnn-bench: measured FMA peak %.1f GFLOP/s per core at start-up (%s)\n", peak,
               __builtin_cpu_supports("avx512f") ? "AVX-512" : "AVX2");
  return peak;
}

// L2 read bandwidth of one core: a 512 KiB buffer (in L2, not in L1) summed
// with 8 independent accumulators, repeatedly; thread CPU time, so compare
// it with the CPU-time column on a shared machine.
__attribute__((target("avx512f"), noinline)) float l2_read_avx512(const float *buf, size_t n, int reps) {
  __m512 acc[8];
  for (int i = 0; i < 8; i++) acc[i] = _mm512_setzero_ps();
  for (int r = 0; r < reps; r++)
    for (size_t i = 0; i < n; i += 128)
      for (int j = 0; j < 8; j++) acc[j] = _mm512_add_ps(acc[j], _mm512_load_ps(buf + i + 16 * j));
  float out[16], s = 0;
  for (int j = 0; j < 8; j++) {
    _mm512_storeu_ps(out, acc[j]);
    s += out[0];
  }
  return s;
}

double l2_gbytes_per_s() {
  static double bw = 0;
  if (bw > 0 || !__builtin_cpu_supports("avx512f")) return bw;
  const size_t n = (512 << 10) / sizeof(float);
  // 64-byte aligned: an unaligned 64-byte load touches two cache lines
  std::unique_ptr<float, void (*)(void *)> buf(static_cast<float *>(std::aligned_alloc(64, n * sizeof(float))), std::free);
  for (size_t i = 0; i < n; i++) buf.get()[i] = 1.0f;
  l2_read_avx512(buf.get(), n, 10);
  for (int rep = 0; rep < 5; rep++) {
    const double t0 = thread_seconds();
    benchmark::DoNotOptimize(l2_read_avx512(buf.get(), n, 400));
    const double s = thread_seconds() - t0;
    bw = std::max(bw, 400.0 * n * sizeof(float) / s * 1e-9);
  }
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
  const double peak_before = fma_peak_now(3, 4000000);
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
  const double peak = 0.5 * (peak_before + fma_peak_now(3, 4000000));
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
