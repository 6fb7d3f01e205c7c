// machine-peaks, AVX2 + FMA inner loops (compiled -mavx2 -mfma -mno-avx512f).
// FMA: 12 independent accumulators, each a dependency chain of vfmadd; with a
// 4-cycle latency and 2 FMA ports, 8 chains in flight keep both ports busy, 12
// leave margin. Read: 8 vaddps accumulators fed by 2 loads per cycle.
#include <immintrin.h>

#include "machine-peaks-kernels.h"

namespace peaks {

float fma_chains_avx2(long iters, float a, float b) {
  const __m256 va = _mm256_set1_ps(a), vb = _mm256_set1_ps(b);
  __m256 c[kAvx2FmaAccumulators];
  #pragma GCC unroll 32
  for (int j = 0; j < kAvx2FmaAccumulators; j++) c[j] = _mm256_set1_ps(1.0f + 0.01f * (float)j);
  for (long i = 0; i < iters; i++) {
    #pragma GCC unroll 32
    for (int j = 0; j < kAvx2FmaAccumulators; j++) c[j] = _mm256_fmadd_ps(c[j], va, vb);
  }
  __m256 s = c[0];
  for (int j = 1; j < kAvx2FmaAccumulators; j++) s = _mm256_add_ps(s, c[j]);
  float out[8];
  _mm256_storeu_ps(out, s);
  return out[0] + out[7];
}

float read_sum_avx2(const float *x, size_t n) {
  __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
  for (size_t i = 0; i < n; i += 128) {
    // 512 bytes per round: 16 loads of 32 bytes into 8 chains.
    s0 = _mm256_add_ps(s0, _mm256_load_ps(x + i + 0));
    s1 = _mm256_add_ps(s1, _mm256_load_ps(x + i + 8));
    s2 = _mm256_add_ps(s2, _mm256_load_ps(x + i + 16));
    s3 = _mm256_add_ps(s3, _mm256_load_ps(x + i + 24));
    s4 = _mm256_add_ps(s4, _mm256_load_ps(x + i + 32));
    s5 = _mm256_add_ps(s5, _mm256_load_ps(x + i + 40));
    s6 = _mm256_add_ps(s6, _mm256_load_ps(x + i + 48));
    s7 = _mm256_add_ps(s7, _mm256_load_ps(x + i + 56));
    s0 = _mm256_add_ps(s0, _mm256_load_ps(x + i + 64));
    s1 = _mm256_add_ps(s1, _mm256_load_ps(x + i + 72));
    s2 = _mm256_add_ps(s2, _mm256_load_ps(x + i + 80));
    s3 = _mm256_add_ps(s3, _mm256_load_ps(x + i + 88));
    s4 = _mm256_add_ps(s4, _mm256_load_ps(x + i + 96));
    s5 = _mm256_add_ps(s5, _mm256_load_ps(x + i + 104));
    s6 = _mm256_add_ps(s6, _mm256_load_ps(x + i + 112));
    s7 = _mm256_add_ps(s7, _mm256_load_ps(x + i + 120));
  }
  __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)),
                           _mm256_add_ps(_mm256_add_ps(s4, s5), _mm256_add_ps(s6, s7)));
  float out[8];
  _mm256_storeu_ps(out, s);
  return out[0] + out[1] + out[2] + out[3] + out[4] + out[5] + out[6] + out[7];
}

}  // namespace peaks
