#!/usr/bin/python3
"""The attention models of the Keras reference suite: Keras Attention,
AdditiveAttention, MultiHeadAttention and the custom attention classes of
docs/custom-attention.md. TensorFlow.js has none of them, so their configs are
written here directly in the tf.keras 2.x JSON form (write-keras.py turns them
into the Keras 3 form), with seeded weights and inputs, and numpy_ref.py is
their reference (doc["ref"] = "numpy").

Each model becomes DUMPDIR/<name>.json in the make-models.js dump format
(config, weights with their tf.keras names, inputs, "tfjs": null) plus
  custom          custom class -> form, for numpy_ref
  convert_custom  the --custom CLASS=FORM a user states for the converter
  k3_version      the Keras 3 version its .keras files say (default write-keras.py's)
and its name is appended to DUMPDIR/models.json (created if missing).

usage: make-attention-models.py DUMPDIR [--only NAME,...]
"""
import json
import math
import os
import sys

import numpy as np

B = 3
ALL = ["tf2_h5", "tf2_weights", "k3_keras", "k3_weights"]
H5_K3 = ["tf2_h5", "k3_keras"]
TF2 = ["tf2_h5"]


class Net:
    """A functional model in tf.keras 2.x config form."""

    def __init__(self, name, seed, batch=B):
        self.name = name
        self.rng = np.random.default_rng(seed)
        self.layers, self.weights, self.inputs, self.in_names, self.outputs = [], [], [], [], []
        self.batch = batch

    @staticmethod
    def ref(r):
        n, _, t = r.partition(":")
        return [n, 0, int(t) if t else 0]

    def input_ids(self, name, T, V, pad=True, all_masked=False):
        self.layers.append({"class_name": "InputLayer", "name": name, "inbound_nodes": [], "config": {
            "batch_input_shape": [None, T], "dtype": "int32", "sparse": False, "ragged": False, "name": name}})
        ids = self.rng.integers(1, V, size=(self.batch, T))
        if pad:
            ids[0, :2] = 0                  # front padding
            ids[1, T - 2:] = 0              # back padding
            ids[2, T // 2] = 0              # a hole inside the sequence
        if all_masked:
            ids[-1, :] = 0                  # nothing to attend to
        self.inputs.append({"dtype": "int32", "shape": [self.batch, T], "data": ids.ravel().tolist()})
        self.in_names.append(name)
        return name

    def input_float(self, name, shape, sd=1.0):
        self.layers.append({"class_name": "InputLayer", "name": name, "inbound_nodes": [], "config": {
            "batch_input_shape": [None] + shape, "dtype": "float32", "sparse": False, "ragged": False,
            "name": name}})
        x = self.rng.normal(0, sd, size=[self.batch] + shape).astype(np.float32)
        self.inputs.append({"dtype": "float32", "shape": [self.batch] + shape, "data": x.ravel().tolist()})
        self.in_names.append(name)
        return name

    def add(self, cls, name, ins, config=None, weights=(), call=None, kw_tensors=None):
        """ins: the first call argument (a name, or a list for list-taking
        layers); kw_tensors: tensor kwargs (MultiHeadAttention value/key);
        call: the call's other keyword arguments."""
        c = {"name": name, "trainable": True, "dtype": "float32"}
        c.update(config or {})
        kw = dict(call or {})
        for k, v in (kw_tensors or {}).items():
            kw[k] = self.ref(v)
        first = ins if isinstance(ins, list) else [ins]
        self.layers.append({"class_name": cls, "name": name, "config": c,
                            "inbound_nodes": [[self.ref(r) + [kw] for r in first]]})
        for param, keras_name, arr in weights:
            a = np.asarray(arr, dtype=np.float32)
            self.weights.append({"layer": name, "keras_name": keras_name, "param": param, "shape": list(a.shape),
                                 "data": a.ravel().tolist()})
        return name

    # ---- weights

    def normal(self, shape, sd):
        return self.rng.normal(0, sd, size=shape)

    def kernel(self, fan_in, shape, scale=1.0):
        return self.normal(shape, scale / math.sqrt(fan_in))

    # ---- layers

    def embedding(self, name, ids, V, E, mask_zero, T):
        return self.add("Embedding", name, ids, {"batch_input_shape": [None, T], "input_dim": V, "output_dim": E,
                                                 "mask_zero": mask_zero, "input_length": T},
                        [("embeddings", "%s/embeddings:0" % name, self.normal((V, E), 0.8))])

    def rnn_config(self, cell, name, H, rs=True):
        c = {"name": name, "trainable": True, "dtype": "float32", "units": H, "return_sequences": rs,
             "return_state": False, "go_backwards": False, "stateful": False, "unroll": False, "time_major": False,
             "zero_output_for_mask": False, "activation": "tanh", "recurrent_activation": "sigmoid",
             "use_bias": True, "dropout": 0.0, "recurrent_dropout": 0.0, "implementation": 2}
        if cell == "LSTM":
            c["unit_forget_bias"] = True
        if cell == "GRU":
            c["reset_after"] = True
        return c

    def rnn_weights(self, cell, F, H, prefix):
        G = {"LSTM": 4, "GRU": 3}[cell]
        cname = {"LSTM": "lstm_cell", "GRU": "gru_cell"}[cell]
        b = self.normal((2, G * H) if cell == "GRU" else (G * H,), 0.3)
        return [("kernel", "%s/%s/kernel:0" % (prefix, cname), self.kernel(F, (F, G * H))),
                ("recurrent_kernel", "%s/%s/recurrent_kernel:0" % (prefix, cname),
                 self.normal((H, G * H), 0.9 / math.sqrt(H))),
                ("bias", "%s/%s/bias:0" % (prefix, cname), b)]

    def bidirectional(self, name, x, cell, F, H):
        inner = cell.lower()
        w = [("forward/" + p, n, a) for p, n, a in self.rnn_weights(cell, F, H, "%s/forward_%s" % (name, inner))]
        w += [("backward/" + p, n, a) for p, n, a in self.rnn_weights(cell, F, H, "%s/backward_%s" % (name, inner))]
        return self.add("Bidirectional", name, x, {"layer": {"class_name": cell, "config": self.rnn_config(
            cell, inner, H)}, "merge_mode": "concat"}, w)

    def lstm(self, name, x, F, H):
        return self.add("LSTM", name, x, self.rnn_config("LSTM", name, H), self.rnn_weights("LSTM", F, H, name))

    def dense(self, name, x, F, units, activation="linear", use_bias=True):
        w = [("kernel", "%s/kernel:0" % name, self.kernel(F, (F, units), 1.5 if activation != "linear" else 1.0))]
        if use_bias:
            w.append(("bias", "%s/bias:0" % name, self.normal((units,), 0.3)))
        return self.add("Dense", name, x, {"units": units, "activation": activation, "use_bias": use_bias}, w)

    def gap(self, name, x):
        return self.add("GlobalAveragePooling1D", name, x, {"data_format": "channels_last", "keepdims": False})

    def attention(self, name, ins, use_scale=False, score_mode="dot", call=None, causal_ctor=None, scale=None):
        c = {"use_scale": use_scale, "score_mode": score_mode, "dropout": 0.0}
        if causal_ctor is not None:   # tf.keras <= 2.9 config: `causal`, no score_mode
            c = {"causal": causal_ctor, "dropout": 0.0, "use_scale": use_scale}
        w = []
        if use_scale:
            w.append(("scale", "%s/scale:0" % name, np.array(scale if scale is not None else 0.7)))
        if score_mode == "concat":
            w.append(("concat_score_weight", "%s/concat_score_weight:0" % name, np.array(0.8)))
        return self.add("Attention", name, ins, c, w, call)

    def additive(self, name, ins, D, use_scale=True, call=None):
        w = [("scale", "%s/scale:0" % name, self.normal((D,), 0.6))] if use_scale else []
        return self.add("AdditiveAttention", name, ins, {"use_scale": use_scale, "dropout": 0.0}, w, call)

    def mha(self, name, q, v, Dq, Dv, heads, key_dim, value_dim=None, use_bias=True, output_shape=None, key=None,
            Dk=None, call=None, Tq=None, Tv=None):
        dv = value_dim or key_dim
        Dk = Dk or Dv
        Do = (output_shape[0] if isinstance(output_shape, list) else output_shape) or Dq
        w = []
        for sub, D, d in (("query", Dq, key_dim), ("key", Dk, key_dim), ("value", Dv, dv)):
            w.append((sub + "/kernel", "%s/%s/kernel:0" % (name, sub), self.kernel(D, (D, heads, d))))
            if use_bias:
                w.append((sub + "/bias", "%s/%s/bias:0" % (name, sub), self.normal((heads, d), 0.3)))
        w.append(("output/kernel", "%s/attention_output/kernel:0" % name, self.kernel(heads * dv, (heads, dv, Do))))
        if use_bias:
            w.append(("output/bias", "%s/attention_output/bias:0" % name, self.normal((Do,), 0.3)))
        c = {"num_heads": heads, "key_dim": key_dim, "value_dim": value_dim, "dropout": 0.0, "use_bias": use_bias,
             "output_shape": output_shape, "attention_axes": [1],
             "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": None}},
             "bias_initializer": {"class_name": "Zeros", "config": {}}, "kernel_regularizer": None,
             "bias_regularizer": None, "activity_regularizer": None, "kernel_constraint": None,
             "bias_constraint": None, "query_shape": [None, Tq, Dq], "key_shape": [None, Tv, Dk],
             "value_shape": [None, Tv, Dv]}
        kwt = {"value": v}
        if key is not None:
            kwt["key"] = key
        return self.add("MultiHeadAttention", name, q, c, w, call, kwt)

    def context(self, cls, name, x, F, A, bias=True, u_col=True, config=None):
        """AttentionWithContext-style weights W [F, A], b [A], u [A] (or [A, 1])."""
        w = [("W", "%s/%s_W:0" % (name, name), self.kernel(F, (F, A), 1.5))]
        if bias:
            w.append(("b", "%s/%s_b:0" % (name, name), self.normal((A,), 0.3)))
        w.append(("u", "%s/%s_u:0" % (name, name), self.kernel(A, (A, 1) if u_col else (A,), 2.0)))
        return self.add(cls, name, x, dict({"bias": bias}, **(config or {})), w)

    def pool_att(self, cls, name, x, F, T, softmax, bias=True):
        """The TextAttBiRNN (W [F], b [T]) / seed-003 (W [F, 1], b [T, 1]) attention pooling."""
        w = [("W", "%s/%s_W:0" % (name, name), self.normal((F, 1) if softmax else (F,), 0.5))]
        if bias:
            w.append(("b", "%s/%s_b:0" % (name, name), self.normal((T, 1) if softmax else (T,), 0.3)))
        c = {"bias": bias} if not softmax else {}
        if not softmax:
            c["step_dim"] = T
        return self.add(cls, name, x, c, w)

    def doc(self, layouts, custom=None, convert_custom=None, seed=0):
        def refs(names):
            return [self.ref(n) for n in names]
        cfg = {"class_name": "Functional", "config": {"name": self.name, "layers": self.layers,
                                                      "input_layers": refs(self.in_names),
                                                      "output_layers": refs(self.outputs)}}
        return {"name": self.name, "ref": "numpy", "layouts": layouts, "seed": seed, "config": cfg,
                "weights": self.weights, "inputs": self.inputs, "tfjs": None, "output_names": self.outputs,
                "custom": custom or {}, "convert_custom": convert_custom or {}}


