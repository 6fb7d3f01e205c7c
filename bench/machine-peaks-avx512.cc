// machine-peaks, AVX-512F inner loops (compiled -mavx512f). FMA: 24
// independent accumulators (of 32 zmm registers). Read: 8 accumulators, one
// 64-byte load each per step.
#include <immintrin.h>

#include "machine-peaks-kernels.h"

namespace peaks {

// Horizontal sum through memory (gcc 12's _mm512_reduce_add_ps trips
// -Wuninitialized on its own _mm512_undefined_ps); not on any timed path.
static float hsum(__m512 v) {
  float out[16];
  _mm512_storeu_ps(out, v);
  float s = 0.0f;
  for (int j = 0; j < 16; j++) s += out[j];
  return s;
}

float fma_chains_avx512(long iters, float a, float b) {
  const __m512 va = _mm512_set1_ps(a), vb = _mm512_set1_ps(b);
  __m512 c[kAvx512FmaAccumulators];
  #pragma GCC unroll 32
  for (int j = 0; j < kAvx512FmaAccumulators; j++) c[j] = _mm512_set1_ps(1.0f + 0.01f * (float)j);
  for (long i = 0; i < iters; i++) {
    #pragma GCC unroll 32
    for (int j = 0; j < kAvx512FmaAccumulators; j++) c[j] = _mm512_fmadd_ps(c[j], va, vb);
  }
  __m512 s = c[0];
  for (int j = 1; j < kAvx512FmaAccumulators; j++) s = _mm512_add_ps(s, c[j]);
  return hsum(s);
}

float read_sum_avx512(const float *x, size_t n) {
  __m512 s0 = _mm512_setzero_ps(), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
  for (size_t i = 0; i < n; i += 128) {
    s0 = _mm512_add_ps(s0, _mm512_load_ps(x + i + 0));
    s1 = _mm512_add_ps(s1, _mm512_load_ps(x + i + 16));
    s2 = _mm512_add_ps(s2, _mm512_load_ps(x + i + 32));
    s3 = _mm512_add_ps(s3, _mm512_load_ps(x + i + 48));
    s4 = _mm512_add_ps(s4, _mm512_load_ps(x + i + 64));
    s5 = _mm512_add_ps(s5, _mm512_load_ps(x + i + 80));
    s6 = _mm512_add_ps(s6, _mm512_load_ps(x + i + 96));
    s7 = _mm512_add_ps(s7, _mm512_load_ps(x + i + 112));
  }
  __m512 s = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3)),
                           _mm512_add_ps(_mm512_add_ps(s4, s5), _mm512_add_ps(s6, s7)));
  return hsum(s);
}

}  // namespace peaks
