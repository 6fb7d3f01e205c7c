#!/bin/sh
# Main job: install dependencies, build (Release), then
#  1. a real prediction with the shipped example model (examples/imdb-mini.*),
#  2. the benchmark of the default workloads (bench/README.md: imdb and elmo,
#     batch 1 and 32, 1 and 2 threads): arnn's recurrent layer with the FMA
#     peak and L2 bandwidth measured in the same binary, oneDNN's LSTM on the
#     same shapes, whole-model predictions/s next to PyTorch on the same
#     weights, and tanh/exp/sigmoid against glibc, libmvec, SLEEF, Eigen and
#     XNNPACK; fused attention pooling against the L1/L2 read bandwidth;
#     self-attention layers (Keras Attention, AdditiveAttention,
#     MultiHeadAttention over [400,256]) next to PyTorch on the same weights;
#  3. the report: every benchmark above also writes its JSON into
#     build-release/results/, and bench/report.py turns them into
#     bench/report/index.md with plots (bench/README.md, "Report").
# A peer that is not installed is skipped. About 12 minutes (more on a busy machine).
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh bench
cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release -DARNN_BUILD_TESTS=OFF -DARNN_BUILD_BENCH=ON
cmake --build build-release -j"$(nproc)"

echo "=== 1. prediction with the example model ==="
build-release/arnn info examples/imdb-mini.safetensors
echo "--- arnn predict examples/imdb-mini.safetensors --ids examples/imdb-mini.ids --json"
build-release/arnn predict examples/imdb-mini.safetensors --ids examples/imdb-mini.ids --json
echo "--- reference probabilities (float64 Keras semantics, examples/imdb-mini.expected):"
tr '\n' ' ' < examples/imdb-mini.expected; echo

# Each benchmark's JSON (and the CPU it ran on) for the report.
results=build-release/results
rm -rf "$results"
mkdir -p "$results"
cat /proc/cpuinfo > "$results/cpuinfo.txt" 2>/dev/null || true
out() { echo "--benchmark_out=$results/$1.json --benchmark_out_format=json"; }
# shown PATTERN CMD...: runs CMD and prints its output from the first line
# matching PATTERN on. CMD's own exit status decides (piped into sed, a
# failing benchmark would pass unnoticed: sh has no pipefail); on failure the
# whole output is printed and the job stops.
shown() {
  pattern=$1
  shift
  log=$(mktemp)
  if "$@" > "$log"; then
    sed -n "/$pattern/,\$p" "$log"
    rm -f "$log"
  else
    status=$?
    cat "$log"
    rm -f "$log"
    echo "run.sh: failed with status $status: $*" >&2
    exit "$status"
  fi
}

echo "=== 2a. recurrent layer, default workloads (arnn) ==="
reps="--benchmark_repetitions=3 --benchmark_report_aggregates_only=true"
taskset -c 1 build-release/bench/rnn-bench --benchmark_filter='workload:[01]/.*threads:1' $reps $(out rnn-bench-t1)
build-release/bench/rnn-bench --benchmark_filter='workload:[01]/.*threads:2' $reps $(out rnn-bench-t2)
if [ -x build-release/bench/rnn-peers-bench ]; then
  echo "=== 2b. recurrent layer, default workloads (arnn next to oneDNN, then PyTorch) ==="
  build-release/bench/rnn-peers-bench --benchmark_filter='rnn/(imdb|elmo)/.*/lstm/' $reps $(out rnn-peers-bench) || true
fi
/usr/bin/python3 bench/peer-torch-rnn.py --workloads imdb,elmo --cells lstm --reps 3 --json "$results/torch-rnn.json" || true
echo "=== 2c. whole model: predictions per second, arnn vs PyTorch (same weights) ==="
/usr/bin/python3 bench/model-bench.py --lib build-release/libarnn.so --reps 3 --json "$results/model-bench.json" || true
echo "=== 2d. tanh / exp / sigmoid (n = 4096) ==="
shown '^Summary' taskset -c 1 build-release/bench/vmath-bench --benchmark_filter='/4096$' --benchmark_repetitions=3 $(out vmath-bench)
echo "=== 2e. attention pooling, fused vs unfused (GB/s against the L1/L2 read bandwidth) ==="
shown '^Summary' taskset -c 1 build-release/bench/attention-bench --benchmark_filter='^(read|attention)/' \
  --benchmark_repetitions=3 $(out attention-bench)
echo "=== 2f. self-attention over [400,256]: Attention, AdditiveAttention, MultiHeadAttention, arnn vs PyTorch ==="
# arnn: 1 thread pinned (CPU time), 2 threads on the two CPUs (fork-join:
# the larger thread CPU time; pool:2, the graph's own pool: wall time);
# PyTorch (same weights) at batch 1 on 1 thread, compared from the JSON files.
att="--benchmark_repetitions=3 --benchmark_min_time=0.1 --benchmark_out_format=json"
shown '^Self-attention' taskset -c 1 build-release/bench/attention-bench \
  --benchmark_filter='selfatt/(fma|.*threads:1)' $att --benchmark_out=$results/selfatt-1.json
shown '^Self-attention' build-release/bench/attention-bench \
  --benchmark_filter='selfatt/(fma|.*threads:2|.*pool:2)' $att --benchmark_out=$results/selfatt-2.json
taskset -c 1 /usr/bin/python3 bench/peer-torch-attention.py --batches 1 --threads 1 --reps 3 --min-time 0.1 \
  --arnn-json $results/selfatt-1.json || true

echo "=== 3. report ==="
/usr/bin/python3 bench/report.py --results "$results" --out bench/report
