#!/bin/sh
# Installs what arnn needs on Debian 12 (as root, or through sudo).
#   install-deps.sh test    compiler, cmake (tests, sanitizers)
#   install-deps.sh bench   the above + Google Benchmark and the peer libraries
#   install-deps.sh fuzz    compiler, cmake, numpy/h5py + clang-14 with its sanitizer and
#                           libFuzzer runtimes (ARNN_BUILD_FUZZ, ARNN_SANITIZE_THREAD)
set -eu
what=${1:-test}
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
# libutf8proc-dev: the Keras tokenizer's Unicode case mapping (Python's str.lower())
pkgs="build-essential cmake pkg-config libhwloc-dev libutf8proc-dev"
# The AArch64 cross toolchain and qemu-user: the test command also builds for
# AArch64 and runs the suite under emulation (NEON kernels).
if [ "$what" = test ]; then
  pkgs="$pkgs gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user"
fi
# The Keras reference suite (tests/keras) runs TensorFlow.js under node; npm
# installs it into the build tree from the committed lock file. A node that
# already brings its own npm (e.g. NodeSource's nodejs, which conflicts with
# Debian's npm package) is used as it is.
if [ "$what" = test ] && ! { command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; }; then
  pkgs="$pkgs nodejs npm"
fi
if [ "$what" = bench ]; then
  pkgs="$pkgs g++ libbenchmark-dev libsleef-dev libeigen3-dev libxnnpack-dev"
fi
# ---- model files: converter tests need numpy + h5py; `fuzz` adds clang ----
if [ "$what" = test ] || [ "$what" = bench ] || [ "$what" = fuzz ]; then
  pkgs="$pkgs python3-numpy python3-h5py"
fi
# The Python package's tests (pytest) and its Dask path (python/arnn/dask.py).
if [ "$what" = test ]; then
  pkgs="$pkgs python3-pytest python3-dask python3-distributed python3-pandas"
fi
# The runtimes (libclang_rt.fuzzer, .asan, .tsan) are only a recommendation of
# clang-14, which --no-install-recommends drops; llvm-14 has llvm-symbolizer,
# which turns a finding's stack into file:line.
if [ "$what" = fuzz ]; then
  pkgs="$pkgs clang-14 libclang-rt-14-dev llvm-14"
fi
# ---- end model files ----
# ---- recurrent-layer peers (rnn-peers-bench, bench/peer-torch-rnn.py) ----
if [ "$what" = bench ]; then
  pkgs="$pkgs libdnnl-dev python3-torch"
fi
# bench/report.py draws the report's plots with matplotlib.
if [ "$what" = bench ]; then
  pkgs="$pkgs python3-matplotlib"
fi
# Skip apt entirely when everything is already there (CI re-runs, offline use).
missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
fi
