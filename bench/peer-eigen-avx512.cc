// Eigen array expressions, compiled with -O3 -mavx512f -mavx512dq -mfma -mavx2
// (Eigen's fastest x86 configuration; it selects its AVX-512 packet math at
// compile time). Call only after the runtime AVX-512F/DQ check. Nothing in
// this file is used by the baseline code except the three functions below.
#include <Eigen/Core>

#include "peers.h"

namespace peer {

namespace {
using ConstArray = Eigen::Map<const Eigen::ArrayXf>;
using Array = Eigen::Map<Eigen::ArrayXf>;
}  // namespace

void eigen_tanh(const float *x, float *y, size_t n) {
  const Eigen::Index len = static_cast<Eigen::Index>(n);
  Array(y, len) = ConstArray(x, len).tanh();
}

void eigen_exp(const float *x, float *y, size_t n) {
  const Eigen::Index len = static_cast<Eigen::Index>(n);
  Array(y, len) = ConstArray(x, len).exp();
}

#if defined(ARNN_BENCH_HAVE_EIGEN_LOGISTIC)
void eigen_sigmoid(const float *x, float *y, size_t n) {
  const Eigen::Index len = static_cast<Eigen::Index>(n);
  Array(y, len) = ConstArray(x, len).logistic();
}
#endif

}  // namespace peer
