#!/usr/bin/python3
"""The accuracy cost of bf16 weights: each workload's model loaded twice from
the same float32 file, as is and with its LSTM/GRU kernels rounded to bf16
at load (arnn.load(..., weights="bf16") = ARNN_LOAD_BF16_WEIGHTS, the same
bits as a file converted with --weights bf16), run on the same inputs; prints
the largest |difference| of the probabilities (and of the attention weights
where the model has them), and for the version-1 workloads also the largest
difference between the bf16 model and the float64 reference
(tests/model/reference.py) run on the bf16-rounded weights, which must stay
at float32 accuracy (the rounding is the only change).

Workloads: imdb and elmo of bench/model-bench.py (the same random weights,
seed 2026), large (rnn-peers-bench's workload: ids V=20000, E=300, T=100, H=512, C=2 softmax,
same weight distributions), and examples/imdb-mini (trained weights).

usage: bench/bf16-accuracy.py --lib build/libarnn.so [--n 64] [--workloads imdb,elmo,large,imdb-mini]
"""
import importlib.util
import os
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "python"))
sys.path.insert(0, os.path.join(ROOT, "tests", "model"))


def load_module(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def main(argv):
    lib = argv[argv.index("--lib") + 1] if "--lib" in argv else None
    n = int(argv[argv.index("--n") + 1]) if "--n" in argv else 64
    names = (argv[argv.index("--workloads") + 1] if "--workloads" in argv else "imdb,elmo,large,imdb-mini").split(",")
    if lib:
        os.environ["ARNN_LIBRARY"] = os.path.abspath(lib)
    import arnn
    import reference
    from arnn.converter import bf16_bits, bf16_values
    mb = load_module("model_bench", os.path.join(HERE, "model-bench.py"))
    workloads = dict(mb.WORKLOADS)
    workloads["large"] = dict(input="ids", V=20000, E=300, T=100, H=512, C=2, head="softmax")
    rng = np.random.default_rng(7)
    print("workload   sequences  max|p_bf16 - p_f32|  max|a_bf16 - a_f32|  max|p_bf16 - ref64(bf16 weights)|")
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            if name == "imdb-mini":
                path = os.path.join(ROOT, "examples", "imdb-mini.safetensors")
                x = np.loadtxt(os.path.join(ROOT, "examples", "imdb-mini.ids"), dtype=np.int64)
                w = None
            else:
                w = workloads[name]
                path = os.path.join(tmp, name + ".safetensors")
                mb.write_model(path, w, mb.make_weights(w, seed=2026))
                if w["input"] == "ids":
                    x = rng.integers(1, w["V"], (n, w["T"])).astype(np.int64)
                else:
                    x = rng.normal(0, 1, (n, w["T"], w["E"])).astype(np.float32)
            m32, m16 = arnn.load(path), arnn.load(path, weights="bf16")
            p32, a32 = m32.predict(x, attention=True, threads=1)
            p16, a16 = m16.predict(x, attention=True, threads=1)
            # the float64 reference on the rounded weights, a few sequences
            ref = reference.load_arnn(path)
            for d in range(2):
                for k in range(2):
                    t = ref["weights"]["rnn"][d][k]
                    ref["weights"]["rnn"][d][k] = bf16_values(bf16_bits(t.astype(np.float32))).astype(np.float64)
            worst_ref = 0.0
            for i in range(min(4, len(x))):
                p, _ = reference.predict_one(ref, x[i])
                worst_ref = max(worst_ref, float(np.max(np.abs(p16[i] - p))))
            print("%-10s %9d  %19.3g  %19.3g  %33.3g" % (name, len(x), np.max(np.abs(p16 - p32)),
                                                        np.max(np.abs(a16 - a32)), worst_ref))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
