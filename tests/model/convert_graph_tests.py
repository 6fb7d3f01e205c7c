#!/usr/bin/python3
"""Converter tests for general Keras graphs (format version 2), independent of
the arnn CLI: small models written with h5py in the tf.keras 2.x .h5 and
Keras 3 .keras layouts (the same groups and JSON Keras writes), converted in
this process through python/arnn/converter.py, and checked layer by layer (op,
keys, inputs) and tensor by tensor (the exact arrays written, CuDNN aside).
Also: nested models, the Keras 3 inbound-node form, several inputs and
outputs, one refusal listing every unsupported layer, and the real Keras
files of ../shared/real-keras (when present).

usage: convert_graph_tests.py [--real-keras DIR] [--workdir DIR]
(default DIR for the real files: $ARNN_REAL_KERAS, else ../shared/real-keras
next to the source tree)
test-convert.py runs these too (run(check, workdir)).
"""
import io
import json
import os
import sys
import tempfile
import zipfile

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "python"))
from arnn import converter as ac  # noqa: E402

RNG = np.random.default_rng(7)


def rnd(*shape):
    return RNG.normal(0, 0.5, shape).astype(np.float32)


def snake(cls):
    return ac.to_snake_case(cls)


# ---------------------------------------------------------------- model builder

class Layer:
    def __init__(self, cls, name, config, inputs, weights, sub=None):
        self.cls, self.name, self.config, self.inputs, self.weights = cls, name, config, inputs, weights
        self.sub = sub  # nested Model


class Model:
    """A functional (or Sequential) Keras model description that writes
    itself as a tf.keras 2 .h5 or a Keras 3 .keras file.

    weights: list of (keras weight name, array); Bidirectional weights are
    given forward then backward, with names "forward_x/kernel" etc."""

    def __init__(self, name="model", sequential=False):
        self.name, self.sequential = name, sequential
        self.layers = []
        self.inputs, self.outputs = [], []

    def input(self, name, shape, dtype="float32"):
        self.layers.append(Layer("InputLayer", name, {"name": name, "dtype": dtype, "batch_shape": [None] + shape,
                                                      "sparse": False}, [], []))
        self.inputs.append(name)
        return name

    def add(self, cls, name, inputs, weights=(), call=None, kw_tensors=None, module=None, **config):
        """call: the call's keyword arguments; kw_tensors: tensors passed by
        keyword (MultiHeadAttention value/key); module: Keras 3 module."""
        config = dict(config, name=name)
        l = Layer(cls, name, config, [inputs] if isinstance(inputs, str) else list(inputs or []), list(weights))
        l.call, l.kw_tensors, l.module = dict(call or {}), dict(kw_tensors or {}), module
        self.layers.append(l)
        return name

    def nest(self, model, inputs):
        self.layers.append(Layer(model.class_name(), model.name, None, [inputs] if isinstance(inputs, str)
                                 else list(inputs), [], sub=model))
        return model.name

    def class_name(self):
        return "Sequential" if self.sequential else "Functional"

    # ---- configs

    def config(self, k3):
        if self.sequential:
            layers = []
            for l in self.layers:
                c = dict(l.config) if l.sub is None else l.sub.config(k3)["config"]
                if l.cls == "InputLayer" and not k3:
                    c["batch_input_shape"] = c.pop("batch_shape")
                layers.append({"class_name": l.cls, "config": c} if l.sub is None else l.sub.config(k3))
            return {"class_name": "Sequential", "config": {"name": self.name, "layers": layers}}
        out = []
        for l in self.layers:
            c = dict(l.config) if l.sub is None else l.sub.config(k3)["config"]
            if l.cls == "InputLayer" and not k3:
                c["batch_input_shape"] = c.pop("batch_shape")
            d = {"class_name": l.cls, "config": c, "name": l.name}
            call = getattr(l, "call", {}) or {}
            kwt = getattr(l, "kw_tensors", {}) or {}

            def k3t(n):
                return {"class_name": "__keras_tensor__", "config": {"shape": [None], "dtype": "float32",
                                                                      "keras_history": [n.split(":")[0], 0,
                                                                                        int(n.split(":")[1])
                                                                                        if ":" in n else 0]}}
            if k3:
                mod = getattr(l, "module", None)
                d["module"] = mod if mod is not None else ("keras.layers" if l.cls not in ("Attention", "MyLayer")
                                                           and l.cls not in CUSTOM_CLASSES else None)
                d["registered_name"] = None
                if not l.inputs:
                    d["inbound_nodes"] = []
                else:
                    ts = [k3t(n) for n in l.inputs]
                    kw = dict({"training": False}, **call)
                    kw.update({k: k3t(n) for k, n in kwt.items()})
                    d["inbound_nodes"] = [{"args": [ts] if len(ts) > 1 else ts, "kwargs": kw}]
            else:
                # a nested model called in the outer model gets node index 1 (0 is its own graph)
                kw = dict(call)
                kw.update({k: [n.split(":")[0], 0, int(n.split(":")[1]) if ":" in n else 0] for k, n in kwt.items()})
                d["inbound_nodes"] = [] if not l.inputs else [[[n.split(":")[0], 0, int(n.split(":")[1])
                                                                 if ":" in n else 0, kw] for n in l.inputs]]
            out.append(d)

        def refs(names):
            return [[n.split(":")[0], 0, int(n.split(":")[1]) if ":" in n else 0] for n in names]
        cfg = {"class_name": "Functional" if k3 else "Model",
               "config": {"name": self.name, "layers": out, "input_layers": refs(self.inputs),
                          "output_layers": refs(self.outputs)}}
        if k3 and len(self.outputs) == 1:
            cfg["config"]["output_layers"] = refs(self.outputs)[0]
        return cfg

    # ---- weights

    def k2_weights(self):
        """[(top-level layer name, [(weight name, array)])]: nested models'
        weights go to the nested model's group, trainable first as Keras lists them."""
        out = []
        for l in self.layers:
            if l.sub is None:
                out.append((l.name, [("%s/%s:0" % (l.name, n), a) for n, a in l.weights]))
            else:
                inner = [w for _, ws in l.sub.k2_weights() for w in ws]
                moving = [w for w in inner if "moving_" in w[0]]
                out.append((l.name, [w for w in inner if w not in moving] + moving))
        return out

    def k3_weights(self, h, base=""):
        used = {}
        for l in self.layers:
            s = snake(l.cls)
            if s in used:
                used[s] += 1
                s = "%s_%d" % (s, used[s])
            else:
                used[s] = 0
            path = (base + "/" if base else "") + "layers/" + s
            if l.sub is not None:
                l.sub.k3_weights(h, path)
                continue
            arrays = [a for _, a in l.weights]
            if l.cls == "Bidirectional":
                half = len(arrays) // 2
                for side, part in (("forward_layer", arrays[:half]), ("backward_layer", arrays[half:])):
                    write_vars(h, path + "/" + side + "/cell", part)
            elif l.cls in ("LSTM", "GRU", "SimpleRNN"):
                write_vars(h, path + "/cell", arrays)
            elif l.cls == "TimeDistributed":
                write_vars(h, path + "/layer", arrays)
            elif l.cls == "MultiHeadAttention":
                n = len(arrays) // 4
                for i, sub in enumerate(("query_dense", "key_dense", "value_dense", "output_dense")):
                    write_vars(h, path + "/" + sub, arrays[i * n:(i + 1) * n])
            else:
                write_vars(h, path, arrays)

    def save_h5(self, path, keras_version="2.9.0"):
        with h5py.File(path, "w") as h:
            h.attrs["keras_version"] = keras_version.encode()
            h.attrs["backend"] = b"tensorflow"
            h.attrs["model_config"] = json.dumps(self.config(False)).encode()
            g = h.create_group("model_weights")
            groups = self.k2_weights()
            g.attrs["layer_names"] = np.array([n.encode() for n, _ in groups], dtype="S")
            for n, ws in groups:
                lg = g.create_group(n)
                lg.attrs["weight_names"] = (np.array([w.encode() for w, _ in ws], dtype="S") if ws
                                            else np.array([], dtype=np.float64))
                for w, a in ws:
                    lg.create_dataset(w, data=a)
        return path

    def save_keras(self, path, keras_version="3.3.3"):
        buf = io.BytesIO()
        with h5py.File(buf, "w") as h:
            self.k3_weights(h)
        with zipfile.ZipFile(path, "w") as z:
            z.writestr("metadata.json", json.dumps({"keras_version": keras_version}))
            z.writestr("config.json", json.dumps(self.config(True)))
            z.writestr("model.weights.h5", buf.getvalue())
        return path


