#!/usr/bin/python3
"""Whole-model predictions per second: arnn next to PyTorch on the same weights,
in the same run (issue 5's benchmark).

For each workload of NOTES.md section 2 (imdb: ids, V=5000, E=50, T=400,
H=128, C=1 sigmoid, front-padded with mask_zero; elmo: dense, E=1024, T=40,
H=128, C=3 softmax) it writes an arnn model file with deterministic random
weights, loads it into arnn (libarnn.so through ctypes: the timed call is one
arnn_model_predict_ids / _dense) and builds the same network in PyTorch
(nn.Embedding -> bidirectional nn.LSTM -> the attention pooling and the dense
head as tensor ops, under torch.inference_mode(), same weights: Keras gate
order i,f,c,o is torch's i,f,g,o, kernels transposed, bias in b_ih).
It first checks that both give the same probabilities (|diff| <= 1e-4), then
times batch 1 and 32 on 1 and 2 threads (arnn: a pinned pool; torch:
set_num_threads), median of --reps repetitions, and prints
predictions/s and the ratio.

Masking: PyTorch's LSTM has no Keras-style mask, so the imdb inputs are full
length (no padding): both compute all T steps.

usage: bench/model-bench.py --lib build-release/libarnn.so [--reps 7] [--workloads imdb,elmo] [--threads 1,2]
Needs /usr/bin/python3 with numpy and python3-torch (Debian).
"""
import ctypes
import json
import os
import statistics
import sys
import tempfile
import time

try:
    import numpy as np
    import torch
except ImportError as e:
    print("model-bench needs numpy and torch under /usr/bin/python3 (python3-numpy, python3-torch): %s" % e)
    sys.exit(77)

WORKLOADS = {
    "imdb": dict(input="ids", V=5000, E=50, T=400, H=128, C=1, head="sigmoid"),
    "elmo": dict(input="dense", V=0, E=1024, T=40, H=128, C=3, head="softmax"),
}


def make_weights(w, seed):
    rng = np.random.default_rng(seed)
    E, H, T, C, V = w["E"], w["H"], w["T"], w["C"], w["V"]
    u = lambda *shape, s=0.1: (rng.uniform(-s, s, shape)).astype(np.float32)  # noqa: E731
    t = {}
    if w["input"] == "ids":
        t["embedding.weight"] = u(V, E, s=0.5)
    for d in ("forward", "backward"):
        t["rnn.%s.kernel" % d] = u(E, 4 * H, s=1.0 / np.sqrt(E))
        t["rnn.%s.recurrent_kernel" % d] = u(H, 4 * H, s=1.0 / np.sqrt(H))
        t["rnn.%s.bias" % d] = u(4 * H)
    t["attention.weight"] = u(2 * H, s=0.2)
    t["attention.bias"] = u(T, s=0.1)
    t["dense.kernel"] = u(2 * H, C, s=0.3)
    t["dense.bias"] = u(C)
    return t


