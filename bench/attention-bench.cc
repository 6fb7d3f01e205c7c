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
// And selfatt/...: Keras Attention, AdditiveAttention and MultiHeadAttention
// as self-attention over [400, 256] through arnn_model_run, at batch 1 and 32
// on 1 and 2 threads, in GFLOP/s and as a fraction of the FMA peak measured in
// the same run (PyTorch peer: bench/peer-torch-attention.py).
// See bench/README.md.
#include <benchmark/benchmark.h>

#include <pthread.h>
#include <sched.h>
#include <time.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bench-args.h"
#include "bench-kernels.h"
#include "bench-pin.h"
#include "arnn/arnn.h"
extern "C" {
#include "dispatch/dispatch.h"
}
#include "attention-unfused.h"
#include "machine-peaks-kernels.h"
#include "machine-peaks.h"

namespace {

using PoolKernel = ArnnBenchKernel<arnn_f32_attention_pool_fn>;
#define ARNN_KERNEL ARNN_BENCH_KERNEL
const PoolKernel kPoolKernels[] = {
#include "kernels/attention/f32-attention-pool.inc"
};
#undef ARNN_KERNEL

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

// The same, with the last step as the Keras attention layer writes it (
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
using ReadFn = peaks::ReadSumFn;

ReadFn pick_read(std::string *name) {
  int bits;
  const ReadFn read = peaks::widest_read_sum(&bits);
  *name = bits == 512 ? "avx512" : bits == 256 ? "avx2" : "portable";
  return read;
}

void bench_read(benchmark::State &st, size_t bytes, ReadFn read) {
  const size_t n = bytes / sizeof(float);
  float *x = alloc_floats(n);
  for (size_t i = 0; i < n; i++) x[i] = 1.0f / (float)(i % 97 + 1);
  for (auto _ : st) benchmark::DoNotOptimize(read(x, n));
  st.counters["GB/s"] = benchmark::Counter((double)bytes * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  std::free(x);
}

// ---- self-attention layers over BiLSTM outputs ------------------------------
// Keras Attention (dot, use_scale), AdditiveAttention (use_scale) and
// MultiHeadAttention (4 heads, key_dim 64, use_bias, output 256) as
// self-attention over x [T=400, F=256], timed as the graph runs them: each
// layer is a tiny version-2 model file (input float32 [400,256] -> layer([x, x]))
// built here, loaded with arnn_model_load_memory and run with arnn_model_run.
// Weights and x come from a counter-based generator that
// bench/peer-torch-attention.py reproduces bit for bit, so the PyTorch peer
// runs on the same numbers.
constexpr size_t kSaT = 400, kSaF = 256, kSaHeads = 4, kSaKeyDim = 64;
const char *const kSaLayers[] = {"dot", "additive", "mha"};

// splitmix64 of (stream, index) -> uniform in [-1, 1) with 24 random bits:
// every step is exact in float, so numpy gets the same floats.
float sa_uniform(uint64_t stream, uint64_t i) {
  uint64_t z = ((stream << 32) | i) * 0x9E3779B97F4A7C15ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  z ^= z >> 31;
  return (float)(z >> 40) * (1.0f / 8388608.0f) - 1.0f;
}

std::vector<float> sa_fill(uint64_t stream, size_t n, float scale) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; i++) v[i] = sa_uniform(stream, i) * scale;
  return v;
}

struct SaTensor {
  std::string name;
  std::vector<size_t> shape;
  std::vector<float> data;
};

// A version-2 model file image (docs/model-graph.md): safetensors header with
// the graph JSON in __metadata__, then the tensors.
std::vector<unsigned char> sa_model_file(const std::string &graph, const std::vector<SaTensor> &ts) {
  std::string h = "{\"__metadata__\":{\"format\":\"arnn\",\"format_version\":\"2\",\"graph\":\"";
  for (char ch : graph) {
    if (ch == '"' || ch == '\\') h += '\\';
    h += ch;
  }
  h += "\"}";
  size_t off = 0;
  for (const SaTensor &t : ts) {
    h += ",\"" + t.name + "\":{\"dtype\":\"F32\",\"shape\":[";
    for (size_t d = 0; d < t.shape.size(); d++) h += (d ? "," : "") + std::to_string(t.shape[d]);
    h += "],\"data_offsets\":[" + std::to_string(off) + "," + std::to_string(off + 4 * t.data.size()) + "]}";
    off += 4 * t.data.size();
  }
  h += "}";
  std::vector<unsigned char> f(8 + h.size() + off);
  for (int i = 0; i < 8; i++) f[i] = (unsigned char)((uint64_t)h.size() >> (8 * i));
  std::memcpy(f.data() + 8, h.data(), h.size());
  size_t p = 8 + h.size();
  for (const SaTensor &t : ts) {
    std::memcpy(f.data() + p, t.data.data(), 4 * t.data.size());
    p += 4 * t.data.size();
  }
  return f;
}