CUSTOM_CLASSES = {"AttentionWithContext", "AttLayer", "SentenceAttention", "AttentionPooling", "Attention_layer",
                  "Weird"}


def write_vars(h, path, arrays):
    g = h.require_group(path + "/vars")
    for i, a in enumerate(arrays):
        g.create_dataset(str(i), data=a)


# ---------------------------------------------------------------- helpers

class T:
    def __init__(self, check, workdir):
        self.check, self.workdir = check, workdir

    def path(self, name):
        return os.path.join(self.workdir, name)

    def convert(self, path, **kw):
        try:
            meta, tensors = ac.convert_file(path, **kw)
        except ac.Refused as e:
            self.check(False, "%s: refused: %s" % (os.path.basename(path), e))
            return None, None, None
        g = json.loads(meta["graph"])
        # the written file reads back to the same tensors
        raw = ac.safetensors_bytes(meta, tensors)
        n = int.from_bytes(raw[:8], "little")
        hdr = json.loads(raw[8:8 + n])
        self.check(n % 8 == 0 and hdr["__metadata__"] == meta, "%s: header" % path)
        return meta, g, tensors

    def refused(self, path, pieces, **kw):
        try:
            ac.convert_file(path, **kw)
        except ac.Refused as e:
            msg = str(e)
            for p in pieces:
                self.check(p in msg, "%s: refusal %r lacks %r" % (os.path.basename(path), msg, p))
            return msg
        self.check(False, "%s: converted, expected a refusal naming %s" % (os.path.basename(path), pieces))
        return ""

    def layer(self, g, name, **want):
        ls = [l for l in g["layers"] if l["name"] == name]
        if not self.check(len(ls) == 1, "layer %s missing from %s" % (name, [l["name"] for l in g["layers"]])):
            return None
        for k, v in want.items():
            self.check(ls[0].get(k) == v, "layer %s: %s = %r, expected %r" % (name, k, ls[0].get(k), v))
        return ls[0]

    def tensor(self, tensors, name, want):
        if not self.check(name in tensors, "tensor %s missing (have %s)" % (name, sorted(tensors))):
            return
        got = np.asarray(tensors[name], dtype=np.float32)
        self.check(got.shape == np.shape(want) and np.array_equal(got, np.asarray(want, dtype=np.float32)),
                   "tensor %s differs (shape %s vs %s)" % (name, got.shape, np.shape(want)))


def relu(**kw):
    d = {"name": "relu", "negative_slope": 0.0, "max_value": None, "threshold": 0.0}
    d.update(kw)
    return d


def lstm_w(F, H, G=4, bias=True, reset_after=False, prefix=""):
    w = [(prefix + "kernel", rnd(F, G * H)), (prefix + "recurrent_kernel", rnd(H, G * H))]
    if bias:
        w.append((prefix + "bias", rnd(2, G * H) if reset_after else rnd(G * H)))
    return w


def bi_w(F, H, G=4):
    return lstm_w(F, H, G, prefix="forward_l/") + lstm_w(F, H, G, prefix="backward_l/")


# ---------------------------------------------------------------- models

def model_text(k3):
    """ids -> Embedding(mask) -> dropout -> BiGRU(sum) -> TimeDistributed(Dense relu)
    -> LayerNorm -> BatchNorm(center=False) -> GlobalAveragePooling1D -> Dense softmax
    and a second output Concatenate(GAP, GlobalMaxPooling1D)."""
    m = Model("text")
    m.input("ids", [12], "int32")
    emb = rnd(30, 4)
    m.add("Embedding", "emb", "ids", [("embeddings", emb)], input_dim=30, output_dim=4, mask_zero=True)
    m.add("SpatialDropout1D", "drop", "emb", rate=0.2)
    gru = [("forward_gru/kernel", rnd(4, 9)), ("forward_gru/recurrent_kernel", rnd(3, 9)),
           ("forward_gru/bias", rnd(2, 9)), ("backward_gru/kernel", rnd(4, 9)),
           ("backward_gru/recurrent_kernel", rnd(3, 9)), ("backward_gru/bias", rnd(2, 9))]
    m.add("Bidirectional", "bigru", "drop", gru, merge_mode="sum",
          layer={"class_name": "GRU", "config": {"name": "gru", "units": 3, "return_sequences": True,
                                                 "activation": "tanh", "recurrent_activation": "hard_sigmoid",
                                                 "reset_after": True, "use_bias": True}})
    td = [("kernel", rnd(3, 5)), ("bias", rnd(5))]
    m.add("TimeDistributed", "td", "bigru", td, layer={"class_name": "Dense", "config": {
        "name": "dense_in", "units": 5, "activation": "relu", "use_bias": True}})
    ln = [("gamma", rnd(5)), ("beta", rnd(5))]
    m.add("LayerNormalization", "ln", "td", ln, axis=-1, epsilon=1e-5)
    bn = [("gamma", rnd(5)), ("moving_mean", rnd(5)), ("moving_variance", np.abs(rnd(5)) + 0.5)]
    m.add("BatchNormalization", "bn", "ln", bn, axis=2, epsilon=1e-3, center=False, scale=True)
    m.add("GlobalAveragePooling1D", "gap", "bn")
    m.add("GlobalMaxPooling1D", "gmp", "bn")
    head = [("kernel", rnd(5, 3)), ("bias", rnd(3))]
    m.add("Dense", "head", "gap", head, units=3, activation="softmax")
    m.add("Concatenate", "cat", ["gap", "gmp"], axis=-1)
    m.outputs = ["head", "cat"]
    weights = {"emb": emb, "gru": gru, "td": td, "ln": ln, "bn": bn, "head": head}
    return m, weights


