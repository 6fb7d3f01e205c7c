// sdpa-bench: the fused attention kernel (kernels/sdpa/) on the shapes of a
// Keras Attention / MultiHeadAttention head over BiRNN outputs (Tq = Tv = 40
// and 400, D = Dv = 64, 128, 256), dot and additive scores, with and without
// causal masking and the weights output, every ISA this CPU may run (by name,
// from the kernel list). Counters: GFLOP/s of the two matrix products
// (4 Tq Tv D for D = Dv; the additive mode counts the same, its cost is the
// Tq Tv D tanh evaluations).
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <vector>

#include "bench-pin.h"
#include "arnn/arnn.h"
extern "C" {
#include "dispatch/dispatch.h"
}

namespace {

struct SdpaKernel {
  const char *isa;
  arnn_f32_sdpa_fn fn;
};
#define ARNN_KERNEL(op, isa, arch) {#isa, arnn_f32_##op##__##isa},
const SdpaKernel kKernels[] = {
#include "kernels/sdpa/f32-sdpa.inc"
};
#undef ARNN_KERNEL

bool isa_runnable(const char *isa) {
  const int level = arnn_isa_level_from_name(isa);
  if (level < 0) return false;
  const arnn_isa_level l = static_cast<arnn_isa_level>(level);
  return arnn_isa_level_on_this_arch(l) && l <= arnn_dispatch()->isa;
}

float rnd(uint64_t *s) {
  *s ^= *s >> 12, *s ^= *s << 25, *s ^= *s >> 27;
  return static_cast<float>((*s * 2685821657736338717ull) >> 40) * 0x1p-24f * 2.0f - 1.0f;
}

void bm_sdpa(benchmark::State &state, arnn_f32_sdpa_fn fn, size_t T, size_t D, int mode, int causal, int probs) {
  uint64_t s = 42;
  std::vector<float> q(T * D), k(T * D), v(T * D), w(D), out(T * D), p(T * T);
  for (auto &x : q) x = rnd(&s);
  for (auto &x : k) x = rnd(&s);
  for (auto &x : v) x = rnd(&s);
  for (auto &x : w) x = 0.1f * rnd(&s);
  arnn_sdpa_args a = {T, T, D, D, q.data(), D, k.data(), D, v.data(), D, mode,
                      mode == ARNN_SDPA_DOT ? 0.125f : 1.0f, w.data(), nullptr, causal, out.data(), D,
                      probs ? p.data() : nullptr, T};
  for (auto _ : state) {
    fn(&a);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.counters["GFLOP/s"] =
      benchmark::Counter(4.0 * T * T * D * state.iterations() * 1e-9, benchmark::Counter::kIsRate);
}

}  // namespace

int main(int argc, char **argv) {
  const std::string pin = arnn_bench_pin_to_first_allowed_cpu();
  std::printf("sdpa-bench: %s, active ISA %s\n", pin.c_str(), arnn_isa());
  static const size_t Ts[] = {40, 400};
  static const size_t Ds[] = {64, 128, 256};
  for (const SdpaKernel &kk : kKernels) {
    if (!isa_runnable(kk.isa)) continue;
    for (size_t T : Ts)
      for (size_t D : Ds)
        for (int variant = 0; variant < 4; variant++) {
          const int mode = variant == 3 ? ARNN_SDPA_ADDITIVE : ARNN_SDPA_DOT;
          const int causal = variant == 1, probs = variant == 2;
          if (std::string(kk.isa) == "scalar" && T == 400 && D > 64) continue;
          char name[128];
          std::snprintf(name, sizeof name, "sdpa/%s/T=%zu/D=%zu/%s", kk.isa, T, D,
                        variant == 0 ? "dot" : variant == 1 ? "dot-causal" : variant == 2 ? "dot-probs" : "additive");
          benchmark::RegisterBenchmark(name, bm_sdpa, kk.fn, T, D, mode, causal, probs)->Unit(benchmark::kMicrosecond);
        }
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