# ---------------------------------------------------------------- the models

SPECS = []


def spec(name, layouts, custom=None, convert_custom=None, k3_version=None):
    def deco(fn):
        SPECS.append((name, layouts, custom, convert_custom, fn, k3_version))
        return fn
    return deco


@spec("att-bilstm-self", ALL)
def _(m):
    """BiLSTM -> Attention([h, h]) -> GlobalAveragePooling1D -> Dense, masked ids."""
    ids = m.input_ids("ids", 8, 20)
    e = m.embedding("emb", ids, 20, 6, True, 8)
    h = m.bidirectional("bilstm", e, "LSTM", 6, 4)
    a = m.attention("att", [h, h])
    g = m.gap("gap", a)
    m.outputs = [m.dense("out", g, 8, 1, "sigmoid")]


@spec("att-3in-scale-causal-scores", H5_K3)
def _(m):
    """Attention([q, v, k], use_causal_mask, return_attention_scores), use_scale, Dv != Dq."""
    x = m.input_float("x", [7, 5])
    q = m.dense("q", x, 5, 6)
    k = m.dense("k", x, 5, 6)
    v = m.dense("v", x, 5, 4)
    a = m.attention("att", [q, v, k], use_scale=True, scale=0.6,
                    call={"use_causal_mask": True, "return_attention_scores": True})
    m.outputs = [a, a + ":1"]


