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
//
// BM_rnn_step times the parts: the dispatched fused step kernel alone (LSTM
// or GRU reset_after, H of a workload), one call per step with the h of one
// step feeding the next. nb = 1: against a plain read of the same packed
// W_hh bytes measured in the same run (its bound); nb = 32: against the FMA
// peak, with the pre-activation rows of T steps (as the layer reads them).
// Each repetition records the fastest quarter of its steps (p25 of per-step
// times), which on a machine shared with other jobs is the undisturbed
// speed.
#include <benchmark/benchmark.h>

#include <ctime>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <algorithm>
#include <chrono>
#include <string>
#include <memory>
#include <random>
#include <vector>

#include "arnn/arnn.h"
#include "machine-peaks.h"
#include "machine-peaks-kernels.h"
extern "C" {
#include "dispatch/dispatch.h"
}

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

// Yardsticks for BM_rnn_step, measured the way it measures a step: many
// short timed runs, the fastest quarter's bound (p25), so the fraction
// compares like with like on a busy machine.
using Clock = std::chrono::steady_clock;

double p25(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 4];
}

// Seconds of one read pass over x[0..n), or over x and x2 in turn (n a
// multiple of 128, 64-byte aligned): the widest vector read loop of
// machine-peaks.
double read_pass_seconds(const float *x, const float *x2, size_t n) {
  int bits;
  const peaks::ReadSumFn read = peaks::widest_read_sum(&bits);
  if (bits < 256) return 0.0; /* a scalar loop is no yardstick for a vector kernel */
  volatile float sink = read(x, n);
  std::vector<double> v;
  for (int r = 0; r < 2000; r++) {
    const auto t0 = Clock::now();
    sink = sink + read(x2 != nullptr && (r & 1) ? x2 : x, n);
    v.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
  }
  return p25(v);
}

// One-core FMA peak, GFLOP/s, from 2000 bursts of ~4 us (widest FMA loop).
double fma_peak_p25_gflops() {
  double flop_per_iter;
  const peaks::FmaChainsFn chains = peaks::widest_fma_chains(&flop_per_iter);
  if (chains == nullptr) return 0.0;
  const long iters = 500;
  volatile float sink = chains(iters, 0.999f, 1e-3f);
  std::vector<double> v;
  for (int r = 0; r < 2000; r++) {
    const auto t0 = Clock::now();
    sink = sink + chains(iters, 0.999f, 1e-3f);
    v.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
  }
  return flop_per_iter * iters / p25(v) * 1e-9;
}

// One step of a direction: pre-activations xp (T rows per sequence), h in
// two buffers alternating, c; weights in the packed layout (random: the
// kernel's speed does not depend on the values), float32 or (bf16:1) the
// bf16 layout read by the *_step_bf16 kernels.
void BM_rnn_step(benchmark::State &state) {
  const bool gru = state.range(0) != 0;
  const Workload &wl = kWorkloads[state.range(1)];
  const size_t nb = static_cast<size_t>(state.range(2));
  const bool bf16 = state.range(3) != 0;
  const size_t H = wl.H, Hp = (H + 15) / 16 * 16, G = gru ? 3 : 4, NG = G * Hp, T = wl.T;
  std::mt19937 gen(7);
  std::uniform_real_distribution<float> u(-0.1f, 0.1f);
  auto fill = [&](size_t n, float scale) {
    float *p = static_cast<float *>(std::aligned_alloc(64, (n * sizeof(float) + 63) / 64 * 64));
    for (size_t i = 0; i < n; i++) p[i] = u(gen) * scale;
    return std::unique_ptr<float, decltype(&std::free)>(p, &std::free);
  };
  auto w = fill(Hp * H * G, 1.0f), brh = fill(Hp, 1.0f), xpbuf = fill(nb * T * NG, 10.0f);
  auto h = fill(2 * nb * Hp, 0.0f), c = fill(nb * Hp, 0.0f);
  arnn_rnn_step_args a = {H, Hp, w.get(), nullptr, brh.get(), 1, ARNN_RACT_SIGMOID, nullptr, nullptr, nullptr, nullptr, 0, nullptr};
  // bf16: the same layer's W_hh rounded and packed as the bf16 kernels read
  // it (Hp * Kp * 2 * G elements), which they take instead of w
  const size_t Kp = (H + 1) / 2, n16 = Hp * Kp * 2 * G;
  std::unique_ptr<uint16_t, decltype(&std::free)> w16(nullptr, &std::free);
  if (bf16) {
    auto R = fill(H * G * H, 1.0f);
    w16.reset(static_cast<uint16_t *>(std::aligned_alloc(64, (n16 * sizeof(uint16_t) + 63) / 64 * 64)));
    arnn_rnn_pack_recurrent_bf16(R.get(), H, G, 0, G, w16.get());
    a.w = nullptr;
    a.w16 = w16.get();
  }
  const arnn_dispatch_table *dt = arnn_dispatch();
  const arnn_f32_lstm_step_fn lstm_step = bf16 ? dt->lstm_step_bf16.fn : dt->lstm_step.fn;
  const arnn_f32_gru_step_fn gru_step = bf16 ? dt->gru_step_bf16.fn : dt->gru_step.fn;
  const char *kernel = gru ? (bf16 ? dt->gru_step_bf16.name : dt->gru_step.name)
                           : (bf16 ? dt->lstm_step_bf16.name : dt->lstm_step.name);
  // One sequence, as the layer runs a direction alone: where W_hh stays in
  // L2, steps alternate two group-interleaved copies of it where the layer
  // makes them (AVX-512, float32); beyond, they alternate the block order.
  const size_t whh_bytes = bf16 ? n16 * sizeof(uint16_t) : Hp * H * G * sizeof(float);
  const bool in_l2 = whh_bytes <= ARNN_RNN_L2_RESIDENT_BYTES;
  const bool grouped = nb == 1 && in_l2 && !bf16 && dt->isa == ARNN_ISA_AVX512;
  auto w1a = fill(Hp * H * G, 0.0f), w1b = fill(Hp * H * G, 0.0f);
  arnn_rnn_pack_grouped(w.get(), H, Hp, G, w1a.get());
  arnn_rnn_pack_grouped(w.get(), H, Hp, G, w1b.get());
  arnn_rnn_step_args a1 = a;
  if (grouped) {
    a.w1 = w1a.get();
    a1.w1 = w1b.get();
  }
  a1.reverse = !in_l2;
  std::vector<const float *> xp(nb), hin(nb);
  std::vector<float *> hout(nb), cs(nb);
  for (size_t s = 0; s < nb; s++) cs[s] = c.get() + s * Hp;
  std::vector<double> times;
  times.reserve(static_cast<size_t>(state.max_iterations));
  size_t t = 0;
  for (auto _ : state) {
    for (size_t s = 0; s < nb; s++) {
      xp[s] = xpbuf.get() + (s * T + t % T) * NG;
      hin[s] = h.get() + ((t & 1) * nb + s) * Hp;
      hout[s] = h.get() + ((~t & 1) * nb + s) * Hp;
    }
    const auto t0 = std::chrono::steady_clock::now();
    const arnn_rnn_step_args *at = (t & 1) ? &a1 : &a;
    if (gru)
      gru_step(at, nb, xp.data(), hin.data(), hout.data(), cs.data());
    else
      lstm_step(at, nb, xp.data(), hin.data(), cs.data(), hout.data());
    times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    t++;
  }
  const double step = p25(times);
  state.counters["p25_us"] = step * 1e6;
  const double flop = 2.0 * nb * H * G * H;
  state.counters["GFLOP/s"] = flop / step * 1e-9;
  if (nb == 1) {
    // the bound: one read pass over the same packed W_hh (its bytes as
    // floats, a multiple of 128 for these workloads), warm in the same cache
    // level; over the two copies in turn where the steps alternate them
    const size_t floats = whh_bytes / sizeof(float);
    const double bound = floats % 128 != 0 ? 0.0
                         : grouped         ? read_pass_seconds(w1a.get(), w1b.get(), floats)
                         : bf16            ? read_pass_seconds(reinterpret_cast<const float *>(w16.get()), nullptr, floats)
                                           : read_pass_seconds(w.get(), nullptr, floats);
    if (bound > 0) {
      state.counters["bound_us"] = bound * 1e6;
      state.counters["bound_frac"] = bound / step;
    }
  } else {
    const double peak = fma_peak_p25_gflops();
    if (peak > 0) {
      state.counters["peak_GFLOP/s"] = peak;
      state.counters["peak_frac"] = flop / step * 1e-9 / peak;
    }
  }
  state.SetLabel(std::string(wl.name) + " " + kernel);
}