def test_text(t):
    for k3 in (False, True):
        m, w = model_text(k3)
        path = m.save_keras(t.path("text.keras")) if k3 else m.save_h5(t.path("text.h5"))
        meta, g, tensors = t.convert(path, labels=["a", "b", "c"])
        if g is None:
            continue
        t.check(g["inputs"] == [{"name": "ids", "dtype": "ids", "shape": [12]}], "text: inputs %s" % g["inputs"])
        t.check(g["outputs"] == ["head", "cat"] and g["max_steps"] == 12, "text: outputs %s" % g["outputs"])
        t.check(json.loads(meta["labels"]) == ["a", "b", "c"], "text: labels")
        t.layer(g, "emb", op="embedding", inputs=["ids"], mask_zero=True)
        t.check(not [l for l in g["layers"] if l["name"] == "drop"], "text: dropout written")
        hs = {"name": "hard_sigmoid_keras3" if k3 else "hard_sigmoid_keras2"}
        t.layer(g, "bigru", op="rnn", inputs=["emb"], cell="gru", units=3, bidirectional=True, merge_mode="sum",
                return_sequences=True, go_backwards=False, activation={"name": "tanh"}, recurrent_activation=hs,
                reset_after=True, use_bias=True, zero_output_for_mask=True)
        for i, side in enumerate(("forward", "backward")):
            for j, p in enumerate(("kernel", "recurrent_kernel", "bias")):
                t.tensor(tensors, "bigru/%s/%s" % (side, p), w["gru"][3 * i + j][1])
        t.layer(g, "td", op="dense", inputs=["bigru"], units=5, activation=relu(), use_bias=True)
        t.tensor(tensors, "td/kernel", w["td"][0][1])
        t.layer(g, "ln", op="layer_norm", epsilon=1e-5)
        t.tensor(tensors, "ln/gamma", w["ln"][0][1])
        t.layer(g, "bn", op="batch_norm", epsilon=1e-3)
        t.tensor(tensors, "bn/gamma", w["bn"][0][1])
        t.tensor(tensors, "bn/beta", np.zeros(5))
        t.tensor(tensors, "bn/moving_variance", w["bn"][2][1])
        t.layer(g, "gap", op="global_pool1d", mode="avg", masked=True)
        t.layer(g, "gmp", op="global_pool1d", mode="max", masked=False)
        t.layer(g, "head", op="dense", activation={"name": "softmax", "axis": 0})
        t.layer(g, "cat", op="merge", mode="concat", axis=0, inputs=["gap", "gmp"])
        t.check(len(tensors) == 1 + 6 + 2 + 2 + 4 + 2, "text: %d tensors %s" % (len(tensors), sorted(tensors)))


def model_signal(k3=False):
    """float [16, 3] -> Masking -> Conv1D(same, dilation 2) -> MaxPooling1D ->
    AveragePooling1D(same) -> SimpleRNN(go_backwards) -> LSTM(last) -> RepeatVector ->
    Permute -> Flatten -> Reshape -> activations -> Dense."""
    m = Model("signal")
    m.input("x", [16, 3])
    m.add("Masking", "mask", "x", mask_value=0.0)
    m.add("GaussianNoise", "noise", "mask", stddev=0.1)
    m.add("GaussianDropout", "gdrop", "noise", rate=0.1)
    conv = [("kernel", rnd(3, 3, 6)), ("bias", rnd(6))]
    m.add("Conv1D", "conv", "gdrop", conv, filters=6, kernel_size=[3], strides=[1], padding="same",
          dilation_rate=[2], activation="gelu", use_bias=True, data_format="channels_last", groups=1)
    conv2 = [("kernel", rnd(2, 6, 4))]
    m.add("Conv1D", "conv2", "conv", conv2, filters=4, kernel_size=[2], strides=[2], padding="causal",
          dilation_rate=[1], activation="swish", use_bias=False)
    m.add("MaxPooling1D", "maxp", "conv2", pool_size=[2], strides=None, padding="valid")
    m.add("AveragePooling1D", "avgp", "maxp", pool_size=[3], strides=[1], padding="same")
    srnn = [("kernel", rnd(4, 5)), ("recurrent_kernel", rnd(5, 5)), ("bias", rnd(5))]
    m.add("SimpleRNN", "srnn", "avgp", srnn, units=5, return_sequences=True, go_backwards=True, activation="relu")
    lstm = lstm_w(5, 2, bias=False)
    m.add("LSTM", "lstm", "srnn", lstm, units=2, return_sequences=False, use_bias=False, activation="tanh",
          recurrent_activation="sigmoid")
    m.add("RepeatVector", "rep", "lstm", n=4)
    m.add("Permute", "perm", "rep", dims=[2, 1])
    m.add("Flatten", "flat", "perm")
    m.add("Reshape", "resh", "flat", target_shape=[-1, 2])
    m.add("AlphaDropout", "adrop", "resh", rate=0.1)
    m.add("ReLU", "relu", "adrop", max_value=6.0, negative_slope=0.1, threshold=0.5)
    if k3:
        m.add("LeakyReLU", "leaky", "relu", negative_slope=0.25)
    else:
        m.add("LeakyReLU", "leaky", "relu", alpha=0.25)
    prelu = [("alpha", rnd(1, 2))]
    m.add("PReLU", "prelu", "leaky", prelu, shared_axes=[1])
    m.add("ELU", "elu", "prelu", alpha=0.7)
    m.add("Softmax", "smax", "elu", axis=1)
    m.add("Activation", "act", "smax", activation="selu")
    m.add("ActivityRegularization", "areg", "act", l1=0.01)
    m.add("Dropout", "drop", "areg", rate=0.5)
    dense = [("kernel", rnd(2, 2)), ("bias", rnd(2))]
    m.add("Dense", "out", "drop", dense, units=2, activation={"module": "keras.activations",
                                                            "class_name": "function", "config": "softplus"})
    m.outputs = ["out"]
    return m, {"conv": conv, "conv2": conv2, "srnn": srnn, "lstm": lstm, "prelu": prelu, "dense": dense}


def test_signal(t):
    for k3 in (False, True):
        m, w = model_signal(k3)
        path = m.save_keras(t.path("signal.keras")) if k3 else m.save_h5(t.path("signal.h5"), "2.4.0")
        check_signal(t, path, w)


def check_signal(t, path, w):
    meta, g, tensors = t.convert(path)
    if g is None:
        return
    t.check(len(g["layers"]) == 18, "signal: %d layers (identity layers written?)" % len(g["layers"]))
    t.layer(g, "conv", inputs=["mask"])
    t.layer(g, "relu", inputs=["resh"])
    t.layer(g, "out", inputs=["act"])
    t.check(g["inputs"] == [{"name": "x", "dtype": "float32", "shape": [16, 3]}], "signal: inputs %s" % g["inputs"])
    t.layer(g, "mask", op="masking", mask_value=0.0)
    t.layer(g, "conv", op="conv1d", filters=6, kernel_size=3, strides=1, padding="same", dilation_rate=2,
            activation={"name": "gelu"}, use_bias=True)
    t.tensor(tensors, "conv/kernel", w["conv"][0][1])
    t.layer(g, "conv2", op="conv1d", strides=2, padding="causal", activation={"name": "swish"}, use_bias=False)
    t.check("conv2/bias" not in tensors, "signal: conv2 has a bias")
    t.layer(g, "maxp", op="pool1d", mode="max", pool_size=2, strides=2, padding="valid")
    t.layer(g, "avgp", op="pool1d", mode="avg", pool_size=3, strides=1, padding="same")
    t.layer(g, "srnn", op="rnn", cell="simple", units=5, bidirectional=False, merge_mode=None, return_sequences=True,
            go_backwards=True, activation=relu(), recurrent_activation=None, reset_after=False, use_bias=True,
            zero_output_for_mask=False)
    t.tensor(tensors, "srnn/forward/recurrent_kernel", w["srnn"][1][1])
    t.layer(g, "lstm", op="rnn", cell="lstm", units=2, return_sequences=False, use_bias=False)
    t.check("lstm/forward/bias" not in tensors, "signal: lstm without bias got one")
    t.layer(g, "rep", op="repeat_vector", n=4)
    t.layer(g, "perm", op="permute", dims=[1, 0])
    t.layer(g, "flat", op="flatten")
    t.layer(g, "resh", op="reshape", target_shape=[-1, 2])
    t.layer(g, "relu", op="activation", activation=relu(max_value=6.0, negative_slope=0.1, threshold=0.5))
    t.layer(g, "leaky", op="activation", activation={"name": "leaky_relu", "alpha": 0.25})
    t.layer(g, "prelu", op="activation", activation={"name": "prelu"})
    t.tensor(tensors, "prelu/alpha", np.broadcast_to(w["prelu"][0][1], (4, 2)))
    t.layer(g, "elu", op="activation", activation={"name": "elu", "alpha": 0.7})
    t.layer(g, "smax", op="activation", activation={"name": "softmax", "axis": 0})
    t.layer(g, "act", op="activation", activation={"name": "selu"})
    t.layer(g, "out", op="dense", activation={"name": "softplus"}, units=2)


