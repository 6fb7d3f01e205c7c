// Peer implementations the benchmark compares arnn against. Every function has
// the arnn kernel signature y[i] = f(x[i]), i < n. Each peer lives in its own
// translation unit, compiled with the flags that peer needs (see
// CMakeLists.txt); the ones compiled for AVX2 or AVX-512 must only be called
// after the runtime CPU check in vmath-bench.cc. Declarations are guarded by
// the ARNN_BENCH_HAVE_* definitions CMake sets when the peer was found.
#ifndef ARNN_BENCH_PEERS_H
#define ARNN_BENCH_PEERS_H

#include <stddef.h>

namespace peer {

// libm scalar calls in a plain loop, compiled -O2 without vectorization
// (always available).
void libm_tanh(const float *x, float *y, size_t n);
void libm_exp(const float *x, float *y, size_t n);
void libm_sigmoid(const float *x, float *y, size_t n);

// glibc libmvec, 16 lanes (AVX-512 variants _ZGVeN16v_*), scalar tail.
#if defined(ARNN_BENCH_HAVE_MVEC_AVX512_TANHF)
void mvec512_tanh(const float *x, float *y, size_t n);
#endif
#if defined(ARNN_BENCH_HAVE_MVEC_AVX512_EXPF)
void mvec512_exp(const float *x, float *y, size_t n);
void mvec512_sigmoid(const float *x, float *y, size_t n);
#endif
// glibc libmvec, 8 lanes (AVX2 variants _ZGVdN8v_*), scalar tail.
#if defined(ARNN_BENCH_HAVE_MVEC_AVX2_TANHF)
void mvec256_tanh(const float *x, float *y, size_t n);
#endif
#if defined(ARNN_BENCH_HAVE_MVEC_AVX2_EXPF)
void mvec256_exp(const float *x, float *y, size_t n);
void mvec256_sigmoid(const float *x, float *y, size_t n);
#endif

// SLEEF, 16 lanes, AVX-512F.
#if defined(ARNN_BENCH_HAVE_SLEEF)
void sleef_tanh_u10(const float *x, float *y, size_t n);
void sleef_tanh_u35(const float *x, float *y, size_t n);
void sleef_exp_u10(const float *x, float *y, size_t n);
void sleef_sigmoid_u10(const float *x, float *y, size_t n);
#endif

// Eigen array expressions, compiled for AVX-512F/DQ + FMA.
#if defined(ARNN_BENCH_HAVE_EIGEN)
void eigen_tanh(const float *x, float *y, size_t n);
void eigen_exp(const float *x, float *y, size_t n);
#if defined(ARNN_BENCH_HAVE_EIGEN_LOGISTIC)
void eigen_sigmoid(const float *x, float *y, size_t n);
#endif
#endif

// y = 1/x and nothing else, 16 lanes: the true-division throughput limit.
#if defined(ARNN_BENCH_HAVE_DIV_BOUND)
void bound_div_avx512(const float *x, float *y, size_t n);
#endif

// XNNPACK sigmoid operator (f32, channels = 1). The operator is created and
// set up outside the timed loop; only xnnpack_sigmoid_run is timed.
#if defined(ARNN_BENCH_HAVE_XNNPACK)
struct XnnSigmoid;
// NULL with a message in *error when XNNPACK cannot initialize or create it.
XnnSigmoid *xnnpack_sigmoid_create(const char **error);
bool xnnpack_sigmoid_setup(XnnSigmoid *op, const float *x, float *y, size_t n);
bool xnnpack_sigmoid_run(XnnSigmoid *op);
void xnnpack_sigmoid_destroy(XnnSigmoid *op);
#endif

}  // namespace peer

#endif