void StepArgs(benchmark::internal::Benchmark *b) {
  for (int bf16 = 0; bf16 < 2; bf16++)
    for (int cell = 0; cell < 2; cell++)
      for (int w = 0; w < 3; w++)
        for (int nb : {1, 32}) b->Args({cell, w, nb, bf16});
  b->ArgNames({"gru", "workload", "nb", "bf16"});
}
BENCHMARK(BM_rnn_step)->Apply(StepArgs)->Unit(benchmark::kMicrosecond)->MinTime(0.2);

// The memory pattern behind the batch-1 layouts (kernels/README.md): read
// passes (the widest read loop of machine-peaks) over W_hh-sized buffers of
// `kib` KiB, timed one by one (p25, as BM_rnn_step), either one buffer read
// pass after pass, as a step re-reads its direction's W_hh, or two buffers
// of that size in turn, as two directions' or two copies' steps alternate.
void BM_read_pattern(benchmark::State &state) {
  const size_t n = static_cast<size_t>(state.range(0)) * 256, buffers = static_cast<size_t>(state.range(1));
  int bits;
  const peaks::ReadSumFn read = peaks::widest_read_sum(&bits);
  std::unique_ptr<float, decltype(&std::free)> buf[2] = {
      {static_cast<float *>(std::aligned_alloc(64, n * sizeof(float))), &std::free},
      {static_cast<float *>(std::aligned_alloc(64, n * sizeof(float))), &std::free}};
  for (auto &b : buf)
    for (size_t i = 0; i < n; i++) b.get()[i] = 1.0f;
  std::vector<double> times;
  times.reserve(static_cast<size_t>(state.max_iterations));
  volatile float sink = 0;
  size_t pass = 0;
  for (auto _ : state) {
    const float *x = buf[buffers == 2 ? pass & 1 : 0].get();
    const auto t0 = Clock::now();
    sink = sink + read(x, n);
    times.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
    pass++;
  }
  state.counters["p25_us"] = p25(times) * 1e6;
  state.counters["p25_GB/s"] = n * sizeof(float) / p25(times) * 1e-9;
  state.SetLabel(bits == 512 ? "avx512" : bits == 256 ? "avx2" : "portable");
}
BENCHMARK(BM_read_pattern)
    ->ArgsProduct({{128, 256, 512}, {1, 2}})
    ->ArgNames({"kib", "buffers"})
    ->Unit(benchmark::kMicrosecond)
    ->MinTime(0.2);

}  // namespace

BENCHMARK_MAIN();