// The MHA weights in Keras' shapes; `heads` selects a subset of the heads
// (the 2-thread batch-1 run gives each thread half of them; the output bias
// goes to the first part only, so the parts' outputs sum to the layer's).
std::vector<SaTensor> sa_mha_weights(size_t h0, size_t nh, bool with_out_bias) {
  const size_t F = kSaF, H = kSaHeads, dk = kSaKeyDim;
  const float g = (float)std::sqrt(6.0 / (double)(F + H * dk));  // glorot_uniform, fan F + h*dk
  const float bs = 0.05f;
  std::vector<SaTensor> ts;
  const char *const part[3] = {"query", "key", "value"};
  for (int p = 0; p < 3; p++) {
    const std::vector<float> k = sa_fill(10 + p, F * H * dk, g), b = sa_fill(14 + p, H * dk, bs);
    SaTensor kt{std::string("att/") + part[p] + "/kernel", {F, nh, dk}, {}}, bt{std::string("att/") + part[p] + "/bias", {nh, dk}, {}};
    for (size_t f = 0; f < F; f++)
      for (size_t hd = h0; hd < h0 + nh; hd++)
        for (size_t e = 0; e < dk; e++) kt.data.push_back(k[(f * H + hd) * dk + e]);
    for (size_t hd = h0; hd < h0 + nh; hd++)
      for (size_t e = 0; e < dk; e++) bt.data.push_back(b[hd * dk + e]);
    ts.push_back(kt), ts.push_back(bt);
  }
  const std::vector<float> o = sa_fill(13, H * dk * F, g), ob = sa_fill(17, F, bs);
  SaTensor ot{"att/output/kernel", {nh, dk, F}, std::vector<float>(o.begin() + h0 * dk * F, o.begin() + (h0 + nh) * dk * F)};
  SaTensor obt{"att/output/bias", {F}, with_out_bias ? ob : std::vector<float>(F, 0.0f)};
  ts.push_back(ot), ts.push_back(obt);
  return ts;
}

std::string sa_graph(const std::string &layer_json) {
  return "{\"inputs\":[{\"name\":\"x\",\"dtype\":\"float32\",\"shape\":[" + std::to_string(kSaT) + "," +
         std::to_string(kSaF) + "]}],\"layers\":[" + layer_json + "],\"outputs\":[\"att\"],\"max_steps\":" +
         std::to_string(kSaT) + "}";
}