def model_merges():
    m = Model("merges")
    a = m.input("a", [5, 3])
    b = m.input("b", [5, 3])
    for cls in ("Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"):
        m.add(cls, cls.lower(), [a, b])
    m.add("Concatenate", "cat_steps", [a, b], axis=1)
    m.add("Concatenate", "cat_feat", ["add", "subtract", "multiply"], axis=-1)
    m.add("Dot", "dot", [a, b], axes=[2, 2], normalize=False)
    m.add("Dot", "cos", [a, b], axes=1, normalize=True)
    m.outputs = ["average", "maximum", "minimum", "cat_steps", "cat_feat", "dot", "cos"]
    return m


def test_merges(t):
    for k3 in (False, True):
        m = model_merges()
        path = m.save_keras(t.path("merges.keras")) if k3 else m.save_h5(t.path("merges.h5"))
        meta, g, tensors = t.convert(path)
        if g is None:
            continue
        t.check([i["name"] for i in g["inputs"]] == ["a", "b"], "merges: inputs %s" % g["inputs"])
        t.check(g["outputs"] == m.outputs, "merges: outputs %s" % g["outputs"])
        for mode in ("add", "subtract", "multiply", "average", "maximum", "minimum"):
            t.layer(g, mode, op="merge", mode=mode, axis=None, inputs=["a", "b"])
        t.layer(g, "cat_steps", op="merge", mode="concat", axis=0)
        t.layer(g, "cat_feat", op="merge", mode="concat", axis=1, inputs=["add", "subtract", "multiply"])
        t.layer(g, "dot", op="dot", axes=[1, 1], normalize=False)
        t.layer(g, "cos", op="dot", axes=[0, 0], normalize=True)
        t.check(tensors == {}, "merges: tensors %s" % sorted(tensors))


def test_nested(t):
    """A Sequential and a Functional model used as layers are inlined; their
    weights come from the nested groups (tf.keras h5: one group per nested
    model, BatchNormalization's moving statistics after all trainable weights;
    Keras 3: layers/<model>/layers/...)."""
    for k3 in (False, True):
        inner = Model("inner_seq", sequential=True)
        d1 = [("kernel", rnd(4, 6)), ("bias", rnd(6))]
        inner.add("Dense", "d1", None, d1, units=6, activation="tanh")
        bn = [("gamma", rnd(6)), ("beta", rnd(6)), ("moving_mean", rnd(6)), ("moving_variance", np.abs(rnd(6)) + .1)]
        inner.add("BatchNormalization", "bn_in", None, bn, axis=-1, epsilon=0.01)
        d2 = [("kernel", rnd(6, 3)), ("bias", rnd(3))]
        inner.add("Dense", "d2", None, d2, units=3, activation="sigmoid")
        sub = Model("inner_fn")
        sub.input("sub_in", [3])
        d3 = [("kernel", rnd(3, 2)), ("bias", rnd(2))]
        sub.add("Dense", "d3", "sub_in", d3, units=2, activation="linear")
        sub.add("Dense", "d4", "sub_in", [("kernel", rnd(3, 1)), ("bias", rnd(1))], units=1)
        sub.outputs = ["d3", "d4"]
        m = Model("outer")
        m.input("x", [4])
        m.nest(inner, "x")
        m.nest(sub, "inner_seq")
        m.add("Concatenate", "both", ["inner_fn:0", "inner_fn:1"], axis=-1)
        m.outputs = ["both", "inner_fn:1"]
        path = m.save_keras(t.path("nested.keras")) if k3 else m.save_h5(t.path("nested.h5"))
        meta, g, tensors = t.convert(path)
        if g is None:
            continue
        t.check([l["name"] for l in g["layers"]] == ["d1", "bn_in", "d2", "d3", "d4", "both"],
                "nested: layers %s" % [l["name"] for l in g["layers"]])
        t.layer(g, "d1", inputs=["x"])
        t.layer(g, "d3", inputs=["d2"])
        t.layer(g, "both", inputs=["d3", "d4"])
        t.check(g["outputs"] == ["both", "d4"], "nested: outputs %s" % g["outputs"])
        t.tensor(tensors, "d1/kernel", d1[0][1])
        t.tensor(tensors, "bn_in/moving_mean", bn[2][1])
        t.tensor(tensors, "bn_in/beta", bn[1][1])
        t.tensor(tensors, "d2/bias", d2[1][1])
        t.tensor(tensors, "d3/kernel", d3[0][1])


def test_sequential_forms(t):
    """Sequential without an InputLayer: the input comes from the first layer
    (Keras 2.2 config list with batch_input_shape; input_dim + input_length;
    Keras 3 batch_shape); unknown T -> [null] and max_steps 65536 or --max-steps."""
    emb = rnd(9, 3)
    lstm = lstm_w(3, 2)
    dense = [("kernel", rnd(2, 1)), ("bias", rnd(1))]
    cfg = {"class_name": "Sequential", "config": [
        {"class_name": "Embedding", "config": {"name": "e", "input_dim": 9, "output_dim": 3,
                                               "batch_input_shape": [None, None], "mask_zero": True}},
        {"class_name": "LSTM", "config": {"name": "l", "units": 2, "recurrent_activation": "hard_sigmoid"}},
        {"class_name": "Dense", "config": {"name": "d", "units": 1, "activation": "sigmoid"}}]}
    path = t.path("seq22.h5")
    with h5py.File(path, "w") as h:
        h.attrs["keras_version"] = b"2.2.4"
        h.attrs["model_config"] = json.dumps(cfg).encode()
        g = h.create_group("model_weights")
        for n, ws in (("e", [("embeddings", emb)]), ("l", lstm), ("d", dense)):
            lg = g.create_group(n)
            lg.attrs["weight_names"] = np.array([("%s/%s:0" % (n, w)).encode() for w, _ in ws], dtype="S")
            for w, a in ws:
                lg.create_dataset("%s/%s:0" % (n, w), data=a)
        g.attrs["layer_names"] = np.array([b"e", b"l", b"d"], dtype="S")
    meta, g, tensors = t.convert(path)
    if g is not None:
        t.check(g["inputs"] == [{"name": "e_input", "dtype": "ids", "shape": [None]}], "seq22: %s" % g["inputs"])
        t.check(g["max_steps"] == 65536, "seq22: max_steps %s" % g["max_steps"])
        t.layer(g, "l", recurrent_activation={"name": "hard_sigmoid_keras2"}, zero_output_for_mask=False)
        t.check(meta.get("keras_version") == "2.2.4", "seq22: keras_version")
    meta, g, tensors = t.convert(path, max_steps=100)
    if g is not None:
        t.check(g["max_steps"] == 100, "seq22 --max-steps: %s" % g["max_steps"])
    # dense input given by input_dim + input_length on the first layer
    cfg2 = {"class_name": "Sequential", "config": {"name": "s", "layers": [
        {"class_name": "GRU", "config": {"name": "l", "units": 2, "input_dim": 3, "input_length": 7,
                                         "reset_after": False}}]}}
    path2 = t.path("seq-dim.h5")
    with h5py.File(path2, "w") as h:
        h.attrs["keras_version"] = b"2.3.1"
        h.attrs["model_config"] = json.dumps(cfg2).encode()
        g = h.create_group("model_weights")
        g.attrs["layer_names"] = np.array([b"l"], dtype="S")
        lg = g.create_group("l")
        ws = lstm_w(3, 2, G=3)
        lg.attrs["weight_names"] = np.array([("l/%s:0" % w).encode() for w, _ in ws], dtype="S")
        for w, a in ws:
            lg.create_dataset("l/%s:0" % w, data=a)
    meta, g, tensors = t.convert(path2)
    if g is not None:
        t.check(g["inputs"] == [{"name": "l_input", "dtype": "float32", "shape": [7, 3]}], "seq-dim %s" % g["inputs"])
        t.layer(g, "l", cell="gru", reset_after=False, return_sequences=False)
    # Keras 3 Sequential with an InputLayer (batch_shape), hard_sigmoid -> Keras 3 form
    m = Model("k3seq", sequential=True)
    m.input("inp", [None, 3])
    m.add("LSTM", "l", None, lstm, units=2, return_sequences=True, recurrent_activation="hard_sigmoid")
    m.add("Attention", "att", None, [("W", rnd(2)), ("b", rnd(6))], bias=True)
    meta, g, tensors = t.convert(m.save_keras(t.path("k3seq.keras")))
    if g is not None:
        # the attention bias [T] fixes T and is written into the input shape
        t.check(g["inputs"] == [{"name": "inp", "dtype": "float32", "shape": [6, 3]}], "k3seq: %s" % g["inputs"])
        t.check(g["max_steps"] == 6, "k3seq: max_steps %s" % g["max_steps"])
        t.layer(g, "l", recurrent_activation={"name": "hard_sigmoid_keras3"}, zero_output_for_mask=False)
        t.layer(g, "att", op="attention_pool", form="eps", epsilon=1e-07, bias=True)
        t.check(g["outputs"] == ["att"], "k3seq: outputs %s" % g["outputs"])


