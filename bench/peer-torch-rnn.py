#!/usr/bin/python3
"""PyTorch peer for arnn's recurrent-layer benchmark (see bench/README.md).

Times torch.nn.LSTM / torch.nn.GRU (bidirectional, batch_first, f32, forward
under torch.inference_mode()) on the workloads of bench/README.md, batch 1
and 32, torch.set_num_threads(1 | 2). Input is dense [B,T,E] (for imdb the
embedding lookup is not timed). PyTorch's GRU applies the reset gate after the
recurrent product, i.e. Keras GRU reset_after=True.

Each case: module and input built once, 2 untimed warm-up calls, then
--reps timed blocks of enough calls to last >= --min-time seconds; the
reported time per call is the median over the blocks. GFLOP/s counts
B * 2 * (2*T*E*G*H + 2*T*H*G*H), G = 4 (LSTM) or 3 (GRU), as rnn-peers-bench.

Run pinned, e.g.  taskset -c 0-1 /usr/bin/python3 bench/peer-torch-rnn.py
--json FILE also writes the cases (and the torch build and BLAS) to FILE as
JSON, for bench/report.py.
Debian's python3-torch calls whatever libblas.so.3 the alternatives system
provides (netlib's reference BLAS unless OpenBLAS/BLIS is installed); the
header line says which one was loaded. To time it with OpenBLAS without
changing the system default:
  LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-pthread taskset -c 0-1 ...
"""
import argparse
import os
import sys
import time

from torch_peer import blas_thread_setter, csv_list, loaded_blas, time_call

WORKLOADS = {  # name: (T, E, H)
    "imdb": (400, 50, 128),
    "elmo": (40, 1024, 128),
    "large": (100, 300, 512),
}
GATES = {"lstm": 4, "gru": 3}


def flop(T, E, H, G, B):
    return B * 2.0 * (2.0 * T * E * G * H + 2.0 * T * H * G * H)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workloads", type=csv_list, default=list(WORKLOADS))
    ap.add_argument("--batches", type=csv_list, default=["1", "32"])
    ap.add_argument("--threads", type=csv_list, default=["1", "2"])
    ap.add_argument("--cells", type=csv_list, default=["lstm", "gru"])
    ap.add_argument("--reps", type=int, default=5, help="timed blocks per case (median reported)")
    ap.add_argument("--min-time", type=float, default=0.3, help="seconds per timed block")
    ap.add_argument("--json", metavar="FILE", help="also write the cases to FILE as JSON")
    args = ap.parse_args()

    try:
        import torch
    except ImportError as e:
        print("peer-torch-rnn: PyTorch not available (%s); install python3-torch" % e, file=sys.stderr)
        return 1

    torch.manual_seed(0)
    torch.set_num_interop_threads(1)
    cfg = torch.__config__.show()
    blas = next((p.split("=", 1)[1] for p in cfg.replace(",", " ").split() if p.startswith("BLAS_INFO=")), "?")
    blas_path = loaded_blas()
    set_blas_threads = blas_thread_setter(blas_path)
    print("# torch %s, BLAS_INFO=%s, loaded BLAS %s, mkldnn %s, affinity %s" % (
        torch.__version__, blas, blas_path, torch.backends.mkldnn.is_available(),
        sorted(os.sched_getaffinity(0))))
    print("# %s, median of %d blocks of >= %.2f s; input dense [B,T,E] (imdb: embedding not timed)" % (
        time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), args.reps, args.min_time))
    print("%-6s %5s %7s %-5s %10s %9s" % ("work", "batch", "threads", "cell", "ms/call", "GFLOP/s"))
    rows = []

    for name in args.workloads:
        T, E, H = WORKLOADS[name]
        for B in map(int, args.batches):
            for nt in map(int, args.threads):
                torch.set_num_threads(nt)
                if set_blas_threads is not None:
                    set_blas_threads(nt)
                for cell in args.cells:
                    cls = torch.nn.LSTM if cell == "lstm" else torch.nn.GRU
                    m = cls(E, H, num_layers=1, batch_first=True, bidirectional=True).eval()
                    x = torch.rand(B, T, E) * 2.0 - 1.0
                    with torch.inference_mode():
                        s = time_call(m, x, args.reps, args.min_time)[0]
                    gf = flop(T, E, H, GATES[cell], B) / s * 1e-9
                    print("%-6s %5d %7d %-5s %10.3f %9.1f" % (name, B, nt, cell, s * 1e3, gf), flush=True)
                    rows.append({"workload": name, "batch": B, "threads": nt, "cell": cell, "ms": s * 1e3,
                                 "gflops": gf})
    if args.json:
        import json
        doc = {"context": {"date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "torch": torch.__version__,
                           "blas_info": blas, "blas_loaded": blas_path, "reps": args.reps,
                           "min_time": args.min_time, "load_avg": list(os.getloadavg())},
               "rows": rows}
        with open(args.json, "w") as fh:
            json.dump(doc, fh, indent=1)
            fh.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