// layer: dot | additive | mha | mha_part0 | mha_part1 | proj4 (the four
// [256 -> 256] dense projections of the MHA as a chain of dense layers: the
// same GEMM shapes and packed kernel, without the attention).
std::vector<unsigned char> sa_model(const std::string &layer) {
  std::vector<SaTensor> ts;
  std::string json;
  if (layer == "dot") {
    json = "{\"name\":\"att\",\"op\":\"dot_attention\",\"inputs\":[\"x\",\"x\"],\"score_mode\":\"dot\","
           "\"use_scale\":true,\"causal\":false,\"return_scores\":false}";
    ts.push_back({"att/scale", {1}, {0.0625f}});
  } else if (layer == "additive") {
    json = "{\"name\":\"att\",\"op\":\"additive_attention\",\"inputs\":[\"x\",\"x\"],\"use_scale\":true,"
           "\"causal\":false,\"return_scores\":false}";
    ts.push_back({"att/scale", {kSaF}, sa_fill(3, kSaF, 0.1f)});
  } else if (layer.rfind("mha", 0) == 0) {
    const bool part = layer != "mha";
    const size_t nh = part ? kSaHeads / 2 : kSaHeads, h0 = layer == "mha_part1" ? kSaHeads / 2 : 0;
    json = "{\"name\":\"att\",\"op\":\"mha\",\"inputs\":[\"x\",\"x\"],\"num_heads\":" + std::to_string(nh) +
           ",\"key_dim\":" + std::to_string(kSaKeyDim) + ",\"value_dim\":" + std::to_string(kSaKeyDim) +
           ",\"use_bias\":true,\"output_dim\":" + std::to_string(kSaF) +
           ",\"causal\":false,\"return_scores\":false,\"empty_rows\":\"uniform\"}";
    ts = sa_mha_weights(h0, nh, h0 == 0);
  } else if (layer == "proj4") {
    const float g = (float)std::sqrt(6.0 / 512.0);
    for (int i = 0; i < 4; i++) {
      const std::string name = i == 3 ? "att" : "p" + std::to_string(i), in = i == 0 ? "x" : "p" + std::to_string(i - 1);
      json += std::string(i ? "," : "") + "{\"name\":\"" + name + "\",\"op\":\"dense\",\"inputs\":[\"" + in +
              "\"],\"units\":256,\"activation\":{\"name\":\"linear\"},\"use_bias\":true}";
      ts.push_back({name + "/kernel", {kSaF, kSaF}, sa_fill(10 + i, kSaF * kSaF, g)});
      ts.push_back({name + "/bias", {kSaF}, sa_fill(14 + i, kSaF, 0.05f)});
    }
  }
  return sa_model_file(sa_graph(json), ts);
}

// FLOP per sequence (README): the two matrix products of the attention,
// 2 Tq Tv (D + Dv), plus for MHA the projections 2 T F (3 h dk) + 2 T h dv F.
double sa_flop(const std::string &layer) {
  const double T = kSaT, F = kSaF, hd = kSaHeads * kSaKeyDim;
  if (layer == "dot" || layer == "additive") return 2.0 * T * T * (F + F);
  if (layer == "mha") return 2.0 * T * T * (hd + hd) + 2.0 * T * F * 3.0 * hd + 2.0 * T * hd * F;
  if (layer == "proj4") return 2.0 * T * F * 3.0 * hd + 2.0 * T * hd * F;
  if (layer == "sdpa_heads") return 2.0 * T * T * (hd + hd);
  return 0.0;
}

struct SaModel {
  arnn_model *m = nullptr;
  std::string err;
  explicit SaModel(const std::string &layer) {
    const std::vector<unsigned char> f = sa_model(layer);
    char e[512] = "";
    if (arnn_model_load_memory(f.data(), f.size(), &m, e, sizeof e) != ARNN_OK) err = layer + ": " + e;
  }
  ~SaModel() { arnn_model_free(m); }
  SaModel(const SaModel &) = delete;
  SaModel &operator=(const SaModel &) = delete;
  arnn_status run(size_t B, const float *x, float *y) const {
    const void *in[1] = {x};
    float *out[1] = {y};
    return arnn_model_run(m, B, kSaT, in, nullptr, out);
  }
};

// The CPUs this process may run on, read before main() pins itself to the
// first: the 2-thread benchmarks put their second thread on the next one.
std::vector<int> g_allowed_cpus;

void sa_pause() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

// Fork-join over two threads: the benchmark thread and one worker pinned to
// another allowed CPU, both spinning between calls (a wake-up through the
// scheduler would cost more than the halves of a batch-1 layer differ).
class ForkJoin {
 public:
  explicit ForkJoin(int cpu) : worker_([this, cpu] { loop(cpu); }) {
    while (!ready_.load(std::memory_order_acquire)) sa_pause();
  }
  ~ForkJoin() {
    stop_.store(true, std::memory_order_relaxed);
    go_.fetch_add(1, std::memory_order_release);
    worker_.join();
  }
  ForkJoin(const ForkJoin &) = delete;
  ForkJoin &operator=(const ForkJoin &) = delete;
  const std::string &pin_error() const { return pin_error_; }
  // Runs theirs on the worker and mine here; returns when both are done.
  template <class Mine>
  void run(const std::function<void()> &theirs, Mine &&mine) {
    job_ = &theirs;
    const uint64_t g = go_.fetch_add(1, std::memory_order_acq_rel) + 1;
    mine();
    for (unsigned spins = 0; done_.load(std::memory_order_acquire) != g; spins++)
      if (spins & 4095) sa_pause(); else sched_yield();
  }

