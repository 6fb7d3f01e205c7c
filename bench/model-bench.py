#!/usr/bin/python3
"""Whole-model predictions per second: arnn next to PyTorch on the same weights,
in the same run.

Workloads (ids inputs are V=5000 and T=400 unless stated; weights are
deterministic random, seed 2026):

- imdb: version-1 file, Embedding(E=50, mask_zero) -> BiLSTM(H=128) ->
  attention pooling (eps form, bias [T]) -> Dense(1, sigmoid).
- elmo: version-1 file, dense input [T=40, E=1024] -> BiLSTM(128) ->
  attention pooling -> Dense(3, softmax).
- textbirnn: graph (version 2), Embedding(50) -> BiLSTM(128, last state,
  concat) -> Dense(1, sigmoid).
- stacked: graph, Embedding(50, mask_zero) -> BiLSTM(128, sequences) ->
  BiLSTM(128, sequences) -> attention_pool (eps, bias [T]) -> Dense(1, sigmoid).
- seed003: graph, Embedding(300) -> BiGRU(64, reset_after, sequences) ->
  [attention_pool (softmax form, bias [T]); Conv1D(64, 3, valid, relu) ->
  global avg pool; the same conv -> global max pool] -> concat ->
  Dense(128, relu) -> Dense(2, softmax).

Each model file is written by this script (graphs per docs/model-graph.md,
every key of every op explicit) and loaded into arnn (libarnn.so through
ctypes; the timed call is one arnn_model_predict_ids / _dense for imdb and
elmo, one arnn_model_run for the graphs). PyTorch runs the same network on the
same weights under torch.inference_mode(): nn.Embedding, bidirectional
nn.LSTM (Keras gates i,f,c,o = torch i,f,g,o, kernels transposed, bias in
b_ih) or nn.GRU (Keras gates z,r,h reordered to r,z,n; bias row 0 in b_ih,
row 1 in b_hh), conv1d through torch.nn.functional.conv1d (kernel [k, in,
out] -> [out, in, k]), the attention pooling, pools and dense layers as
tensor ops.

For each workload it first checks that both give the same probabilities
(|diff| <= 1e-4; the largest difference per workload is printed at the end),
then times batch 1 and 32 on 1 and 2 threads (arnn: a pool from
arnn_threadpool_create; torch: set_num_threads), median of --reps blocks of
at least 0.2 s each, and prints predictions/s and the ratio.

Masking: PyTorch's RNNs have no Keras-style mask, so the inputs are full
length (no padding id): both compute all T steps.

usage: bench/model-bench.py --lib build-release/libarnn.so [--reps 7]
           [--workloads imdb,elmo,textbirnn,stacked,seed003] [--threads 1,2]
           [--json FILE]
(default: all five workloads). --json also writes the rows, the largest
differences and the run's context to FILE as JSON (bench/report.py reads it). Needs /usr/bin/python3 with numpy and
python3-torch (Debian).
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
    write_safetensors(path, meta, tensors)


def write_safetensors(path, meta, tensors):
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


# ---- graph workloads (format version 2) ----

GRAPH_WORKLOADS = {
    "textbirnn": dict(V=5000, E=50, T=400, H=128, C=1),
    "stacked": dict(V=5000, E=50, T=400, H=128, C=1),
    "seed003": dict(V=5000, E=300, T=400, H=64, C=2, conv_filters=64, conv_kernel=3, hidden=128),
}

ACT_TANH = {"name": "tanh"}
ACT_SIGMOID = {"name": "sigmoid"}
ACT_RELU = {"name": "relu", "negative_slope": 0.0, "max_value": None, "threshold": 0.0}
ACT_SOFTMAX0 = {"name": "softmax", "axis": 0}


class GraphBuilder:
    """Layers of a version-2 graph (docs/model-graph.md: every key of an op is
    written) and their weights as tensors "<layer>/<param>"."""

    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)
        self.layers, self.tensors = [], {}

    def weight(self, name, shape, s):
        a = self.rng.uniform(-s, s, shape).astype(np.float32)
        self.tensors[name] = a
        return a

    def add(self, name, op, inputs, **keys):
        self.layers.append(dict(name=name, op=op, inputs=list(inputs), **keys))
        return name

    def embedding(self, name, x, V, E, mask_zero):
        self.weight(name + "/embeddings", (V, E), 0.5)
        return self.add(name, "embedding", [x], mask_zero=mask_zero)

    def birnn(self, name, x, cell, F, H, return_sequences):
        G = {"lstm": 4, "gru": 3}[cell]
        for d in ("forward", "backward"):
            self.weight("%s/%s/kernel" % (name, d), (F, G * H), 1.0 / np.sqrt(F))
            self.weight("%s/%s/recurrent_kernel" % (name, d), (H, G * H), 1.0 / np.sqrt(H))
            self.weight("%s/%s/bias" % (name, d), (2, G * H) if cell == "gru" else (G * H,), 0.1)
        return self.add(name, "rnn", [x], cell=cell, units=H, bidirectional=True, merge_mode="concat",
                        return_sequences=return_sequences, go_backwards=False, activation=ACT_TANH,
                        recurrent_activation=ACT_SIGMOID, reset_after=cell == "gru", use_bias=True,
                        zero_output_for_mask=return_sequences)

    def attention_pool(self, name, x, F, T, form):
        self.weight(name + "/weight", (F,), 0.2)
        self.weight(name + "/bias", (T,), 0.1)
        return self.add(name, "attention_pool", [x], form=form, epsilon=1e-07 if form == "eps" else 0.0, bias=True)

    def conv1d(self, name, x, F, filters, k, activation):
        self.weight(name + "/kernel", (k, F, filters), 1.0 / np.sqrt(k * F))
        self.weight(name + "/bias", (filters,), 0.1)
        return self.add(name, "conv1d", [x], filters=filters, kernel_size=k, strides=1, padding="valid",
                        dilation_rate=1, activation=activation, use_bias=True)

    def dense(self, name, x, F, units, activation, s=None):
        self.weight(name + "/kernel", (F, units), s if s is not None else 1.0 / np.sqrt(F))
        self.weight(name + "/bias", (units,), 0.1)
        return self.add(name, "dense", [x], units=units, activation=activation, use_bias=True)


def build_graph(name, w, seed):
    """The graph document and its tensors for graph workload `name`."""
    V, E, T, H, C = w["V"], w["E"], w["T"], w["H"], w["C"]
    g = GraphBuilder(seed)
    if name == "textbirnn":
        x = g.embedding("emb", "ids", V, E, mask_zero=False)
        x = g.birnn("bilstm", x, "lstm", E, H, return_sequences=False)
        out = g.dense("out", x, 2 * H, C, ACT_SIGMOID, s=0.3)
    elif name == "stacked":
        x = g.embedding("emb", "ids", V, E, mask_zero=True)
        x = g.birnn("bilstm1", x, "lstm", E, H, return_sequences=True)
        x = g.birnn("bilstm2", x, "lstm", 2 * H, H, return_sequences=True)
        x = g.attention_pool("att", x, 2 * H, T, "eps")
        out = g.dense("out", x, 2 * H, C, ACT_SIGMOID, s=0.3)
    elif name == "seed003":
        F, K = w["conv_filters"], w["conv_kernel"]
        x = g.embedding("emb", "ids", V, E, mask_zero=False)
        seq = g.birnn("bigru", x, "gru", E, H, return_sequences=True)
        att = g.attention_pool("att", seq, 2 * H, T, "softmax")
        conv = g.conv1d("conv", seq, 2 * H, F, K, ACT_RELU)
        avg = g.add("avgpool", "global_pool1d", [conv], mode="avg", masked=False)
        mx = g.add("maxpool", "global_pool1d", [conv], mode="max", masked=False)
        x = g.add("concat", "merge", [att, avg, mx], mode="concat", axis=0)
        x = g.dense("hidden", x, 2 * H + 2 * F, w["hidden"], ACT_RELU)
        out = g.dense("out", x, w["hidden"], C, ACT_SOFTMAX0, s=0.3)
    else:
        raise KeyError(name)
    graph = {"inputs": [{"name": "ids", "dtype": "ids", "shape": [T]}], "layers": g.layers, "outputs": [out],
             "max_steps": T}
    return graph, g.tensors


def write_graph_model(path, graph, tensors):
    meta = {"format": "arnn", "format_version": "2", "graph": json.dumps(graph, separators=(",", ":"))}
    write_safetensors(path, meta, tensors)


def torch_lstm(F, H, t, prefix):
    m = torch.nn.LSTM(F, H, batch_first=True, bidirectional=True)
    for d, sfx in (("forward", ""), ("backward", "_reverse")):
        # Keras gate order i, f, c, o is torch's i, f, g, o: the kernels only transpose.
        getattr(m, "weight_ih_l0" + sfx).data = torch.from_numpy(t["%s/%s/kernel" % (prefix, d)].T.copy())
        getattr(m, "weight_hh_l0" + sfx).data = torch.from_numpy(t["%s/%s/recurrent_kernel" % (prefix, d)].T.copy())
        getattr(m, "bias_ih_l0" + sfx).data = torch.from_numpy(t["%s/%s/bias" % (prefix, d)].copy())
        getattr(m, "bias_hh_l0" + sfx).data = torch.zeros(4 * H)
    return m


def torch_gru(F, H, t, prefix):
    """Keras GRU reset_after=True as torch.nn.GRU: gates z, r, h -> r, z, n,
    bias row 0 (input) -> bias_ih, row 1 (recurrent) -> bias_hh."""
    m = torch.nn.GRU(F, H, batch_first=True, bidirectional=True)
    order = np.concatenate([np.arange(H, 2 * H), np.arange(0, H), np.arange(2 * H, 3 * H)])
    for d, sfx in (("forward", ""), ("backward", "_reverse")):
        b = t["%s/%s/bias" % (prefix, d)]
        getattr(m, "weight_ih_l0" + sfx).data = torch.from_numpy(t["%s/%s/kernel" % (prefix, d)][:, order].T.copy())
        getattr(m, "weight_hh_l0" + sfx).data = torch.from_numpy(
            t["%s/%s/recurrent_kernel" % (prefix, d)][:, order].T.copy())
        getattr(m, "bias_ih_l0" + sfx).data = torch.from_numpy(b[0, order].copy())
        getattr(m, "bias_hh_l0" + sfx).data = torch.from_numpy(b[1, order].copy())
    return m


class TorchGraphModel(torch.nn.Module):
    def __init__(self, name, w, t):
        super().__init__()
        V, E, H = w["V"], w["E"], w["H"]
        P = lambda key: torch.from_numpy(t[key].copy())  # noqa: E731
        self.name = name
        self.emb = torch.nn.Embedding(V, E)
        self.emb.weight.data = P("emb/embeddings")
        if name == "textbirnn":
            self.rnn = torch_lstm(E, H, t, "bilstm")
        elif name == "stacked":
            self.rnn = torch_lstm(E, H, t, "bilstm1")
            self.rnn2 = torch_lstm(2 * H, H, t, "bilstm2")
        else:
            self.rnn = torch_gru(E, H, t, "bigru")
            self.conv_k = torch.from_numpy(t["conv/kernel"].transpose(2, 1, 0).copy())  # [k, in, out] -> [out, in, k]
            self.conv_b = P("conv/bias")
            self.hidden_k, self.hidden_b = P("hidden/kernel"), P("hidden/bias")
        if name != "textbirnn":
            self.att_w, self.att_b = P("att/weight"), P("att/bias")
        self.out_k, self.out_b = P("out/kernel"), P("out/bias")

    def forward(self, ids):
        x = self.emb(ids)
        if self.name == "textbirnn":
            _, (h, _) = self.rnn(x)                              # h [2, B, H]: forward, backward final states
            return torch.sigmoid(torch.cat([h[0], h[1]], dim=1) @ self.out_k + self.out_b)
        if self.name == "stacked":
            hs, _ = self.rnn2(self.rnn(x)[0])                    # [B, T, 2H]
            a = torch.exp(torch.tanh(hs @ self.att_w + self.att_b))
            a = a / (a.sum(dim=1, keepdim=True) + 1e-7)
            c = (a.unsqueeze(2) * hs).sum(dim=1)
            return torch.sigmoid(c @ self.out_k + self.out_b)
        hs, _ = self.rnn(x)                                      # [B, T, 2H]
        a = torch.softmax(torch.tanh(hs @ self.att_w + self.att_b), dim=1)
        c = (a.unsqueeze(2) * hs).sum(dim=1)
        y = torch.relu(torch.nn.functional.conv1d(hs.transpose(1, 2), self.conv_k, self.conv_b))  # [B, F, T-k+1]
        z = torch.cat([c, y.mean(dim=2), y.amax(dim=2)], dim=1)
        z = torch.relu(z @ self.hidden_k + self.hidden_b)
        return torch.softmax(z @ self.out_k + self.out_b, dim=1)


class PredictOptions(ctypes.Structure):
    _fields_ = [("struct_size", ctypes.c_size_t), ("pool", ctypes.c_void_p),
                ("lengths", ctypes.c_void_p), ("attention", ctypes.c_void_p)]


class TensorInfo(ctypes.Structure):
    _fields_ = [("struct_size", ctypes.c_size_t), ("name", ctypes.c_char_p), ("dtype", ctypes.c_int),
                ("rank", ctypes.c_size_t), ("dims", ctypes.c_size_t * 2)]


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


def setup_lib(lib_path):
    lib = ctypes.CDLL(os.path.abspath(lib_path))
    lib.arnn_model_load.argtypes = [ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p), ctypes.c_char_p, ctypes.c_size_t]
    lib.arnn_model_predict_ids.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p,
                                           ctypes.POINTER(PredictOptions), ctypes.c_void_p]
    lib.arnn_model_predict_dense.argtypes = lib.arnn_model_predict_ids.argtypes
    lib.arnn_model_run.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_size_t,
                                   ctypes.POINTER(ctypes.c_void_p), ctypes.POINTER(PredictOptions),
                                   ctypes.POINTER(ctypes.c_void_p)]
    lib.arnn_model_num_outputs.argtypes = [ctypes.c_void_p]
    lib.arnn_model_num_outputs.restype = ctypes.c_size_t
    lib.arnn_model_output_shape.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_size_t,
                                            ctypes.POINTER(TensorInfo)]
    lib.arnn_threadpool_create.argtypes = [ctypes.c_size_t, ctypes.POINTER(ctypes.c_void_p)]
    lib.arnn_threadpool_destroy.argtypes = [ctypes.c_void_p]
    lib.arnn_model_free.argtypes = [ctypes.c_void_p]
    lib.arnn_isa.restype = ctypes.c_char_p
    return lib


def load_model(lib, path, name):
    model = ctypes.c_void_p()
    err = ctypes.create_string_buffer(512)
    st = lib.arnn_model_load(path.encode(), ctypes.byref(model), err, 512)
    if st != 0:
        print("arnn cannot load %s (status %d): %s" % (name, st, err.value.decode()))
        return None
    return model


def output_shape(lib, model, steps):
    """Per-sample shape of output 0 for a call of `steps` steps."""
    info = TensorInfo()
    info.struct_size = ctypes.sizeof(TensorInfo)
    st = lib.arnn_model_output_shape(model, 0, steps, ctypes.byref(info))
    if st != 0:
        raise RuntimeError("arnn_model_output_shape: status %d" % st)
    return tuple(info.dims[i] for i in range(info.rank))


MAX_DIFF = {}  # workload -> largest |arnn - torch| over its checks
ROWS = []  # one dict per printed row, for --json
FAILED = []  # workloads that stopped on an error or a disagreement


def bench_rows(lib, name, width, batch, thread_counts, reps, make_run, probs, torch_fn):
    """Check, then time, one (workload, batch) on each thread count; one row each.
    make_run(opt) returns the arnn call writing into probs. Returns False on
    an error or a disagreement."""
    for threads in thread_counts:
        pool = ctypes.c_void_p()
        if threads > 1 and lib.arnn_threadpool_create(threads, ctypes.byref(pool)) != 0:
            print("cannot create a pool of %d threads" % threads)
            return False
        opt = PredictOptions(ctypes.sizeof(PredictOptions), pool.value, None, None)
        run_arnn = make_run(opt)
        torch.set_num_threads(threads)
        try:
            with torch.inference_mode():
                ref = torch_fn().numpy()
                run_arnn()
                diff = float(np.max(np.abs(ref - probs)))
                MAX_DIFF[name] = max(MAX_DIFF.get(name, 0.0), diff)
                if diff > 1e-4:
                    print("%s batch %d: arnn and torch disagree by %.3g" % (name, batch, diff))
                    return False
                ta = median_time(run_arnn, reps)
                tt = median_time(torch_fn, reps)
        finally:
            if pool.value:
                lib.arnn_threadpool_destroy(pool)
        print("%-*s %5d %7d | %12.1f %12.1f | %6.2fx" % (width, name, batch, threads, batch / ta, batch / tt,
                                                          tt / ta))
        ROWS.append({"model": name, "batch": batch, "threads": threads, "arnn_pred_per_s": batch / ta,
                     "torch_pred_per_s": batch / tt, "ratio": tt / ta})
        sys.stdout.flush()
    return True


def run_fixed(lib, tmp, name, width, reps, thread_counts):
    """A version-1 workload: arnn_model_predict_ids / _dense."""
    w = WORKLOADS[name]
    t = make_weights(w, seed=2026)
    path = os.path.join(tmp, name + ".safetensors")
    write_model(path, w, t)
    model = load_model(lib, path, name)
    if model is None:
        return False
    tm = TorchModel(w, t).eval()
    rng = np.random.default_rng(7)
    ok = True
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

        def make_run(opt, x=x, probs=probs, batch=batch, predict=predict):
            def run_arnn():
                st = predict(model, batch, x.ctypes.data, ctypes.byref(opt), probs.ctypes.data)
                if st != 0:
                    raise RuntimeError("arnn predict: status %d" % st)
            return run_arnn
        ok = bench_rows(lib, name, width, batch, thread_counts, reps, make_run, probs, lambda: tm(xt))
        if not ok:
            break
    lib.arnn_model_free(model)
    return ok


def run_graph(lib, tmp, name, width, reps, thread_counts):
    """A graph workload: written as a version-2 file, run with arnn_model_run."""
    w = GRAPH_WORKLOADS[name]
    graph, t = build_graph(name, w, seed=2026)
    path = os.path.join(tmp, name + ".safetensors")
    write_graph_model(path, graph, t)
    model = load_model(lib, path, name)
    if model is None:
        return False
    ok = True
    try:
        n_out, shape = lib.arnn_model_num_outputs(model), output_shape(lib, model, w["T"])
        if n_out != 1 or shape != (w["C"],):
            print("%s: arnn describes %d outputs, output 0 of shape %s (expected 1 output [%d])" % (
                name, n_out, list(shape), w["C"]))
            return False
        tm = TorchGraphModel(name, w, t).eval()
        rng = np.random.default_rng(7)
        for batch in (1, 32):
            x = rng.integers(1, w["V"], (batch, w["T"])).astype(np.int32)
            xt = torch.from_numpy(x.astype(np.int64))
            probs = np.zeros((batch, w["C"]), np.float32)
            ins = (ctypes.c_void_p * 1)(x.ctypes.data)
            outs = (ctypes.c_void_p * 1)(probs.ctypes.data)

            def make_run(opt, ins=ins, outs=outs, batch=batch):
                def run_arnn():
                    st = lib.arnn_model_run(model, batch, w["T"], ins, ctypes.byref(opt), outs)
                    if st != 0:
                        raise RuntimeError("arnn_model_run: status %d" % st)
                return run_arnn
            ok = bench_rows(lib, name, width, batch, thread_counts, reps, make_run, probs, lambda: tm(xt))
            if not ok:
                break
    finally:
        lib.arnn_model_free(model)
    return ok


def main(argv):
    lib_path = argv[argv.index("--lib") + 1] if "--lib" in argv else "build-release/libarnn.so"
    reps = int(argv[argv.index("--reps") + 1]) if "--reps" in argv else 7
    all_names = list(WORKLOADS) + list(GRAPH_WORKLOADS)
    names = (argv[argv.index("--workloads") + 1] if "--workloads" in argv else ",".join(all_names)).split(",")
    unknown = [n for n in names if n not in all_names]
    if unknown:
        print("unknown workload %s (choose from %s)" % (", ".join(unknown), ",".join(all_names)))
        return 2
    thread_counts = [int(v) for v in (argv[argv.index("--threads") + 1] if "--threads" in argv else "1,2").split(",")]
    json_path = argv[argv.index("--json") + 1] if "--json" in argv else None
    lib = setup_lib(lib_path)
    width = max([6] + [len(n) for n in names])
    print("arnn ISA %s, torch %s (%s), median of %d, predictions per second (higher is better)" % (
        lib.arnn_isa().decode(), torch.__version__, torch.backends.mkldnn.is_available() and "mkldnn" or "no mkldnn",
        reps))
    print("%-*s %5s %7s | %12s %12s | %7s" % (width, "model", "batch", "threads", "arnn pred/s", "torch pred/s",
                                               "ratio"))
    status = 0
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            run = run_fixed if name in WORKLOADS else run_graph
            if not run(lib, tmp, name, width, reps, thread_counts):
                FAILED.append(name)
                status = 1
    print("max |arnn - torch|: " + ", ".join("%s %.2g" % kv for kv in MAX_DIFF.items()))
    if json_path:
        doc = {"context": {"date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                           "arnn_isa": lib.arnn_isa().decode(), "torch": torch.__version__,
                           "reps": reps, "threads": thread_counts, "workloads": names,
                           "load_avg": list(os.getloadavg())},
               "rows": ROWS, "max_abs_diff": MAX_DIFF, "failed": FAILED}
        with open(json_path, "w") as fh:
            json.dump(doc, fh, indent=1)
            fh.write("\n")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
