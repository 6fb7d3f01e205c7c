#!/bin/sh
# Installs what arnn needs on Debian 12 (as root, or through sudo).
#   install-deps.sh test    compiler, cmake (tests, sanitizers)
#   install-deps.sh bench   the above + Google Benchmark and the peer libraries
set -eu
what=${1:-test}
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
pkgs="build-essential cmake"
if [ "$what" = bench ]; then
  pkgs="$pkgs g++ libbenchmark-dev libsleef-dev libeigen3-dev libxnnpack-dev"
fi
# ---- recurrent-layer peers (rnn-peers-bench, bench/peer-torch-rnn.py) ----
if [ "$what" = bench ]; then
  pkgs="$pkgs libdnnl-dev python3-torch"
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