 private:
  void loop(int cpu) {
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    if (pthread_setaffinity_np(pthread_self(), sizeof one, &one) != 0) pin_error_ = "worker not pinned";
    set_ftz();
    ready_.store(true, std::memory_order_release);
    uint64_t seen = 0;
    for (;;) {
      uint64_t g;
      for (unsigned spins = 0; (g = go_.load(std::memory_order_acquire)) == seen; spins++)
        if (spins & 4095) sa_pause(); else sched_yield();
      seen = g;
      if (stop_.load(std::memory_order_relaxed)) return;
      (*job_)();
      done_.store(g, std::memory_order_release);
    }
  }

 public:
  // The graph runs with FTZ/DAZ on (arnn_model_run sets them); the direct
  // kernel calls of the batch-1 row split do the same.
  static unsigned set_ftz() {
#if defined(__x86_64__)
    const unsigned old = _mm_getcsr();
    _mm_setcsr(old | 0x8040u);
    return old;
#else
    return 0;
#endif
  }
  static void restore_ftz(unsigned old) {
#if defined(__x86_64__)
    _mm_setcsr(old);
#else
    (void)old;
#endif
  }

 private:
  std::atomic<uint64_t> go_{0}, done_{0};
  std::atomic<bool> stop_{false}, ready_{false};
  const std::function<void()> *job_ = nullptr;
  std::string pin_error_;
  std::thread worker_;
};

