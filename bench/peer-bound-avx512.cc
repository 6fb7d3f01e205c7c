// The throughput limit of true division: y[i] = 1 / x[i] with nothing else,
// 16 lanes (vdivps zmm), unrolled like arnn's kernels. Every kernel that keeps
// arnn's same-bits rule (one correctly rounded division per element, as the
// scalar twin does) runs at most this fast; vmath-bench prints it under the
// summary so the tanh/sigmoid rates can be read against it.
#include <immintrin.h>

#include "peers.h"

namespace peer {

void bound_div_avx512(const float *x, float *y, size_t n) {
  const __m512 one = _mm512_set1_ps(1.0f);
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    const __m512 a = _mm512_loadu_ps(x + i), b = _mm512_loadu_ps(x + i + 16);
    _mm512_storeu_ps(y + i, _mm512_div_ps(one, a));
    _mm512_storeu_ps(y + i + 16, _mm512_div_ps(one, b));
  }
  for (; i < n; i++) y[i] = 1.0f / x[i];
}

}  // namespace peer
