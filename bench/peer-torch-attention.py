#!/usr/bin/python3
"""PyTorch peer of attention-bench's self-attention benchmarks (bench/README.md).

Self-attention over x [B, T=400, F=256] at batch 1 and 32 on 1 and 2 threads,
on the same weights and the same x as attention-bench (the counter-based
generator below is attention-bench's sa_uniform, bit for bit):

- dot: Keras Attention(use_scale) as matmul-softmax-matmul,
  softmax(scale * q @ k^T) @ v with q = k = v = x.
- additive: Keras AdditiveAttention(use_scale) as users write it in PyTorch,
  sum_d scale_d * tanh(q[:, :, None] + k[:, None]) (the [Tq, Tv, D] tanh
  argument materialized, one sequence at a time so batch 32 fits in memory),
  softmax, @ v.
- mha: torch.nn.MultiheadAttention(256, 4, bias=True, batch_first=True),
  in_proj from the Keras query/key/value kernels [F, h, dk] (reshaped to
  [F, h*dk] and transposed), out_proj from output/kernel [h, dv, F], called
  as m(x, x, x, need_weights=False) under torch.inference_mode() (PyTorch's
  fused fast path for self-attention).

Each case: 2 untimed warm-up calls, then --reps blocks of enough calls to last
>= --min-time seconds; reported: median ms per call (wall time, and the
process CPU time per call divided by the threads, which other processes on a
shared machine disturb less), GFLOP/s counted as attention-bench counts them.

With --arnn-json FILE (attention-bench --benchmark_out=FILE
--benchmark_out_format=json from the same run) it also prints arnn's medians
next to PyTorch's and the speedup, torch's CPU time per thread over arnn's
(CPU time; threads:2 the larger of its two threads' CPU times): on a shared
machine wall times mostly measure the other processes.

The sum of |y| of each layer on the first sequence is printed: attention-bench
prints the same figure for arnn's output (context line "selfatt sum|y|").

Run pinned: taskset -c 1 (threads 1) and taskset -c 0,1 (threads 2).
Debian's python3-torch calls whatever libblas.so.3 is installed (netlib's
reference BLAS unless OpenBLAS is); the header line says which was loaded.
"""
import argparse
import json
import math
import os
import sys
import time

from torch_peer import blas_thread_setter, csv_list, loaded_blas, time_call

T, F, HEADS, KEY_DIM = 400, 256, 4, 64


def sa_uniform(np, stream, n):
    """attention-bench's sa_uniform(stream, 0..n-1): splitmix64, 24 bits, [-1, 1)."""
    with np.errstate(over="ignore"):
        z = (np.uint64(stream) << np.uint64(32)) | np.arange(n, dtype=np.uint64)
        z = z * np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z ^= z >> np.uint64(31)
    return (z >> np.uint64(40)).astype(np.float32) * np.float32(1.0 / 8388608.0) - np.float32(1.0)


def fill(np, stream, n, scale):
    return sa_uniform(np, stream, n) * np.float32(scale)


def flop(layer, B):
    hd = HEADS * KEY_DIM
    if layer in ("dot", "additive"):
        f = 2.0 * T * T * (F + F)
    else:
        f = 2.0 * T * T * (hd + hd) + 2.0 * T * F * 3.0 * hd + 2.0 * T * hd * F
    return f * B


def build(np, torch):
    """The layers as callables x[B,T,F] -> y[B,T,F], on attention-bench's weights."""
    dot_scale = 0.0625
    add_scale = torch.from_numpy(fill(np, 3, F, 0.1))

    def dot(x):
        s = torch.matmul(x, x.transpose(1, 2)).mul_(dot_scale)
        return torch.matmul(torch.softmax(s, dim=-1), x)

    def additive(x):
        out = []
        for q in x:  # one sequence at a time: the [T, T, F] argument is 164 MB
            s = torch.matmul(torch.tanh(q[:, None] + q[None]), add_scale)
            out.append(torch.matmul(torch.softmax(s, dim=-1), q))
        return torch.stack(out)

    hd = HEADS * KEY_DIM
    g = math.sqrt(6.0 / (F + hd))
    m = torch.nn.MultiheadAttention(F, HEADS, bias=True, batch_first=True).eval()
    kernels = [fill(np, 10 + p, F * hd, g).reshape(F, hd) for p in range(3)]  # Keras [F, h, dk] as [F, h*dk]
    biases = [fill(np, 14 + p, hd, 0.05) for p in range(3)]
    out_k = fill(np, 13, hd * F, g).reshape(hd, F)
    out_b = fill(np, 17, F, 0.05)
    with torch.no_grad():
        m.in_proj_weight.copy_(torch.from_numpy(np.concatenate([k.T for k in kernels], axis=0)))
        m.in_proj_bias.copy_(torch.from_numpy(np.concatenate(biases)))
        m.out_proj.weight.copy_(torch.from_numpy(np.ascontiguousarray(out_k.T)))
        m.out_proj.bias.copy_(torch.from_numpy(out_b))

    def mha(x):
        return m(x, x, x, need_weights=False)[0]

    return {"dot": dot, "additive": additive, "mha": mha}