def write_model(path, w, tensors):
    meta = {"format": "arnn", "format_version": "1", "input": w["input"], "T": str(w["T"]), "E": str(w["E"]),
            "H": str(w["H"]), "C": str(w["C"]), "cell": "lstm", "recurrent_activation": "sigmoid",
            "mask_zero": "true" if w["input"] == "ids" else "false", "padding": "pre", "attention": "eps",
            "attention_bias": "true", "head": w["head"]}
    if w["input"] == "ids":
        meta["V"] = str(w["V"])
    header, blobs, off = {"__metadata__": meta}, [], 0
    for name, a in tensors.items():
        raw = np.ascontiguousarray(a, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as fh:
        fh.write(len(h).to_bytes(8, "little") + h + b"".join(blobs))


class TorchModel(torch.nn.Module):
    def __init__(self, w, t):
        super().__init__()
        H = w["H"]
        self.ids = w["input"] == "ids"
        if self.ids:
            self.emb = torch.nn.Embedding(w["V"], w["E"])
            self.emb.weight.data = torch.from_numpy(t["embedding.weight"])
        self.lstm = torch.nn.LSTM(w["E"], H, batch_first=True, bidirectional=True)
        for d, sfx in (("forward", ""), ("backward", "_reverse")):
            getattr(self.lstm, "weight_ih_l0" + sfx).data = torch.from_numpy(t["rnn.%s.kernel" % d].T.copy())
            getattr(self.lstm, "weight_hh_l0" + sfx).data = torch.from_numpy(t["rnn.%s.recurrent_kernel" % d].T.copy())
            getattr(self.lstm, "bias_ih_l0" + sfx).data = torch.from_numpy(t["rnn.%s.bias" % d])
            getattr(self.lstm, "bias_hh_l0" + sfx).data = torch.zeros(4 * H)
        self.att_w = torch.from_numpy(t["attention.weight"])
        self.att_b = torch.from_numpy(t["attention.bias"])
        self.dense_k = torch.from_numpy(t["dense.kernel"])
        self.dense_b = torch.from_numpy(t["dense.bias"])
        self.softmax = w["head"] == "softmax"

    def forward(self, x):
        if self.ids:
            x = self.emb(x)
        hs, _ = self.lstm(x)                                   # [B, T, 2H]
        a = torch.exp(torch.tanh(hs @ self.att_w + self.att_b))  # [B, T]
        a = a / (a.sum(dim=1, keepdim=True) + 1e-7)
        c = (a.unsqueeze(2) * hs).sum(dim=1)                  # [B, 2H]
        z = c @ self.dense_k + self.dense_b
        return torch.softmax(z, dim=1) if self.softmax else torch.sigmoid(z)


class PredictOptions(ctypes.Structure):
    _fields_ = [("struct_size", ctypes.c_size_t), ("pool", ctypes.c_void_p),
                ("lengths", ctypes.c_void_p), ("attention", ctypes.c_void_p)]


def median_time(fn, reps, min_time=0.2):
    fn()  # warm-up
    times = []
    for _ in range(reps):
        n, t0 = 0, time.perf_counter()
        while True:
            fn()
            n += 1
            el = time.perf_counter() - t0
            if el >= min_time:
                break
        times.append(el / n)
    return statistics.median(times)


def main(argv):
    lib_path = argv[argv.index("--lib") + 1] if "--lib" in argv else "build-release/libarnn.so"
    reps = int(argv[argv.index("--reps") + 1]) if "--reps" in argv else 7
    names = (argv[argv.index("--workloads") + 1] if "--workloads" in argv else "imdb,elmo").split(",")
    thread_counts = [int(v) for v in (argv[argv.index("--threads") + 1] if "--threads" in argv else "1,2").split(",")]
    lib = ctypes.CDLL(os.path.abspath(lib_path))
    lib.arnn_model_load.argtypes = [ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p), ctypes.c_char_p, ctypes.c_size_t]
    lib.arnn_model_predict_ids.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p,
                                           ctypes.POINTER(PredictOptions), ctypes.c_void_p]
    lib.arnn_model_predict_dense.argtypes = lib.arnn_model_predict_ids.argtypes
    lib.arnn_threadpool_create.argtypes = [ctypes.c_size_t, ctypes.POINTER(ctypes.c_void_p)]
    lib.arnn_threadpool_destroy.argtypes = [ctypes.c_void_p]
    lib.arnn_model_free.argtypes = [ctypes.c_void_p]
    lib.arnn_isa.restype = ctypes.c_char_p
    print("arnn ISA %s, torch %s (%s), median of %d, predictions per second (higher is better)" % (
        lib.arnn_isa().decode(), torch.__version__, torch.backends.mkldnn.is_available() and "mkldnn" or "no mkldnn",
        reps))
    print("%-6s %5s %7s | %12s %12s | %7s" % ("model", "batch", "threads", "arnn pred/s", "torch pred/s",
                                               "ratio"))
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            w = WORKLOADS[name]
            t = make_weights(w, seed=2026)
            path = os.path.join(tmp, name + ".safetensors")
            write_model(path, w, t)
            model = ctypes.c_void_p()
            err = ctypes.create_string_buffer(512)
            if lib.arnn_model_load(path.encode(), ctypes.byref(model), err, 512) != 0:
                print("arnn cannot load %s: %s" % (name, err.value.decode()))
                return 1
            tm = TorchModel(w, t).eval()
            rng = np.random.default_rng(7)
            for batch in (1, 32):
                if w["input"] == "ids":
                    x = rng.integers(1, w["V"], (batch, w["T"])).astype(np.int32)
                    xt = torch.from_numpy(x.astype(np.int64))
                    predict = lib.arnn_model_predict_ids
                else:
                    x = rng.normal(0, 1, (batch, w["T"], w["E"])).astype(np.float32)
                    xt = torch.from_numpy(x)
                    predict = lib.arnn_model_predict_dense
                probs = np.zeros((batch, w["C"]), np.float32)
                for threads in thread_counts:
                    pool = ctypes.c_void_p()
                    if threads > 1 and lib.arnn_threadpool_create(threads, ctypes.byref(pool)) != 0:
                        print("cannot create a pool of %d threads" % threads)
                        return 1
                    opt = PredictOptions(ctypes.sizeof(PredictOptions), pool.value, None, None)

                    def run_arnn():
                        st = predict(model, batch, x.ctypes.data, ctypes.byref(opt), probs.ctypes.data)
                        if st != 0:
                            raise RuntimeError("arnn predict: status %d" % st)
                    torch.set_num_threads(threads)
                    with torch.inference_mode():
                        ref = tm(xt).numpy()
                        run_arnn()
                        diff = float(np.max(np.abs(ref - probs)))
                        if diff > 1e-4:
                            print("%s batch %d: arnn and torch disagree by %.3g" % (name, batch, diff))
                            return 1
                        ta = median_time(run_arnn, reps)
                        tt = median_time(lambda: tm(xt), reps)
                    print("%-6s %5d %7d | %12.1f %12.1f | %6.2fx" % (name, batch, threads, batch / ta, batch / tt,
                                                                      tt / ta))
                    sys.stdout.flush()
                    if pool.value:
                        lib.arnn_threadpool_destroy(pool)
            lib.arnn_model_free(model)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