def test_version_rules(t):
    """zero_output_for_mask, hard_sigmoid and masked average pooling by the
    Keras that saved the model (python/arnn/converter.py docstring)."""
    for text, default, modern, gap, major in (("2.1.6", 2, False, False, 2), ("2.2.4", 2, False, True, 2),
                                              ("2.3.1", 2, False, True, 2), ("2.2.4-tf", 2, True, True, 2),
                                              ("2.4.0", 2, True, True, 2), ("2.15.0", 2, True, True, 2),
                                              ("3.9.2", 3, True, True, 3), (None, 3, True, True, 3)):
        v = ac.KerasVersion(text, default)
        t.check((v.modern, v.gap_masked, v.major) == (modern, gap, major),
                "version %s: modern %s gap_masked %s major %s" % (text, v.modern, v.gap_masked, v.major))
    for version, zero_bi, zero_uni in (("2.2.4", False, False), ("2.9.0", True, True), ("3.3.3", True, True)):
        m = Model("z")
        m.input("ids", [4], "int32")
        m.add("Embedding", "e", "ids", [("embeddings", rnd(5, 2))], input_dim=5, output_dim=2, mask_zero=True)
        m.add("Bidirectional", "b", "e", bi_w(2, 2), merge_mode="ave", layer={
            "class_name": "LSTM", "config": {"name": "l", "units": 2, "return_sequences": True}})
        m.add("LSTM", "u", "b", lstm_w(2, 2), units=2, return_sequences=True, zero_output_for_mask=True)
        m.add("Bidirectional", "last", "u", bi_w(2, 2), merge_mode="mul", layer={
            "class_name": "LSTM", "config": {"name": "l2", "units": 2, "return_sequences": False}})
        m.outputs = ["last"]
        path = m.save_keras(t.path("z.keras"), version) if version[0] == "3" else m.save_h5(t.path("z.h5"), version)
        meta, g, tensors = t.convert(path)
        if g is None:
            continue
        t.layer(g, "b", zero_output_for_mask=zero_bi, merge_mode="ave")
        t.layer(g, "u", zero_output_for_mask=zero_uni)
        t.layer(g, "last", zero_output_for_mask=False, merge_mode="mul", return_sequences=False)


def seq_h5(path, layers, weights, version=b"2.2.4"):
    """A Keras 2.2-style Sequential .h5 (config = list of layers)."""
    with h5py.File(path, "w") as h:
        h.attrs["keras_version"] = version
        h.attrs["model_config"] = json.dumps({"class_name": "Sequential", "config": layers}).encode()
        g = h.create_group("model_weights")
        g.attrs["layer_names"] = np.array([l["config"]["name"].encode() for l in layers], dtype="S")
        for l in layers:
            n = l["config"]["name"]
            ws = weights.get(n, [])
            lg = g.create_group(n)
            lg.attrs["weight_names"] = (np.array([("%s/%s:0" % (n, w)).encode() for w, _ in ws], dtype="S") if ws
                                        else np.array([], dtype=np.float64))
            for w, a in ws:
                lg.create_dataset("%s/%s:0" % (n, w), data=a)
    return path


def test_inputs_and_limits(t):
    """input_shape on the first layer; sizes outside what arnn loads are refused."""
    w = {"d": [("kernel", rnd(4, 2)), ("bias", rnd(2))]}
    path = seq_h5(t.path("inshape.h5"), [{"class_name": "Dense", "config": {"name": "d", "units": 2,
                                                                            "input_shape": [4]}}], w)
    meta, g, tensors = t.convert(path)
    if g is not None:
        t.check(g["inputs"] == [{"name": "d_input", "dtype": "float32", "shape": [4]}] and g["max_steps"] == 1,
                "inshape: %s %s" % (g["inputs"], g["max_steps"]))
    path = seq_h5(t.path("wide.h5"), [{"class_name": "Dense", "config": {
        "name": "d", "units": 2, "batch_input_shape": [None, 70000]}}], {})
    t.refused(path, ["70000 features"])
    path = seq_h5(t.path("long.h5"), [{"class_name": "Dense", "config": {
        "name": "d", "units": 2, "batch_input_shape": [None, 70000, 4]}}], w)
    t.refused(path, ["70000 steps"])
    path = seq_h5(t.path("nofeat.h5"), [{"class_name": "Dense", "config": {
        "name": "d", "units": 2, "batch_input_shape": [None, None]}}], w)
    t.refused(path, ["unknown feature size"])
    path = seq_h5(t.path("maxsteps.h5"), [{"class_name": "Dense", "config": {
        "name": "d", "units": 2, "batch_input_shape": [None, 8, 4]}}], w)
    t.refused(path, ["--max-steps 9", "fixed at 8"], max_steps=9)


def test_late_steps(t):
    """An attention step_dim deep in the graph fixes an input saved without a
    length, even past layers that needed it (converted again with T known);
    without it, a per-call length on a features axis is refused."""
    for sd in (5, None):
        m = Model("late")
        m.input("x", [None, 3])
        m.add("LSTM", "l", "x", lstm_w(3, 2), units=2, return_sequences=True)
        m.add("Permute", "p1", "l", dims=[2, 1])
        m.add("Permute", "p2", "p1", dims=[2, 1])
        m.add("Attention", "att", "p2", [("W", rnd(2))], bias=False, step_dim=sd)
        m.outputs = ["att"]
        path = m.save_h5(t.path("late.h5"))
        if sd:
            meta, g, tensors = t.convert(path)
            if g is not None:
                t.check(g["inputs"][0]["shape"] == [5, 3] and g["max_steps"] == 5, "late: %s" % g["inputs"])
                t.layer(g, "att", bias=False)
        else:
            t.refused(path, ["'p1' (Permute)", "features axis"])