def arnn_medians(path):
    """name -> (ms, GFLOP/s) of the median aggregates in a Google Benchmark JSON file."""
    with open(path) as f:
        doc = json.load(f)
    out = {}
    for b in doc.get("benchmarks", []):
        if b.get("aggregate_name") != "median" or not b.get("run_name", "").startswith("selfatt/"):
            continue
        name = b["run_name"]
        for suffix in ("/manual_time", "/real_time"):
            if name.endswith(suffix):
                name = name[: -len(suffix)]
        # threads:2 is timed manually (the larger of the threads' CPU times) and reported as real time
        t = b["real_time"] if "threads:2" in name else b["cpu_time"]
        out[name] = (t, b.get("GFLOP/s", 0.0))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--layers", type=csv_list, default=["dot", "additive", "mha"])
    ap.add_argument("--batches", type=csv_list, default=["1", "32"])
    ap.add_argument("--threads", type=csv_list, default=["1", "2"])
    ap.add_argument("--reps", type=int, default=5, help="timed blocks per case (median reported)")
    ap.add_argument("--min-time", type=float, default=0.2, help="seconds per timed block")
    ap.add_argument("--full-additive", action="store_true",
                    help="time additive at batch > 1 too (about 4 s per sequence; by default it is "
                         "printed as batch x the batch-1 time, marked est.)")
    ap.add_argument("--arnn-json", action="append", default=[],
                    help="attention-bench JSON output to compare with (may repeat)")
    args = ap.parse_args()

    try:
        import numpy as np
        import torch
    except ImportError as e:
        print("peer-torch-attention: needs numpy and torch under /usr/bin/python3 (%s)" % e, file=sys.stderr)
        return 77

    torch.set_num_interop_threads(1)
    blas_path = loaded_blas()
    set_blas_threads = blas_thread_setter(blas_path)
    print("# torch %s, loaded BLAS %s, affinity %s, %s" % (
        torch.__version__, blas_path, sorted(os.sched_getaffinity(0)), time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())))
    layers = build(np, torch)
    x_all = torch.from_numpy(fill(np, 1, 32 * T * F, 1.0).reshape(32, T, F))
    with torch.inference_mode():
        sums = ", ".join("%s %.6e" % (n, layers[n](x_all[:1]).abs().double().sum().item()) for n in ("dot", "additive", "mha"))
    print("# sum|y| (first sequence): %s" % sums)
    print("# median of %d blocks of >= %.2f s; ms = wall time per call, cpu/thr = process CPU time per call / threads (GFLOP/s from it)"
          % (args.reps, args.min_time))

    arnn = {}
    for p in args.arnn_json:
        arnn.update(arnn_medians(p))
    print("%-9s %5s %7s %10s %10s %9s | %14s %9s %14s" % ("layer", "batch", "threads", "torch ms", "cpu/thr ms",
                                                          "GFLOP/s", "arnn ms", "GFLOP/s", "arnn / torch"))
    affinity = sorted(os.sched_getaffinity(0))
    one_seq = {}
    for layer in args.layers:
        for B in map(int, args.batches):
            for nt in map(int, args.threads):
                if nt > len(affinity):
                    continue
                torch.set_num_threads(nt)
                if set_blas_threads is not None:
                    set_blas_threads(nt)
                x = x_all[:B].contiguous()
                est = layer == "additive" and B > 1 and not args.full_additive
                if est:  # the peer loops over the sequences: B x one sequence
                    if (nt, 1) not in one_seq:
                        with torch.inference_mode():
                            one_seq[(nt, 1)] = time_call(layers[layer], x_all[:1], args.reps, args.min_time)
                    wall, cpu = (B * t for t in one_seq[(nt, 1)])
                else:
                    with torch.inference_mode():
                        wall, cpu = time_call(layers[layer], x, args.reps, args.min_time)
                    if layer == "additive" and B == 1:
                        one_seq[(nt, 1)] = (wall, cpu)
                gf = flop(layer, B) / (cpu / nt) * 1e-9  # per CPU second per thread, like arnn's
                a = arnn.get("selfatt/%s/B%d/threads:%d" % (layer, B, nt))
                # arnn's figures are CPU time (threads:2: the larger of its two
                # threads'): compare with torch's process CPU time per thread
                ref = cpu / nt
                cmp = "%8.3f %9.1f %13.2fx" % (a[0], a[1], ref * 1e3 / a[0]) if a else "%8s %9s %14s" % ("-", "-", "-")
                print("%-9s %5d %7d %10.3f %10.3f %9.1f | %6s %s" % (layer, B, nt, wall * 1e3, cpu / nt * 1e3, gf,
                                                                    "est." if est else "", cmp), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
