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
# Installed copy: `cmake --install`, then the example consumer built against
# it with find_package(arnn) and with pkg-config, and run on the shipped model.
echo "=== install + example consumer ==="
rm -rf build-test/install-root build-test/consumer
cmake --install build-test --prefix "$PWD/build-test/install-root"
cmake -S examples/consumer -B build-test/consumer -DCMAKE_PREFIX_PATH="$PWD/build-test/install-root"
cmake --build build-test/consumer
build-test/consumer/arnn-consumer examples/imdb-mini.safetensors 189 125 137 179 116 155 166 45 12 60 57 174
pc_flags=$(PKG_CONFIG_PATH="$PWD/build-test/install-root/lib/pkgconfig" pkg-config --cflags --libs arnn)
cc examples/consumer/consumer.c $pc_flags -Wl,-rpath,"$PWD/build-test/install-root/lib" -o build-test/consumer/arnn-consumer-pc
build-test/consumer/arnn-consumer-pc examples/imdb-mini.safetensors
# The converter script and the Python package as installed (the package in
# PREFIX/share/arnn/python finds PREFIX/lib/libarnn.so by itself).
root="$PWD/build-test/install-root"
"$root/bin/arnn-convert" -q examples/imdb-mini.h5 -o "$root/imdb-mini.safetensors" --labels positive --padding pre
(cd / && env -u ARNN_LIBRARY PYTHONPATH="$root/share/arnn/python" /usr/bin/python3 -c "
import arnn, sys
m = arnn.load('$root/imdb-mini.safetensors')
assert arnn.library_path().startswith('$root/'), arnn.library_path()
print('installed python package: arnn', arnn.version, arnn.isa(), m.predict([[189, 125, 137]]).ravel())")
# AArch64: cross-built with cmake/aarch64-linux-gnu.cmake, every test run under
# qemu-aarch64 (NEON and scalar kernels). Emulation is ~50x slower, so the
# dense accuracy sweep takes every 1024th bit pattern (2^22 inputs).
echo "=== AArch64 (cross build, ctest under qemu-aarch64) ==="
cmake -S . -B build-test-aarch64 -DCMAKE_BUILD_TYPE=Release -DARNN_BUILD_BENCH=OFF \
  -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake -DARNN_TEST_SWEEP_STRIDE=1024
cmake --build build-test-aarch64 -j"$(nproc)"
for cap in "" scalar; do
  echo "=== AArch64 ctest with ARNN_ISA=${cap:-<unset>} ==="
  ARNN_ISA=$cap ctest --test-dir build-test-aarch64 --output-on-failure -j2
done
