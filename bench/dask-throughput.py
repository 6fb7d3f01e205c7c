#!/usr/bin/python3
"""Dask throughput of arnn.dask.predict on the imdb workload of
bench/model-bench.py (T=400, H=128): a LocalCluster of 1 and of 2 worker
processes (1 Dask thread each, so one arnn thread per task), --n sequences of
400 ids in 16 partitions, batch 32; the first run of each cluster (model
loads, worker imports) is not timed. For reference, the same corpus in this
process with Model.predict on 1 and 2 threads.

usage: bench/dask-throughput.py [--lib build-release/libarnn.so] [--n 4000] [--reps 3]
"""
import importlib.util
import os
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PYDIR = os.path.join(os.path.dirname(HERE), "python")
sys.path.insert(0, PYDIR)
os.environ["PYTHONPATH"] = PYDIR + (os.pathsep + os.environ["PYTHONPATH"] if os.environ.get("PYTHONPATH") else "")


def arg(name, default):
    return sys.argv[sys.argv.index(name) + 1] if name in sys.argv else default


os.environ.setdefault("ARNN_LIBRARY", os.path.abspath(arg("--lib", os.path.join(os.path.dirname(HERE), "build-release",
                                                                                  "libarnn.so"))))
import numpy as np  # noqa: E402
import dask.bag as db  # noqa: E402
import distributed  # noqa: E402
import arnn  # noqa: E402
import arnn.dask  # noqa: E402


def main():
    n, reps = int(arg("--n", "4000")), int(arg("--reps", "3"))
    spec = importlib.util.spec_from_file_location("model_bench", os.path.join(HERE, "model-bench.py"))
    mb = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mb)
    w = mb.WORKLOADS["imdb"]
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "imdb.safetensors")
        mb.write_model(path, w, mb.make_weights(w, seed=2026))
        seqs = [list(map(int, r)) for r in np.random.default_rng(1).integers(1, w["V"], (n, w["T"]))]
        m = arnn.load(path)
        print("arnn %s, ISA %s, %d sequences of %d ids, %d CPUs; sequences/s, median of %d"
              % (arnn.version, arnn.isa(), n, w["T"], len(os.sched_getaffinity(0)), reps))
        want = None
        for t in (1, 2):
            times = []
            for _ in range(reps):
                t0 = time.perf_counter()
                want = m.predict(seqs, threads=t)
                times.append(time.perf_counter() - t0)
            print("  in process, Model.predict threads=%d: %8.0f/s" % (t, n / statistics.median(times)))
        for workers in (1, 2):
            with distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                          dashboard_address=None) as cluster, distributed.Client(cluster):
                bag = db.from_sequence(seqs, npartitions=16)
                got = np.stack(arnn.dask.predict(bag, path).compute())  # warm-up: imports, model loads
                assert np.array_equal(got, want)
                times = []
                for _ in range(reps):
                    t0 = time.perf_counter()
                    arnn.dask.predict(bag, path).compute()
                    times.append(time.perf_counter() - t0)
                print("  Dask LocalCluster %d worker%s x 1 thread: %8.0f/s" % (workers, "s" if workers > 1 else "",
                                                                         n / statistics.median(times)))


if __name__ == "__main__":
    main()
