#!/usr/bin/python3
"""Python overhead of arnn.Model.predict at batch 1 on the imdb workload of
bench/model-bench.py (V=5000, E=50, T=400, H=128, C=1): predictions/s of

  C API     one arnn_model_predict_ids call through ctypes on a prepared
            int32 [1, 400] array (what model-bench.py times)
  predict   m.predict(x) on the same array (argument checks, output
            allocation, pool cache)
  list      m.predict([ids]) on a Python list of 400 ids (padding included)

in the same process, alternating blocks of >= 0.1 s; the median of --reps
blocks and the best block (the least disturbed on a shared machine) are
printed. Last, the same three on the tiny shipped example
(examples/imdb-mini.safetensors, T=40, H=16), where the model costs little
and the difference is the Python layer's own cost per call.

usage: bench/python-overhead.py [--lib build-release/libarnn.so] [--reps 5] [--threads 1,2]
"""
import ctypes
import importlib.util
import os
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "python"))


def arg(name, default):
    return sys.argv[sys.argv.index(name) + 1] if name in sys.argv else default


os.environ.setdefault("ARNN_LIBRARY", arg("--lib", os.path.join(os.path.dirname(HERE), "build-release", "libarnn.so")))
import numpy as np  # noqa: E402
import arnn  # noqa: E402
from arnn import _lib  # noqa: E402


def model_bench():
    spec = importlib.util.spec_from_file_location("model_bench", os.path.join(HERE, "model-bench.py"))
    mb = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mb)
    return mb


def rate(fn, min_time=0.1):
    n, t0 = 0, time.perf_counter()
    while True:
        fn()
        n += 1
        t = time.perf_counter() - t0
        if t >= min_time:
            return n / t


def main():
    reps = int(arg("--reps", "15"))
    threads = [int(t) for t in arg("--threads", "1,2").split(",")]
    mb = model_bench()
    w = mb.WORKLOADS["imdb"]
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "imdb.safetensors")
        mb.write_model(path, w, mb.make_weights(w, seed=2026))
        m = arnn.load(path)
        lib = _lib.lib()
        x = np.random.default_rng(7).integers(1, w["V"], (1, w["T"])).astype(np.int32)
        xl = [list(map(int, x[0]))]
        probs = np.zeros((1, 1), np.float32)
        print("arnn %s, ISA %s, library %s" % (arnn.version, arnn.isa(), arnn.library_path()))
        print("batch 1: predictions/s, median / best of %d blocks (higher is better)" % reps)
        print("%-9s %7s | %13s %13s %13s | %s" % ("model", "threads", "C API", "predict", "list",
                                                   "overhead per call, from the best (predict, list)"))
        runs = [("imdb", m, x, xl, t) for t in threads]
        mini = arnn.load(os.path.join(os.path.dirname(HERE), "examples", "imdb-mini.safetensors"))
        xm = np.random.default_rng(8).integers(1, 200, (1, 40)).astype(np.int32)
        runs += [("imdb-mini", mini, xm, [list(map(int, xm[0]))], 1)]
        for name, m, x, xl, t in runs:
            pool = ctypes.c_void_p()
            if t > 1:
                lib.arnn_threadpool_create_ex(t, 0, ctypes.byref(pool))
            opt = _lib.PredictOptions(ctypes.sizeof(_lib.PredictOptions), pool.value, None, None)
            lib.arnn_model_predict_ids.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p,
                                                   ctypes.POINTER(_lib.PredictOptions), ctypes.c_void_p]
            h = m._handle

            def c_api():
                if lib.arnn_model_predict_ids(h, 1, x.ctypes.data, ctypes.byref(opt), probs.ctypes.data):
                    raise RuntimeError("predict failed")
            c_api()
            assert np.array_equal(probs, m.predict(x, threads=t)) and np.array_equal(probs, m.predict(xl, threads=t))
            res = {"c": [], "p": [], "l": []}
            for _ in range(reps):
                res["c"].append(rate(c_api))
                res["p"].append(rate(lambda: m.predict(x, threads=t)))
                res["l"].append(rate(lambda: m.predict(xl, threads=t)))
            med = {k: statistics.median(v) for k, v in res.items()}
            c, p, li = (max(res[k]) for k in "cpl")
            print("%-9s %7d | %6.0f/%6.0f %6.0f/%6.0f %6.0f/%6.0f | %+.1f us (%.1f%%), %+.1f us (%.1f%%)" % (
                name, t, med["c"], c, med["p"], p, med["l"], li, (1 / p - 1 / c) * 1e6, (c / p - 1) * 100,
                (1 / li - 1 / c) * 1e6, (c / li - 1) * 100))
            lib.arnn_threadpool_destroy(pool)


if __name__ == "__main__":
    main()
