#!/bin/sh
# Runs every libFuzzer target of a fuzz build for a bounded time, each from
# its seed corpus, and fails on any finding (crash, sanitizer report, leak,
# timeout, out-of-memory).
#
#   CC=clang-14 cmake -S . -B build-fuzz -DARNN_BUILD_FUZZ=ON -DARNN_BUILD_BENCH=OFF -DARNN_BUILD_TESTS=OFF
#   cmake --build build-fuzz --target fuzzers
#   scripts/fuzz.sh build-fuzz [SECONDS_PER_TARGET]      (default 45)
#
# The targets and their corpora come from BUILD/fuzzers.txt, written by
# CMake (arnn_add_fuzzer). New inputs go to BUILD/fuzz-run/NAME/corpus, never
# into the checked-in seed corpus; findings to BUILD/fuzz-run/NAME/artifacts/.
# To keep a new input as a seed: copy it into the target's corpus directory
# (after `NAME -merge=1 SEED_DIR NEW_DIR` if there are many).
set -eu
build=${1:?usage: fuzz.sh BUILD_DIR [SECONDS_PER_TARGET]}
seconds=${2:-45}
manifest="$build/fuzzers.txt"
[ -s "$manifest" ] || { echo "fuzz.sh: $manifest is missing or empty (configure with -DARNN_BUILD_FUZZ=ON)" >&2; exit 1; }
# halt_on_error: the first report ends the run with a non-zero status, so a
# finding cannot scroll by. -fno-sanitize-recover=all already makes UBSan do
# this; the options say so for a build made without it.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"
# Debian installs the symbolizer under a versioned name only.
if ! command -v llvm-symbolizer >/dev/null && [ -x /usr/lib/llvm-14/bin/llvm-symbolizer ]; then
  export ASAN_SYMBOLIZER_PATH=/usr/lib/llvm-14/bin/llvm-symbolizer
fi
failed=""
summary=""
while read -r name corpus dict; do
  [ -n "$name" ] || continue
  work="$build/fuzz-run/$name"
  rm -rf "$work"
  mkdir -p "$work/corpus" "$work/artifacts"
  set -- -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$work/artifacts/"
  [ -z "$dict" ] || set -- "$@" -dict="$dict"
  echo "=== $name: ${seconds} s from $corpus ==="
  status=0
  "$build/$name" "$@" "$work/corpus" "$corpus" </dev/null >"$work/log" 2>&1 || status=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -n 1)
  findings=$(find "$work/artifacts" -type f | head -n 5)
  if [ "$status" != 0 ] || [ -n "$findings" ]; then
    tail -n 60 "$work/log"
    echo "FAIL: $name exited with status $status; findings: ${findings:-none written}"
    failed="$failed $name"
  fi
  summary="$summary
  $name: ${execs:-?} executions in ${seconds} s, exit status $status"
done <"$manifest"
echo "=== fuzzing summary ===$summary"
if [ -n "$failed" ]; then
  echo "fuzz.sh: findings in:$failed (inputs under $build/fuzz-run/*/artifacts/)"
  exit 1
fi
