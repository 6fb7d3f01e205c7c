// glibc libmvec AVX-512 variants, called directly. Compiled with -mavx512f:
// call only after the runtime AVX-512F check. Only C headers here, so no
// AVX-512 copy of a shared inline function can reach the rest of the binary.
#include <immintrin.h>
#include <math.h>

#include "peers.h"

extern "C" {
#if defined(ARNN_BENCH_HAVE_MVEC_AVX512_TANHF)
__m512 _ZGVeN16v_tanhf(__m512 x);
#endif
#if defined(ARNN_BENCH_HAVE_MVEC_AVX512_EXPF)
__m512 _ZGVeN16v_expf(__m512 x);
#endif
}

namespace peer {

#if defined(ARNN_BENCH_HAVE_MVEC_AVX512_TANHF)
void mvec512_tanh(const float *x, float *y, size_t n) {
  size_t i = 0;
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, _ZGVeN16v_tanhf(_mm512_loadu_ps(x + i)));
  for (; i < n; ++i) y[i] = tanhf(x[i]);
}
#endif

#if defined(ARNN_BENCH_HAVE_MVEC_AVX512_EXPF)
void mvec512_exp(const float *x, float *y, size_t n) {
  size_t i = 0;
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, _ZGVeN16v_expf(_mm512_loadu_ps(x + i)));
  for (; i < n; ++i) y[i] = expf(x[i]);
}

void mvec512_sigmoid(const float *x, float *y, size_t n) {
  const __m512 one = _mm512_set1_ps(1.0f);
  const __m512 zero = _mm512_setzero_ps();
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512 e = _ZGVeN16v_expf(_mm512_sub_ps(zero, _mm512_loadu_ps(x + i)));
    _mm512_storeu_ps(y + i, _mm512_div_ps(one, _mm512_add_ps(one, e)));
  }
  for (; i < n; ++i) y[i] = 1.0f / (1.0f + expf(-x[i]));
}
#endif

}  // namespace peer
