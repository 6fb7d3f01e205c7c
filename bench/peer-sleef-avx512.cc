// SLEEF 16-lane single-precision functions. Compiled with -mavx512f: call only
// after the runtime AVX-512F check. Only C headers here.
#include <immintrin.h>
#include <math.h>
#include <sleef.h>

#include "peers.h"

// Older or differently built SLEEF packages only export the ISA-suffixed
// names; CMake tells which spelling links.
#if defined(ARNN_BENCH_SLEEF_AVX512F_SUFFIX)
#define ARNN_SLEEF(name) name##avx512f
#else
#define ARNN_SLEEF(name) name
#endif

namespace peer {

void sleef_tanh_u10(const float *x, float *y, size_t n) {
  size_t i = 0;
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, ARNN_SLEEF(Sleef_tanhf16_u10)(_mm512_loadu_ps(x + i)));
  for (; i < n; ++i) y[i] = tanhf(x[i]);
}

void sleef_tanh_u35(const float *x, float *y, size_t n) {
  size_t i = 0;
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, ARNN_SLEEF(Sleef_tanhf16_u35)(_mm512_loadu_ps(x + i)));
  for (; i < n; ++i) y[i] = tanhf(x[i]);
}

void sleef_exp_u10(const float *x, float *y, size_t n) {
  size_t i = 0;
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, ARNN_SLEEF(Sleef_expf16_u10)(_mm512_loadu_ps(x + i)));
  for (; i < n; ++i) y[i] = expf(x[i]);
}

void sleef_sigmoid_u10(const float *x, float *y, size_t n) {
  const __m512 one = _mm512_set1_ps(1.0f);
  const __m512 zero = _mm512_setzero_ps();
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512 e = ARNN_SLEEF(Sleef_expf16_u10)(_mm512_sub_ps(zero, _mm512_loadu_ps(x + i)));
    _mm512_storeu_ps(y + i, _mm512_div_ps(one, _mm512_add_ps(one, e)));
  }
  for (; i < n; ++i) y[i] = 1.0f / (1.0f + expf(-x[i]));
}

}  // namespace peer