@spec("att-concat-scale-mask", H5_K3)
def _(m):
    """score_mode concat with use_scale over a masked LSTM sequence."""
    ids = m.input_ids("ids", 9, 25)
    e = m.embedding("emb", ids, 25, 5, True, 9)
    h = m.lstm("lstm", e, 5, 5)
    a = m.attention("att", [h, h], use_scale=True, score_mode="concat")
    g = m.gap("gap", a)
    m.outputs = [m.dense("out", g, 5, 3, "softmax")]


@spec("att-concat-noscale-scores", TF2)
def _(m):
    x = m.input_float("x", [6, 4])
    a = m.attention("att", [x, x], score_mode="concat", call={"return_attention_scores": True})
    m.outputs = [a, a + ":1"]


@spec("att-causal-ctor-gru", TF2)
def _(m):
    """tf.keras <= 2.9 config: Attention(causal=True), over a masked GRU (reset_after)."""
    ids = m.input_ids("ids", 7, 15)
    e = m.embedding("emb", ids, 15, 4, True, 7)
    h = m.add("GRU", "gru", e, m.rnn_config("GRU", "gru", 5), m.rnn_weights("GRU", 4, 5, "gru"))
    a = m.attention("att", [h, h], causal_ctor=True, call={"return_attention_scores": True})
    g = m.gap("gap", a)
    m.outputs = [m.dense("out", g, 5, 2, "softmax"), a + ":1"]