def test_deep_chain(t):
    """A 1500-layer functional chain (deeper than Python's recursion limit)."""
    m = Model("deep")
    prev = m.input("x", [2])
    for i in range(1500):
        prev = m.add("Dense", "d%d" % i, prev, [("kernel", rnd(2, 2)), ("bias", rnd(2))], units=2)
    m.outputs = [prev]
    meta, g, tensors = t.convert(m.save_h5(t.path("deep.h5")))
    if g is not None:
        t.check(len(g["layers"]) == 1500 and g["layers"][-1]["inputs"] == ["d1498"], "deep: %d layers"
                % len(g["layers"]))


def test_cudnn_and_activations(t):
    m = Model("cudnn")
    m.input("x", [5, 3])
    k = rnd(3, 8)
    rk = rnd(2, 8)
    b = rnd(16)
    m.add("CuDNNLSTM", "cl", "x", [("kernel", k), ("recurrent_kernel", rk), ("bias", b)], units=2,
          return_sequences=True)
    m.add("Dense", "g1", "cl", [("kernel", rnd(2, 2)), ("bias", rnd(2))], units=2,
          activation={"class_name": "gelu", "config": {"approximate": True}})
    m.add("Dense", "g2", "g1", [("kernel", rnd(2, 2)), ("bias", rnd(2))], units=2, activation="elu")
    m.add("Dense", "g3", "g2", [("kernel", rnd(2, 2)), ("bias", rnd(2))], units=2, activation="softmax")
    m.outputs = ["g3"]
    meta, g, tensors = t.convert(m.save_h5(t.path("cudnn.h5"), "2.2.4"))
    if g is None:
        return
    kk, rr, bb = ac.cudnn_to_plain(k.astype(np.float64), rk.astype(np.float64), b.astype(np.float64), 4)
    t.tensor(tensors, "cl/forward/kernel", kk)
    t.tensor(tensors, "cl/forward/bias", bb)
    t.layer(g, "cl", recurrent_activation={"name": "sigmoid"}, use_bias=True, reset_after=False)
    # a CuDNN kernel block is the transpose of an [H, E] row-major matrix, not the plain block
    t.check(not np.allclose(tensors["cl/forward/kernel"], k), "cudnn: kernel passed through unconverted")
    t.layer(g, "g1", activation={"name": "gelu_tanh"})
    t.layer(g, "g2", activation={"name": "elu", "alpha": 1.0})
    t.layer(g, "g3", activation={"name": "softmax", "axis": 1})


def test_refusals(t):
    """Every unsupported layer is listed in one refusal."""
    m = Model("bad")
    m.input("x", [6, 3])
    m.add("Lambda", "lam", "x", function=["AAAA", None, None], function_type="lambda")
    m.add("MyLayer", "mine", "lam")
    m.add("Bidirectional", "bi", "mine", [], merge_mode=None,
          layer={"class_name": "LSTM", "config": {"name": "l", "units": 2, "return_sequences": True}})
    m.add("GRU", "gs", "x", [], units=2, return_state=True)
    m.add("Conv1D", "cg", "x", [], filters=4, kernel_size=[2], groups=2)
    m.add("Conv2D", "c2", "x", [], filters=4, kernel_size=[2, 2])
    m.add("GlobalAveragePooling1D", "gk", "x", keepdims=True)
    m.add("BatchNormalization", "bn1", "x", [("gamma", rnd(6)), ("beta", rnd(6)), ("moving_mean", rnd(6)),
                                             ("moving_variance", rnd(6))], axis=1)
    m.add("Dense", "ok", "x", [("kernel", rnd(3, 2)), ("bias", rnd(2))], units=2)
    m.outputs = ["bi", "gs", "cg", "c2", "gk", "bn1", "ok"]
    for k3 in (False, True):
        path = m.save_keras(t.path("bad.keras")) if k3 else m.save_h5(t.path("bad.h5"))
        msg = t.refused(path, ["'lam' (Lambda): Lambda holds Python code", "'mine' (MyLayer): custom class MyLayer",
                               "'bi' (Bidirectional): Bidirectional merge_mode=None", "'gs' (GRU)", "return_state",
                               "'cg' (Conv1D): groups=2", "'c2' (Conv2D)", "'gk' (GlobalAveragePooling1D): keepdims",
                               "'bn1' (BatchNormalization): axis 1 is not the last axis", "8 layers"])
        t.check("'ok'" not in msg, "refusal names a supported layer: %s" % msg)
    # unsupported layers inside a nested model fed by a refused layer are listed too
    inner = Model("inner_bad", sequential=True)
    inner.add("Lambda", "inner_lam", None, function=["AAAA", None, None])
    inner.add("Dense", "inner_ok", None, [("kernel", rnd(3, 2)), ("bias", rnd(2))], units=2)
    m = Model("outer_bad")
    m.input("x", [3])
    m.add("MyLayer", "mine", "x")
    m.nest(inner, "mine")
    m.outputs = ["inner_bad"]
    for k3 in (False, True):
        path = m.save_keras(t.path("nested-bad.keras")) if k3 else m.save_h5(t.path("nested-bad.h5"))
        t.refused(path, ["2 layers", "'mine' (MyLayer)", "'inner_lam' (Lambda)"])
    # a shared layer (called twice) is refused by name
    m = Model("shared")
    m.input("a", [3])
    m.input("b", [3])
    m.add("Dense", "sh", "a", [("kernel", rnd(3, 3)), ("bias", rnd(3))], units=3)
    m.outputs = ["sh"]
    cfg = m.config(False)
    cfg["config"]["layers"][2]["inbound_nodes"].append([["b", 0, 0, {}]])
    path = m.save_h5(t.path("shared.h5"))
    with h5py.File(path, "a") as h:
        h.attrs["model_config"] = json.dumps(cfg).encode()
    t.refused(path, ["'sh' (Dense)", "shared layer"])
    # input length conflicts and per-step weights on open-length steps
    m = Model("conflict")
    m.input("x", [None, 2])
    m.add("Conv1D", "cv", "x", [("kernel", rnd(3, 2, 2)), ("bias", rnd(2))], filters=2, kernel_size=[3])
    m.add("Attention", "att", "cv", [("W", rnd(2)), ("b", rnd(4))], bias=True)
    m.outputs = ["att"]
    t.refused(m.save_h5(t.path("conflict.h5")), ["'att' (Attention)", "fixed number of steps"])


