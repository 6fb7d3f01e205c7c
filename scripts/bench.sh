#!/bin/sh
# Main job: install dependencies, build (Release), run the math benchmark
# (arnn's tanh/exp/sigmoid on every ISA next to glibc, libmvec, SLEEF, Eigen
# and XNNPACK; median of 5 repetitions, thread pinned). Extra arguments go to
# the benchmark (e.g. --benchmark_filter=/4096).
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh bench
cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release -DARNN_BUILD_TESTS=OFF
cmake --build build-release -j"$(nproc)" --target vmath-bench
exec build-release/bench/vmath-bench "$@"