@spec("att-masks-all-masked", H5_K3)
def _(m):
    """Query and value masks, a sample with every step masked, the sequence
    output and the scores as model outputs."""
    m.batch = 4
    ids = m.input_ids("ids", 6, 12, all_masked=True)
    e = m.embedding("emb", ids, 12, 4, True, 6)
    a = m.attention("att", [e, e], call={"return_attention_scores": True})
    m.outputs = [a, a + ":1"]


@spec("att-value-mask-only", TF2)
def _(m):
    """Unmasked query (float input) over a masked value (ids): Tq = Tv, cross."""
    x = m.input_float("q", [6, 4])
    ids = m.input_ids("ids", 6, 12)
    e = m.embedding("emb", ids, 12, 4, True, 6)
    a = m.attention("att", [x, e], call={"return_attention_scores": True})
    m.outputs = [a, a + ":1"]


@spec("att-tq-ne-tv", H5_K3)
def _(m):
    """Tq = 4 queries (MaxPooling1D) over Tv = 8 values; AdditiveAttention alike."""
    x = m.input_float("x", [8, 4])
    p = m.add("MaxPooling1D", "pool", x, {"pool_size": [2], "strides": [2], "padding": "valid",
                                         "data_format": "channels_last"})
    a = m.attention("att", [p, x], call={"return_attention_scores": True})
    b = m.additive("add", [p, x], 4, call={"return_attention_scores": True})
    m.outputs = [a, a + ":1", b, b + ":1"]


@spec("att-mha-query-mask-only", H5_K3)
def _(m):
    """A masked query (ids) over an unmasked value (floats): Attention zeroes
    the masked query rows, MultiHeadAttention gives them no visible key."""
    ids = m.input_ids("ids", 6, 12)
    e = m.embedding("emb", ids, 12, 4, True, 6)
    x = m.input_float("v", [6, 4])
    a = m.attention("att", [e, x], call={"return_attention_scores": True})
    b = m.mha("mha", e, x, 4, 4, 3, 5, call={"return_attention_scores": True}, Tq=6, Tv=6)
    m.outputs = [a, a + ":1", b, b + ":1"]