def model_attention():
    """Attention (dot, concat, 3 inputs, causal ctor/kwarg, scores), AdditiveAttention
    and MultiHeadAttention (value/key by keyword in Keras 2, positional in Keras 3)."""
    m = Model("att")
    m.input("ids", [8], "int32")
    m.input("x", [8, 4])
    m.add("Embedding", "emb", "ids", [("embeddings", rnd(20, 4))], input_dim=20, output_dim=4, mask_zero=True)
    m.add("Attention", "a_dot", ["emb", "emb"], [], use_scale=False, score_mode="dot", dropout=0.0)
    sc, cw = np.array(0.7, np.float32), np.array(1.3, np.float32)
    m.add("Attention", "a_cat", ["x", "emb", "x"], [("scale", sc), ("concat_score_weight", cw)],
          call={"use_causal_mask": True, "return_attention_scores": True}, use_scale=True, score_mode="concat",
          dropout=0.0)
    m.add("Attention", "a_old", ["x", "x"], [], causal=True, dropout=0.0, use_scale=False)
    ad = rnd(4)
    m.add("AdditiveAttention", "add", ["x", "emb"], [("scale", ad)], call={"return_attention_scores": True},
          use_scale=True, dropout=0.0)
    m.add("AdditiveAttention", "add2", ["x", "x"], [], use_scale=False, dropout=0.0)
    mw = [("query/kernel", rnd(4, 2, 3)), ("query/bias", rnd(2, 3)), ("key/kernel", rnd(4, 2, 3)),
          ("key/bias", rnd(2, 3)), ("value/kernel", rnd(4, 2, 5)), ("value/bias", rnd(2, 5)),
          ("attention_output/kernel", rnd(2, 5, 6)), ("attention_output/bias", rnd(6))]
    m.add("MultiHeadAttention", "mha", "x", mw, kw_tensors={"value": "emb"},
          call={"use_causal_mask": True, "return_attention_scores": True}, num_heads=2, key_dim=3, value_dim=5,
          use_bias=True, output_shape=[6], attention_axes=None, dropout=0.0)
    mw2 = [("query/kernel", rnd(4, 4, 2)), ("key/kernel", rnd(4, 4, 2)), ("value/kernel", rnd(4, 4, 2)),
           ("attention_output/kernel", rnd(4, 2, 4))]
    m.add("MultiHeadAttention", "mha2", "x", mw2, kw_tensors={"value": "x", "key": "emb"}, num_heads=4, key_dim=2,
          value_dim=None, use_bias=False, output_shape=None, attention_axes=[1], dropout=0.0)
    m.outputs = ["a_dot", "a_cat", "a_cat:1", "a_old", "add", "add:1", "add2", "mha", "mha:1", "mha2"]
    return m, {"sc": sc, "cw": cw, "ad": ad, "mw": mw, "mw2": mw2}


def test_attention(t):
    for k3 in (False, True):
        m, w = model_attention()
        if k3:
            # Keras 3 calls MultiHeadAttention with query and value positionally
            for l in m.layers:
                if l.cls == "MultiHeadAttention":
                    l.inputs = [l.inputs[0], l.kw_tensors.pop("value")]
            m.layers = [l for l in m.layers if l.name != "a_old"]  # Keras 3 has no `causal` argument
            m.outputs = [o for o in m.outputs if o != "a_old"]
        path = m.save_keras(t.path("att.keras"), "3.10.1") if k3 else m.save_h5(t.path("att.h5"), "2.15.0")
        meta, g, tensors = t.convert(path)
        if g is None:
            continue
        t.check(g["outputs"] == m.outputs, "att: outputs %s" % g["outputs"])
        t.layer(g, "a_dot", op="dot_attention", inputs=["emb", "emb"], score_mode="dot", use_scale=False,
                causal=False, return_scores=False)
        t.layer(g, "a_cat", op="dot_attention", inputs=["x", "emb", "x"], score_mode="concat", use_scale=True,
                causal=True, return_scores=True)
        t.tensor(tensors, "a_cat/scale", [0.7])
        t.tensor(tensors, "a_cat/concat_score_weight", [1.3])
        if not k3:
            t.layer(g, "a_old", op="dot_attention", causal=True, return_scores=False)
        t.layer(g, "add", op="additive_attention", inputs=["x", "emb"], use_scale=True, causal=False,
                return_scores=True)
        t.tensor(tensors, "add/scale", w["ad"])
        t.layer(g, "add2", op="additive_attention", use_scale=False)
        t.check("add2/scale" not in tensors, "att: add2 has a scale tensor")
        t.layer(g, "mha", op="mha", inputs=["x", "emb"], num_heads=2, key_dim=3, value_dim=5, use_bias=True,
                output_dim=6, causal=True, return_scores=True, empty_rows="zero" if k3 else "uniform")
        for (n, a), p in zip(w["mw"], ("query/kernel", "query/bias", "key/kernel", "key/bias", "value/kernel",
                                       "value/bias", "output/kernel", "output/bias")):
            t.tensor(tensors, "mha/" + p, a)
        t.layer(g, "mha2", op="mha", inputs=["x", "x", "emb"], num_heads=4, key_dim=2, value_dim=2, use_bias=False,
                output_dim=4, causal=False, return_scores=False, empty_rows="uniform")
        t.tensor(tensors, "mha2/output/kernel", w["mw2"][3][1])
        t.check("mha2/query/bias" not in tensors, "att: mha2 has biases")


def test_custom_attention(t):
    """The custom attention forms: by class name and weight shapes, --custom, refusals."""
    def model(cls, weights, T=8, mask=True, **cfg):
        m = Model("c")
        m.input("ids", [T], "int32")
        m.add("Embedding", "emb", "ids", [("embeddings", rnd(20, 4))], input_dim=20, output_dim=4, mask_zero=mask)
        m.add(cls, "att", "emb", weights, **cfg)
        m.add("Dense", "out", "att", [("kernel", rnd(4, 1)), ("bias", rnd(1))], units=1)
        m.outputs = ["out"]
        return m
    W, b, u = rnd(4, 6), rnd(6), rnd(6, 1)
    for k3 in (False, True):
        def save(m, name):
            return m.save_keras(t.path(name + ".keras")) if k3 else m.save_h5(t.path(name + ".h5"))
        meta, g, tensors = t.convert(save(model("AttentionWithContext", [("W", W), ("b", b), ("u", u[:, 0])],
                                                bias=True), "awc"))
        if g:
            t.layer(g, "att", op="context_attention", form="eps", epsilon=1e-07, use_bias=True)
            t.tensor(tensors, "att/kernel", W)
            t.tensor(tensors, "att/bias", b)
            t.tensor(tensors, "att/context", u[:, 0])
        meta, g, tensors = t.convert(save(model("AttLayer", [("W", W), ("u", u)], bias=False), "attlayer"))
        if g:
            t.layer(g, "att", op="context_attention", form="eps", use_bias=False)
            t.tensor(tensors, "att/context", u[:, 0])
        # an unknown name with the context weights: refused until the form is stated
        path = save(model("SentenceAttention", [("W", W), ("b", b), ("u", u)]), "sent")
        t.refused(path, ["'att' (SentenceAttention)", "--custom SentenceAttention=context-softmax"])
        meta, g, tensors = t.convert(path, custom=["SentenceAttention=context-softmax"])
        if g:
            t.layer(g, "att", op="context_attention", form="softmax", use_bias=True)
        meta, g, tensors = t.convert(path, custom={"SentenceAttention": "context-eps"})
        if g:
            t.layer(g, "att", op="context_attention", form="eps")
        # the attention pooling under any name (eps: W [F], b [T]; softmax: W [F, 1], b [T, 1])
        meta, g, tensors = t.convert(save(model("AttentionPooling", [("W", rnd(4)), ("b", rnd(8))]), "pool"))
        if g:
            t.layer(g, "att", op="attention_pool", form="eps", bias=True)
        meta, g, tensors = t.convert(save(model("Attention_layer", [("W", rnd(4, 1)), ("b", rnd(8, 1))], mask=False),
                                          "pool3"))
        if g:
            t.layer(g, "att", op="attention_pool", form="softmax", bias=True)
        meta, g, tensors = t.convert(save(model("Attention_layer", [("W", rnd(4, 1))], mask=False), "pool4"),
                                     custom=["Attention_layer=eps"])
        if g:
            t.layer(g, "att", op="attention_pool", form="eps", bias=False)
        # stated forms that do not fit the weights, unknown forms, weights of no known form
        t.refused(save(model("AttentionPooling", [("W", rnd(4)), ("b", rnd(8))]), "pool5"),
                  ["'att' (AttentionPooling)", "do not fit the context form"], custom=["AttentionPooling=context-eps"])
        t.refused(path, ["--custom", "expected CLASS=FORM"], custom=["SentenceAttention=dot"])
        t.refused(save(model("Weird", [("W", rnd(4, 3, 2))]), "weird"), ["'att' (Weird): custom class Weird unknown",
                                                                          "--custom Weird=FORM"])
        t.refused(save(model("AttentionWithContext", [("W", rnd(4, 6)), ("b", rnd(5)), ("u", rnd(6))]), "awc-bad"),
                  ["'att' (AttentionWithContext)", "do not fit the context form"])


