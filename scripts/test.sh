#!/bin/sh
# Install dependencies, build, and run the whole ctest suite once per ISA cap:
# the CPU's best, ARNN_ISA=avx2, ARNN_ISA=scalar (a cap the CPU lacks is
# ignored, so this runs on any x86-64 machine).
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh test
cmake -S . -B build-test -DCMAKE_BUILD_TYPE=Release -DARNN_BUILD_BENCH=OFF
cmake --build build-test -j"$(nproc)"
for cap in "" avx2 scalar; do
  echo "=== ctest with ARNN_ISA=${cap:-<unset>} ==="
  ARNN_ISA=$cap ctest --test-dir build-test --output-on-failure -j2
done