@spec("att-mha-tq-ne-tv-causal", H5_K3)
def _(m):
    """Causal attention with Tq = 4 (MaxPooling1D) queries over Tv = 8 values:
    key j visible to query i when j <= i."""
    x = m.input_float("x", [8, 4])
    p = m.add("MaxPooling1D", "pool", x, {"pool_size": [2], "strides": [2], "padding": "valid",
                                         "data_format": "channels_last"})
    a = m.attention("att", [p, x], use_scale=True, call={"use_causal_mask": True, "return_attention_scores": True})
    b = m.mha("mha", p, x, 4, 4, 2, 3, value_dim=5, call={"use_causal_mask": True, "return_attention_scores": True},
              Tq=4, Tv=8)
    c = m.additive("add", [x, p], 4, call={"use_causal_mask": True, "return_attention_scores": True})
    m.outputs = [a, a + ":1", b, b + ":1", c, c + ":1"]


@spec("mha-key-mask", TF2)
def _(m):
    """A separate key input with its own mask (Keras ANDs it into the attention mask)."""
    x = m.input_float("x", [6, 4])
    ids = m.input_ids("ids", 6, 12)
    k = m.embedding("emb", ids, 12, 3, True, 6)
    a = m.mha("mha", x, x, 4, 4, 2, 3, key=k, Dk=3, call={"return_attention_scores": True}, Tq=6, Tv=6)
    m.outputs = [a, a + ":1"]


@spec("att-t1", TF2)
def _(m):
    x = m.input_float("x", [1, 3])
    a = m.attention("att", [x, x], call={"use_causal_mask": True})
    b = m.mha("mha", x, x, 3, 3, 2, 3, Tq=1, Tv=1)
    m.outputs = [a, b]


@spec("additive-bilstm", ALL)
def _(m):
    ids = m.input_ids("ids", 8, 20)
    e = m.embedding("emb", ids, 20, 5, True, 8)
    h = m.bidirectional("bilstm", e, "LSTM", 5, 3)
    a = m.additive("att", [h, h], 6)
    g = m.gap("gap", a)
    m.outputs = [m.dense("out", g, 6, 1, "sigmoid")]


@spec("additive-3in-noscale-causal-scores", H5_K3)
def _(m):
    x = m.input_float("x", [7, 5])
    q = m.dense("q", x, 5, 6)
    k = m.dense("k", x, 5, 6)
    v = m.dense("v", x, 5, 3)
    a = m.additive("att", [q, v, k], 6, use_scale=False,
                   call={"use_causal_mask": True, "return_attention_scores": True})
    m.outputs = [a, a + ":1"]


@spec("additive-mask-scale", TF2)
def _(m):
    ids = m.input_ids("ids", 7, 14, all_masked=True)
    e = m.embedding("emb", ids, 14, 4, True, 7)
    a = m.additive("att", [e, e], 4, call={"return_attention_scores": True})
    m.outputs = [a, a + ":1"]


@spec("mha-bilstm-self", ALL)
def _(m):
    """BiLSTM -> MultiHeadAttention(4 heads, key_dim 8) self-attention with the
    Embedding mask -> GlobalAveragePooling1D -> Dense."""
    ids = m.input_ids("ids", 8, 20)
    e = m.embedding("emb", ids, 20, 6, True, 8)
    h = m.bidirectional("bilstm", e, "LSTM", 6, 4)
    a = m.mha("mha", h, h, 8, 8, 4, 8, Tq=8, Tv=8)
    g = m.gap("gap", a)
    m.outputs = [m.dense("out", g, 8, 3, "softmax")]


@spec("mha-cross-causal-scores-nobias", H5_K3)
def _(m):
    """Cross-attention, value_dim 3, use_bias False, output_shape 6, causal, scores."""
    q = m.input_float("q", [6, 5])
    v = m.input_float("v", [6, 7])
    a = m.mha("mha", q, v, 5, 7, 4, 8, value_dim=3, use_bias=False, output_shape=6,
              call={"use_causal_mask": True, "return_attention_scores": True}, Tq=6, Tv=6)
    m.outputs = [a, a + ":1"]