void sa_counters(benchmark::State &st, const std::string &layer, size_t B) {
  st.counters["GFLOP/s"] =
      benchmark::Counter(sa_flop(layer) * (double)B * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  if (layer == "additive")  // tanh evaluations: Tq Tv D per sequence
    st.counters["Gtanh/s"] = benchmark::Counter((double)kSaT * kSaT * kSaF * (double)B * 1e-9,
                                                benchmark::Counter::kIsIterationInvariantRate);
}

struct SaData {
  std::vector<float> x, y, y2;
  explicit SaData(size_t B) : x(sa_fill(1, B * kSaT * kSaF, 1.0f)), y(B * kSaT * kSaF), y2(B * kSaT * kSaF) {}
};

// One thread: arnn_model_run on the whole batch.
void bench_sa_1t(benchmark::State &st, std::string layer, size_t B) {
  SaModel m(layer);
  if (!m.m) return st.SkipWithError(m.err.c_str());
  SaData d(B);
  // Untimed first call: it maps the model's per-call block (65 MB for MHA at
  // batch 32), whose page faults would otherwise land in the first timed
  // iterations; later calls reuse that block (the steady state of a server).
  if (m.run(B, d.x.data(), d.y.data()) != ARNN_OK) return st.SkipWithError("arnn_model_run failed");
  for (auto _ : st) {
    if (m.run(B, d.x.data(), d.y.data()) != ARNN_OK) return st.SkipWithError("arnn_model_run failed");
    benchmark::DoNotOptimize(d.y.data());
    benchmark::ClobberMemory();
  }
  sa_counters(st, layer, B);
}

// The dispatched sdpa kernel called as run_dense_attention / run_mha call it
// (q = k = v = x, no mask), on query rows [r0, r1) of every sequence. For
// MHA: the per-head calls on pre-projected Q (already * 1/sqrt(dk)), K, V.
struct SdpaCall {
  std::string layer;
  const float *x;
  std::vector<float> w;  // additive scale
  float *y;
  void operator()(size_t B, size_t r0, size_t r1) const {
    const arnn_dispatch_table *dt = arnn_dispatch();
    const bool mha = layer == "sdpa_heads";
    const size_t D = mha ? kSaKeyDim : kSaF, ld = kSaF, heads = mha ? kSaHeads : 1;
    arnn_sdpa_args a{};
    a.Tq = r1 - r0, a.Tv = kSaT, a.D = D, a.Dv = D, a.ldq = ld, a.ldk = ld, a.ldv = ld, a.ldo = ld, a.ldp = kSaT;
    a.score_mode = layer == "additive" ? ARNN_SDPA_ADDITIVE : ARNN_SDPA_DOT;
    a.scale = layer == "dot" ? 0.0625f : 1.0f;
    a.w = layer == "additive" ? w.data() : nullptr;
    for (size_t b = 0; b < B; b++)
      for (size_t h = 0; h < heads; h++) {
        const float *xb = x + b * kSaT * kSaF + h * D;
        a.q = xb + r0 * ld, a.k = xb, a.v = xb;
        a.out = y + b * kSaT * kSaF + r0 * ld + h * D;
        dt->sdpa.fn(&a);
      }
  }
};

// The attention kernel alone, one thread (for the MHA: its four heads on
// [T, 256] buffers laid out as run_mha's Q, K, V), to split a layer's time
// into projections and attention.
void bench_sa_sdpa(benchmark::State &st, std::string layer, size_t B) {
  SaData d(B);
  SdpaCall call{layer, d.x.data(), sa_fill(3, kSaF, 0.1f), d.y.data()};
  const unsigned old = ForkJoin::set_ftz();
  call(B, 0, kSaT);  // untimed warm-up, as in bench_sa_1t
  for (auto _ : st) {
    call(B, 0, kSaT);
    benchmark::DoNotOptimize(d.y.data());
    benchmark::ClobberMemory();
  }
  ForkJoin::restore_ftz(old);
  sa_counters(st, layer, B);
}

double thread_cpu_seconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

// Two threads. Batch > 1: each thread runs the model on half the batch (the
// model is thread-safe; each call has its own scratch). Batch 1: Attention
// and AdditiveAttention split the query rows (the layer's single sdpa call,
// made as the graph makes it, on rows [0, T/2) and [T/2, T)); MHA splits the
// heads (two 2-head models, the output bias in the first; the two outputs
// are added after the join by the benchmark thread).
// Time per iteration (manual): the larger of the two threads' CPU times for
// their halves (the add included): the fork-join's critical path without the
// time other processes take the CPUs away, the 2-thread analogue of the CPU
// time the 1-thread benchmarks report. The wall time per call is the counter
// wall_ms (on an idle machine the two agree up to the wake-up latency).
void bench_sa_2t(benchmark::State &st, std::string layer, size_t B) {
  if (g_allowed_cpus.size() < 2) return st.SkipWithError("needs 2 allowed CPUs (run without taskset -c N)");
  SaData d(B);
  ForkJoin fj(g_allowed_cpus[1]);
  if (!fj.pin_error().empty()) return st.SkipWithError(fj.pin_error().c_str());
  std::atomic<int> bad{0};
  std::function<void()> theirs_job, mine_job;
  std::unique_ptr<SaModel> m, m1;
  std::unique_ptr<SdpaCall> call;
  const size_t h = B / 2, per = kSaT * kSaF;
  if (B > 1) {
    m.reset(new SaModel(layer));
    if (!m->m) return st.SkipWithError(m->err.c_str());
    theirs_job = [&] { bad |= m->run(B - h, d.x.data() + h * per, d.y.data() + h * per) != ARNN_OK; };
    mine_job = [&] { bad |= m->run(h, d.x.data(), d.y.data()) != ARNN_OK; };
  } else if (layer == "mha") {
    m.reset(new SaModel("mha_part0")), m1.reset(new SaModel("mha_part1"));
    if (!m->m || !m1->m) return st.SkipWithError((m->err + m1->err).c_str());
    theirs_job = [&] { bad |= m1->run(1, d.x.data(), d.y2.data()) != ARNN_OK; };
    mine_job = [&] { bad |= m->run(1, d.x.data(), d.y.data()) != ARNN_OK; };
  } else {
    call.reset(new SdpaCall{layer, d.x.data(), sa_fill(3, kSaF, 0.1f), d.y.data()});
    theirs_job = [&] { (*call)(1, kSaT / 2, kSaT); };
    mine_job = [&] { (*call)(1, 0, kSaT / 2); };
  }
  const bool add_parts = B == 1 && layer == "mha";
  double t_theirs = 0.0;
  const std::function<void()> theirs = [&] {
    const double t0 = thread_cpu_seconds();
    theirs_job();
    t_theirs = thread_cpu_seconds() - t0;
  };
  const unsigned old = ForkJoin::set_ftz();
  fj.run(theirs, mine_job);  // untimed warm-up: the models' per-call blocks get mapped
  double wall = 0.0;
  for (auto _ : st) {
    const auto w0 = std::chrono::steady_clock::now();
    double t_mine = 0.0;
    fj.run(theirs, [&] {
      const double t0 = thread_cpu_seconds();
      mine_job();
      t_mine = thread_cpu_seconds() - t0;
    });
    if (add_parts) {
      const double t0 = thread_cpu_seconds();
      for (size_t i = 0; i < kSaT * kSaF; i++) d.y[i] += d.y2[i];
      t_mine += thread_cpu_seconds() - t0;
    }
    benchmark::ClobberMemory();
    wall += std::chrono::duration<double>(std::chrono::steady_clock::now() - w0).count();
    st.SetIterationTime(t_mine > t_theirs ? t_mine : t_theirs);
  }
  ForkJoin::restore_ftz(old);
  if (bad) return st.SkipWithError("arnn_model_run failed");
  sa_counters(st, layer, B);
  st.counters["wall_ms"] = benchmark::Counter(wall * 1e3 / (double)st.iterations());
}

// Two threads the library's way: arnn_model_run with a 2-thread pool
// (predict options). The graph spreads its attention calls over the pool, one
// item per (sequence, head); the projections run on the calling thread. So
// Attention / AdditiveAttention at batch 1 (one item) stay on one thread.
// Timed by wall clock and by the process's CPU time (both threads, any
// spinning included); the summary shows the CPU time per thread.
void bench_sa_pool(benchmark::State &st, std::string layer, size_t B) {
  if (g_allowed_cpus.size() < 2) return st.SkipWithError("needs 2 allowed CPUs (run without taskset -c N)");
  SaModel m(layer);
  if (!m.m) return st.SkipWithError(m.err.c_str());
  arnn_threadpool *pool = nullptr;
  if (arnn_threadpool_create(2, &pool) != ARNN_OK) return st.SkipWithError("arnn_threadpool_create failed");
  SaData d(B);
  arnn_predict_options opt;
  arnn_predict_options_init(&opt);
  opt.pool = pool;
  const void *in[1] = {d.x.data()};
  float *out[1] = {d.y.data()};
  bool bad = arnn_model_run(m.m, B, kSaT, in, &opt, out) != ARNN_OK;  // untimed warm-up
  for (auto _ : st) {
    bad |= arnn_model_run(m.m, B, kSaT, in, &opt, out) != ARNN_OK;
    benchmark::ClobberMemory();
  }
  arnn_threadpool_destroy(pool);
  if (bad) return st.SkipWithError("arnn_model_run failed");
  sa_counters(st, layer, B);
}

std::string sa_name(const std::string &layer, size_t B, int threads) {
  return "selfatt/" + layer + "/B" + std::to_string(B) + "/threads:" + std::to_string(threads);
}

// Sum of |y| of each layer on the first sequence: the PyTorch peer prints the
// same figure for its output on the same weights (a check that both run the
// same layer).
std::string sa_fingerprints() {
  std::string s;
  SaData d(1);
  for (const char *layer : kSaLayers) {
    SaModel m(layer);
    double a = 0.0;
    if (m.m && m.run(1, d.x.data(), d.y.data()) == ARNN_OK)
      for (float v : d.y) a += std::fabs((double)v);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%s%s %.6e", s.empty() ? "" : ", ", layer, a);
    s += buf;
  }
  return s;
}

// The FMA peak timed exactly like the 1-thread self-attention benchmarks
// (CPU time, same repetitions, median): machine-peaks' FMA chains, widest
// vectors the CPU has. On a shared machine a wall-clock peak is disturbed by
// other processes in ways the CPU-timed benchmarks are not.
void bench_fma_peak(benchmark::State &st) {
  constexpr long kIters = 100000;
  double flop_per_iter;
  const peaks::FmaChainsFn chains = peaks::widest_fma_chains(&flop_per_iter);
  if (!chains) return st.SkipWithError("no FMA loop for this CPU");
  for (auto _ : st) benchmark::DoNotOptimize(chains(kIters, 0.999999f, 1e-6f));
  st.counters["GFLOP/s"] =
      benchmark::Counter(flop_per_iter * kIters * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

// The least disturbed repetition, next to the median (the machine is shared).
double sa_min(const std::vector<double> &v) { return v.empty() ? 0.0 : *std::min_element(v.begin(), v.end()); }

void sa_register() {
  benchmark::RegisterBenchmark("selfatt/fma_peak", bench_fma_peak)->Unit(benchmark::kMillisecond)->ComputeStatistics("min", sa_min);
  for (size_t B : kBatches)
    for (const char *l : kSaLayers) {
      const std::string layer = l;
      benchmark::RegisterBenchmark(sa_name(layer, B, 1).c_str(), [layer, B](benchmark::State &st) {
        bench_sa_1t(st, layer, B);
      })->Unit(benchmark::kMillisecond)->ComputeStatistics("min", sa_min);
      benchmark::RegisterBenchmark(sa_name(layer, B, 2).c_str(), [layer, B](benchmark::State &st) {
        bench_sa_2t(st, layer, B);
      })->UseManualTime()->Unit(benchmark::kMillisecond)->ComputeStatistics("min", sa_min);
      benchmark::RegisterBenchmark(("selfatt/" + layer + "/B" + std::to_string(B) + "/pool:2").c_str(),
                                   [layer, B](benchmark::State &st) { bench_sa_pool(st, layer, B); })
          ->UseRealTime()
          ->MeasureProcessCPUTime()
          ->Unit(benchmark::kMillisecond)
          ->ComputeStatistics("min", sa_min);
    }
  // Where the MHA's time goes (one thread): its four projections alone
  // (through the graph's dense layer) and its four heads of attention alone;
  // the dot layer's kernel called directly (the graph's overhead).
  for (size_t B : kBatches) {
    benchmark::RegisterBenchmark(sa_name("proj4", B, 1).c_str(), [B](benchmark::State &st) {
      bench_sa_1t(st, "proj4", B);
    })->Unit(benchmark::kMillisecond)->ComputeStatistics("min", sa_min);
    for (const char *l : {"sdpa_heads", "dot"})
      benchmark::RegisterBenchmark(("selfatt/kernel_only/" + std::string(l) + "/B" + std::to_string(B)).c_str(),
                                   [l, B](benchmark::State &st) { bench_sa_sdpa(st, l, B); })
          ->Unit(benchmark::kMillisecond)
          ->ComputeStatistics("min", sa_min);
  }
}

// Medians of GB/s per benchmark name, for the summary.
struct Capture {
  std::map<std::string, double> gbs;
  // self-attention: per name, "ms" (wall time) and the counters
  std::map<std::string, std::map<std::string, double>> sa;
  void take(const benchmark::BenchmarkReporter::Run &run) {
    if (run.error_occurred) return;
    if (run.run_type == benchmark::BenchmarkReporter::Run::RT_Aggregate && run.aggregate_name != "median") return;
    if (run.run_name.function_name.rfind("selfatt/", 0) == 0) {
      auto &e = sa[run.run_name.function_name];
      if (run.run_type != benchmark::BenchmarkReporter::Run::RT_Aggregate && !e.empty()) return;
      // threads:2 (manual time) and pool:2 (wall time) are reported as real
      // time; pool:2's process CPU time (both threads) goes to proc_cpu_ms
      const std::string &fn = run.run_name.function_name;
      const bool real = fn.find("threads:2") != std::string::npos || fn.find("pool:2") != std::string::npos;
      e["ms"] = real ? run.GetAdjustedRealTime() : run.GetAdjustedCPUTime();
      if (fn.find("pool:2") != std::string::npos) e["proc_cpu_ms"] = run.GetAdjustedCPUTime();
      for (const auto &c : run.counters) e[c.first] = c.second.value;
      return;
    }
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


// Self-attention table: median wall time, GFLOP/s and the fraction of the FMA
// peak of the threads used (per-core peak x threads).
void print_sa_summary(std::FILE *out, const Capture &cap, double best) {
  if (cap.sa.empty()) return;
  const auto pk = cap.sa.find("selfatt/fma_peak");
  const double probe = pk != cap.sa.end() && pk->second.count("GFLOP/s") ? pk->second.at("GFLOP/s") : 0.0;
  std::fprintf(out, "\nSelf-attention over x [%zu,%zu]: median ms per call (CPU time; threads:2: the larger of the "
               "two threads' CPU times, wall time in wall_ms; pool:2: wall time, the process CPU time of both "
               "threads in proc_cpu_ms)\n"
               "FMA peak per core: %.1f GFLOP/s (selfatt/fma_peak, timed like the benchmarks) -> %%peak; "
               "%.1f GFLOP/s (arnn_peaks_fma_gflops_best, wall clock, best of before/after) -> %%best. "
               "2 threads: 2 x the per-core peak.\n", kSaT, kSaF, probe, best);
  std::fprintf(out, "%-40s %10s %9s %7s %7s %9s %9s %11s\n", "benchmark", "ms/call", "GFLOP/s", "%peak", "%best",
               "wall_ms", "Gtanh/s", "proc_cpu_ms");
  for (const auto &kv : cap.sa) {
    if (kv.first == "selfatt/fma_peak") continue;
    const auto &e = kv.second;
    const auto g = e.find("GFLOP/s"), t = e.find("Gtanh/s"), ms = e.find("ms"), wall = e.find("wall_ms");
    const auto pcpu = e.find("proc_cpu_ms");
    const int threads = pcpu != e.end() || kv.first.find("threads:2") != std::string::npos ? 2 : 1;
    const double gf = g != e.end() ? g->second : 0.0;
    std::fprintf(out, "%-40s %10.3f %9.1f %6.1f%% %6.1f%% ", kv.first.c_str(), ms != e.end() ? ms->second : 0.0, gf,
                 probe > 0 ? 100.0 * gf / (probe * threads) : 0.0, best > 0 ? 100.0 * gf / (best * threads) : 0.0);
    if (wall != e.end()) std::fprintf(out, "%9.3f ", wall->second); else std::fprintf(out, "%9s ", "");
    if (t != e.end()) std::fprintf(out, "%9.2f", t->second); else std::fprintf(out, "%9s", "");
    if (pcpu != e.end()) std::fprintf(out, " %11.3f", pcpu->second);
    std::fprintf(out, "\n");
  }
  std::fflush(out);
}

}  // namespace

int main(int argc, char **argv) {
  {
    cpu_set_t allowed;
    CPU_ZERO(&allowed);
    if (sched_getaffinity(0, sizeof allowed, &allowed) == 0)
      for (int i = 0; i < CPU_SETSIZE; i++)
        if (CPU_ISSET(i, &allowed)) g_allowed_cpus.push_back(i);
  }
  const std::string pinned = arnn_bench_pin_to_first_allowed_cpu();
  std::vector<std::string> args;
  if (!arnn_bench_initialize(argc, argv, 5, "--benchmark_display_aggregates_only", "0.1", &args)) return 1;

  g_peaks = arnn_machine_peaks_get();
  arnn_machine_peaks_print(stderr, g_peaks, "machine-peaks: ");

  std::string ws_name;
  const UnfusedPasses *ws = pick_passes(&ws_name);
  std::vector<std::string> fused_impls;
  for (const PoolKernel &k : kPoolKernels)
    if (arnn_bench_isa_runnable(k.isa)) fused_impls.push_back(std::string("fused_") + k.isa);
  fused_impls.push_back("fused_public");

  std::string read_name;
  const ReadFn read = pick_read(&read_name);
  benchmark::RegisterBenchmark(kReadL1, [read](benchmark::State &st) { bench_read(st, ARNN_PEAKS_L1_BYTES, read); });
  benchmark::RegisterBenchmark(kReadL2, [read](benchmark::State &st) { bench_read(st, ARNN_PEAKS_L2_BYTES, read); });
  for (const Shape &s : kShapes)
    for (size_t B : kBatches) {
      const Shape *sp = &s;
      for (const PoolKernel &k : kPoolKernels) {
        if (!arnn_bench_isa_runnable(k.isa)) continue;
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

  sa_register();
  const double fma_before = arnn_peaks_fma_gflops_best(20);

  benchmark::AddCustomContext("arnn_isa", arnn_isa());
  benchmark::AddCustomContext("arnn sdpa", arnn_kernel_name("sdpa"));
  benchmark::AddCustomContext("selfatt sum|y| (first sequence)", sa_fingerprints());
  benchmark::AddCustomContext("selfatt second thread",
                              g_allowed_cpus.size() > 1 ? "cpu " + std::to_string(g_allowed_cpus[1]) : "none (1 CPU allowed)");
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
  if (!cap.sa.empty()) {
    const double fma_after = arnn_peaks_fma_gflops_best(20);
    print_sa_summary(summary_out, cap, fma_before > fma_after ? fma_before : fma_after);
  }
  benchmark::Shutdown();
  return 0;
}