def test_attention_refusals(t):
    m = Model("attbad")
    m.input("x", [6, 4])
    m.input("y", [6, 3])
    m.add("Masking", "mk", "x", mask_value=0.0)
    m.add("Attention", "one", ["x"], [], use_scale=False, score_mode="dot")
    m.add("Attention", "dims", ["x", "y"], [], use_scale=False, score_mode="dot")
    m.add("Attention", "mode", ["x", "x"], [], use_scale=False, score_mode="general")
    m.add("Attention", "keymask", ["x", "x", "mk"], [], use_scale=False, score_mode="dot")
    m.add("AdditiveAttention", "adds", ["x", "x"], [("scale", rnd(3))], use_scale=True)
    mw = [("query/kernel", rnd(4, 2, 3)), ("key/kernel", rnd(4, 2, 3)), ("value/kernel", rnd(4, 2, 3)),
          ("attention_output/kernel", rnd(2, 3, 4))]
    m.add("MultiHeadAttention", "axes", "x", mw, kw_tensors={"value": "x"}, num_heads=2, key_dim=3, use_bias=False,
          attention_axes=[2])
    m.add("MultiHeadAttention", "oshape", "x", mw, kw_tensors={"value": "x"}, num_heads=2, key_dim=3,
          use_bias=False, output_shape=[2, 2])
    m.add("MultiHeadAttention", "amask", "x", mw, kw_tensors={"value": "x", "attention_mask": "x"}, num_heads=2,
          key_dim=3, use_bias=False)
    m.add("MultiHeadAttention", "wshape", "x", mw, kw_tensors={"value": "x"}, num_heads=2, key_dim=4,
          use_bias=False)
    m.add("MultiHeadAttention", "nbias", "x", mw, kw_tensors={"value": "x"}, num_heads=2, key_dim=3, use_bias=True)
    m.add("Dense", "ok", "x", [("kernel", rnd(4, 2)), ("bias", rnd(2))], units=2)
    m.outputs = ["one", "dims", "mode", "keymask", "adds", "axes", "oshape", "amask", "wshape", "nbias", "ok"]
    msg = t.refused(m.save_h5(t.path("attbad.h5")), [
        "10 layers", "'one' (Attention): Keras's built-in dot-product Attention needs [query, value]",
        "'dims' (Attention): query features 4 and key features 3 differ", "'mode' (Attention): score_mode 'general'",
        "'keymask' (Attention): its key input carries a mask", "'adds' (AdditiveAttention): expected weights scale [4]",
        "'axes' (MultiHeadAttention): attention_axes [2]", "'oshape' (MultiHeadAttention): output_shape [2, 2]",
        "'amask' (MultiHeadAttention): is called with tensor arguments attention_mask",
        "'wshape' (MultiHeadAttention): weights do not match", "'nbias' (MultiHeadAttention): expected 8 weights"])
    t.check("'ok'" not in msg, "attention refusal names a supported layer: %s" % msg)
    # scores over steps known only per call
    m = Model("attopen")
    m.input("x", [None, 4])
    m.add("Attention", "att", ["x", "x"], [], use_scale=False, score_mode="dot",
          call={"return_attention_scores": True})
    m.outputs = ["att", "att:1"]
    t.refused(m.save_h5(t.path("attopen.h5")), ["'att' (Attention)", "per-call length"])


def test_real_files(t, real):
    if not real or not os.path.isdir(real):
        print("skip real Keras files: %s not found" % real)
        return
    expect = {
        "anushree_bilstm_model.h5": ["embedding", "rnn", "dense"],
        "camps_lstm.h5": ["embedding", "conv1d", "pool1d", "rnn", "dense"],
        "logshield_bilstm_attention.h5": ["embedding", "rnn", "dense", "activation", "permute", "dot", "flatten",
                                          "global_pool1d", "merge", "dense", "dense", "dense"],
        "vinod_hybrid_model.keras": ["conv1d", "rnn", "batch_norm", "rnn", "dense", "dense"],
        "kevin_lstm_model.h5": ["rnn", "activation", "batch_norm", "rnn", "activation", "dense", "activation"],
    }
    for f, ops in expect.items():
        meta, g, tensors = t.convert(os.path.join(real, f))
        if g is None:
            continue
        got = [l["op"] for l in g["layers"]]
        t.check(got == ops, "%s: ops %s, expected %s" % (f, got, ops))
        print("ok   real %-32s %s" % (f, " -> ".join(got)))
    meta, g, tensors = t.convert(os.path.join(real, "logshield_bilstm_attention.h5"))
    if g:
        t.layer(g, "bilstm", zero_output_for_mask=True, merge_mode="concat")
        t.layer(g, "attention_weights", activation={"name": "softmax", "axis": 0})
        t.layer(g, "attention_weighted_sum", axes=[1, 0], inputs=["attention_transpose", "bilstm"])
        t.check(g["inputs"] == [{"name": "char_input", "dtype": "ids", "shape": [512]}], "logshield inputs")
    meta, g, tensors = t.convert(os.path.join(real, "kevin_lstm_model.h5"))
    if g:
        t.check(g["inputs"][0]["shape"] == [None, 1] and g["max_steps"] == 65536, "kevin inputs %s" % g["inputs"])
        t.layer(g, "lstm_4", recurrent_activation={"name": "hard_sigmoid_keras2"})
    msg = t.refused(os.path.join(real, "kevin_model_attention.h5"), ["Lambda", "'dim_reduction'", "Merge"])
    print("ok   real kevin_model_attention.h5 refused: %s" % msg.replace("\n", " | "))


def default_real_dir():
    return os.environ.get("ARNN_REAL_KERAS") or os.path.join(ROOT, "..", "shared", "real-keras")


def run(check, workdir, real=None):
    os.makedirs(workdir, exist_ok=True)
    check = Check(check)
    t = T(check, workdir)
    for fn in (test_text, test_signal, test_merges, test_nested, test_sequential_forms, test_version_rules,
               test_inputs_and_limits, test_late_steps, test_deep_chain,
               test_cudnn_and_activations, test_refusals, test_attention, test_custom_attention,
               test_attention_refusals):
        before = check.failures
        fn(t)
        print("%s graph %s" % ("ok  " if check.failures == before else "FAIL", fn.__name__))
    test_real_files(t, real)


class Check:
    """Counts failures; forwards them to an outer check function when given."""

    def __init__(self, outer=None):
        self.failures = 0
        self.outer = outer

    def __call__(self, cond, msg):
        if not cond:
            self.failures += 1
            if self.outer is not None:
                self.outer(cond, msg)
            else:
                print("FAIL: " + msg)
        return cond


def main(argv):
    real = argv[argv.index("--real-keras") + 1] if "--real-keras" in argv else default_real_dir()
    workdir = argv[argv.index("--workdir") + 1] if "--workdir" in argv else tempfile.mkdtemp(prefix="arnn-graph-")
    os.makedirs(workdir, exist_ok=True)
    check = Check()
    run(check, workdir, real)
    print("%d failures" % check.failures)
    return 1 if check.failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