@spec("mha-key-input", TF2)
def _(m):
    x = m.input_float("x", [7, 4])
    k = m.dense("k", x, 4, 5)
    a = m.mha("mha", x, x, 4, 4, 2, 3, key=k, Dk=5, Tq=7, Tv=7)
    m.outputs = [a]


@spec("mha-value-mask-scores", H5_K3)
def _(m):
    """Unmasked query over a masked value (a fully masked sample): value mask
    hides keys; scores output."""
    m.batch = 4
    x = m.input_float("q", [6, 4])
    ids = m.input_ids("ids", 6, 12, all_masked=True)
    e = m.embedding("emb", ids, 12, 5, True, 6)
    a = m.mha("mha", x, e, 4, 5, 4, 8, output_shape=[3], call={"return_attention_scores": True}, Tq=6, Tv=6)
    m.outputs = [a, a + ":1"]


@spec("mha-k310-masked-query-scores", ["k3_keras"], k3_version="3.10.0")
def _(m):
    """Keras 3.10 with return_attention_scores: a query row with no visible key
    (masked query, fully masked sample) gets zero weights."""
    m.batch = 4
    ids = m.input_ids("ids", 6, 12, all_masked=True)
    e = m.embedding("emb", ids, 12, 5, True, 6)
    a = m.mha("mha", e, e, 5, 5, 2, 4, call={"return_attention_scores": True}, Tq=6, Tv=6)
    m.outputs = [a, a + ":1"]


@spec("mha-masked-query-scores", H5_K3)
def _(m):
    """The same before Keras 3.10 (uniform weights on rows with no visible key)."""
    m.batch = 4
    ids = m.input_ids("ids", 6, 12, all_masked=True)
    e = m.embedding("emb", ids, 12, 5, True, 6)
    a = m.mha("mha", e, e, 5, 5, 2, 4, call={"return_attention_scores": True, "use_causal_mask": True}, Tq=6, Tv=6)
    m.outputs = [a, a + ":1"]


@spec("mha-big", TF2)
def _(m):
    """4 heads, key_dim 64 over [10, 16]."""
    x = m.input_float("x", [10, 16])
    a = m.mha("mha", x, x, 16, 16, 4, 64, Tq=10, Tv=10)
    g = m.gap("gap", a)
    m.outputs = [m.dense("out", g, 16, 2, "softmax")]


@spec("seed003-keras-attention", H5_K3)
def _(m):
    """The seed-003 shape closing with tf.keras.layers.Attention()([query, value])."""
    T, V, E, H = 12, 50, 10, 6
    ids = m.input_ids("ids", T, V, pad=False)
    e = m.embedding("emb", ids, V, E, False, T)
    d = m.add("SpatialDropout1D", "sdrop", e, {"rate": 0.2, "noise_shape": None, "seed": None})
    r = m.bidirectional("bigru", d, "GRU", E, H)
    q = m.add("Conv1D", "conv", r, {"filters": 2 * H, "kernel_size": [3], "strides": [1], "padding": "same",
                                    "data_format": "channels_last", "dilation_rate": [1], "groups": 1,
                                    "activation": "relu", "use_bias": True},
              [("kernel", "conv/kernel:0", m.kernel(3 * 2 * H, (3, 2 * H, 2 * H), 1.5)),
               ("bias", "conv/bias:0", m.normal((2 * H,), 0.3))])
    a = m.attention("attention", [q, r])
    g1 = m.gap("gap", a)
    g2 = m.add("GlobalMaxPooling1D", "gmp", r, {"data_format": "channels_last", "keepdims": False})
    c = m.add("Concatenate", "cat", [g1, g2], {"axis": -1})
    f = m.dense("fc", c, 4 * H, 12, "relu")
    m.outputs = [m.dense("out", f, 12, 3, "softmax")]


@spec("awc-eps-bias", ALL, custom={"AttentionWithContext": "context-eps"})
def _(m):
    """AttentionWithContext (eps form, W, b, u [A]) over a masked BiGRU."""
    ids = m.input_ids("ids", 9, 20)
    e = m.embedding("emb", ids, 20, 5, True, 9)
    h = m.bidirectional("bigru", e, "GRU", 5, 3)
    a = m.context("AttentionWithContext", "awc", h, 6, 7, u_col=False)
    m.outputs = [m.dense("out", a, 6, 1, "sigmoid")]


