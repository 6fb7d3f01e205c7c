// glibc libmvec AVX2 variants, called directly. Compiled with -mavx2 -mfma:
// call only after the runtime AVX2+FMA check. Only C headers here.
#include <immintrin.h>
#include <math.h>

#include "peers.h"

extern "C" {
#if defined(ARNN_BENCH_HAVE_MVEC_AVX2_TANHF)
__m256 _ZGVdN8v_tanhf(__m256 x);
#endif
#if defined(ARNN_BENCH_HAVE_MVEC_AVX2_EXPF)
__m256 _ZGVdN8v_expf(__m256 x);
#endif
}

namespace peer {

#if defined(ARNN_BENCH_HAVE_MVEC_AVX2_TANHF)
void mvec256_tanh(const float *x, float *y, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _ZGVdN8v_tanhf(_mm256_loadu_ps(x + i)));
  for (; i < n; ++i) y[i] = tanhf(x[i]);
}
#endif

#if defined(ARNN_BENCH_HAVE_MVEC_AVX2_EXPF)
void mvec256_exp(const float *x, float *y, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _ZGVdN8v_expf(_mm256_loadu_ps(x + i)));
  for (; i < n; ++i) y[i] = expf(x[i]);
}

void mvec256_sigmoid(const float *x, float *y, size_t n) {
  const __m256 one = _mm256_set1_ps(1.0f);
  const __m256 zero = _mm256_setzero_ps();
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 e = _ZGVdN8v_expf(_mm256_sub_ps(zero, _mm256_loadu_ps(x + i)));
    _mm256_storeu_ps(y + i, _mm256_div_ps(one, _mm256_add_ps(one, e)));
  }
  for (; i < n; ++i) y[i] = 1.0f / (1.0f + expf(-x[i]));
}
#endif

}  // namespace peer