@spec("awc-eps-nobias", H5_K3, custom={"AttentionWithContext": "context-eps"})
def _(m):
    ids = m.input_ids("ids", 8, 20)
    e = m.embedding("emb", ids, 20, 5, True, 8)
    h = m.lstm("lstm", e, 5, 4)
    a = m.context("AttentionWithContext", "awc", h, 4, 5, bias=False, u_col=False)
    m.outputs = [m.dense("out", a, 4, 2, "softmax")]


@spec("attlayer-eps", H5_K3, custom={"AttLayer": "context-eps"})
def _(m):
    """AttLayer (hierarchical attention network): u [A, 1]."""
    ids = m.input_ids("ids", 8, 20)
    e = m.embedding("emb", ids, 20, 5, True, 8)
    h = m.bidirectional("bigru", e, "GRU", 5, 4)
    a = m.context("AttLayer", "attlayer", h, 8, 6, config={"attention_dim": 6})
    m.outputs = [m.dense("out", a, 8, 1, "sigmoid")]


@spec("context-softmax-stated", H5_K3, custom={"SentenceAttention": "context-softmax"},
      convert_custom={"SentenceAttention": "context-softmax"})
def _(m):
    """An unknown class name with the context weights: the form stated with --custom."""
    ids = m.input_ids("ids", 8, 20)
    e = m.embedding("emb", ids, 20, 5, True, 8)
    h = m.bidirectional("bilstm", e, "LSTM", 5, 3)
    a = m.context("SentenceAttention", "sent_att", h, 6, 6)
    m.outputs = [m.dense("out", a, 6, 1, "sigmoid")]


@spec("hier-softmax-nomask", TF2, custom={"HierarchicalAttention": "context-softmax"})
def _(m):
    x = m.input_float("x", [7, 4])
    h = m.lstm("lstm", x, 4, 5)
    a = m.context("HierarchicalAttention", "han", h, 5, 4)
    m.outputs = [a]


@spec("pool-eps-renamed", H5_K3, custom={"AttentionPooling": "eps"})
def _(m):
    """The TextAttBiRNN eps attention (W [F], b [T]) under another class name, masked."""
    ids = m.input_ids("ids", 8, 20)
    e = m.embedding("emb", ids, 20, 5, True, 8)
    h = m.bidirectional("bilstm", e, "LSTM", 5, 3)
    a = m.pool_att("AttentionPooling", "attpool", h, 6, 8, False)
    m.outputs = [m.dense("out", a, 6, 1, "sigmoid")]


@spec("pool-softmax-renamed", H5_K3, custom={"Attention_layer": "softmax"})
def _(m):
    """The seed-003 softmax attention (W [F, 1], b [T, 1]) named Attention_layer, unmasked."""
    ids = m.input_ids("ids", 8, 20, pad=False)
    e = m.embedding("emb", ids, 20, 5, False, 8)
    h = m.bidirectional("bigru", e, "GRU", 5, 3)
    a = m.pool_att("Attention_layer", "att_layer", h, 6, 8, True)
    m.outputs = [m.dense("out", a, 6, 3, "softmax")]


def main(argv):
    if not argv:
        sys.stderr.write(__doc__)
        return 2
    outdir = argv[0]
    only = set(argv[argv.index("--only") + 1].split(",")) if "--only" in argv else None
    os.makedirs(outdir, exist_ok=True)
    listing = os.path.join(outdir, "models.json")
    names = json.load(open(listing)) if os.path.exists(listing) else []
    n = 0
    for seed, (name, layouts, custom, convert_custom, build, k3_version) in enumerate(SPECS, start=9000):
        if only and name not in only:
            continue
        m = Net(name, seed)
        build(m)
        doc = m.doc(layouts, custom, convert_custom, seed)
        if k3_version:
            doc["k3_version"] = k3_version
        with open(os.path.join(outdir, name + ".json"), "w") as fh:
            json.dump(doc, fh)
        if name not in names:
            names.append(name)
        n += 1
    with open(listing, "w") as fh:
        json.dump(names, fh, indent=1)
    print("make-attention-models: %d models written to %s" % (n, outdir))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
