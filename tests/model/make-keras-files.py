#!/usr/bin/python3
"""Writes synthetic Keras TextAttBiRNN model files, in every layout arnn-convert
reads, without Keras: h5py writes exactly the groups, attributes and JSON that
the Keras sources write (tf.keras 2.x hdf5_format.py save_model_to_hdf5 /
save_weights_to_hdf5_group, Keras 2.2.x engine/saving.py, Keras 3
saving_lib.py H5IOStore).

usage: make-keras-files.py OUTDIR [--only NAME[,NAME...]] [--example DIR]

OUTDIR gets one model file (plus a config JSON for weights-only layouts) per
fixture and manifest.json describing, for each, the architecture and where
each original weight lives inside the file, so that tests/model/reference.py
can run the Keras semantics on the ORIGINAL weights (CuDNN layouts included).
The manifest lists "fixtures" (the TextAttBiRNN chain, checked numerically),
"graph_only" (variants that must convert, with a layer the graph must hold)
and "refused" (with a piece of the expected message).
--example DIR also writes the small shipped example model source (imdb-like).

Layouts:
  tf2_h5       tf.keras 2.x model.save('m.h5'): root attrs model_config,
               keras_version, backend; model_weights/<layer> with weight_names;
               optimizer_weights (ignored by the converter)
  tf2_weights  tf.keras 2.x save_weights('w.h5') (root attr layer_names) +
               model.to_json() file
  k22_h5       Keras 2.2.4 model.save: class "Model"/"Sequential", *_1 names,
               CuDNN layers, training/Adam optimizer state
  k3_keras     Keras 3 .keras zip: config.json, metadata.json, model.weights.h5
               with layers/<snake_case class>/vars/<i>, Bidirectional's
               forward_layer/cell/vars
  k3_weights   Keras 3 .weights.h5 + config JSON
Weight dataset names carry deliberately scrambled counters (lstm_cell_4 before
lstm_cell_2) and h5py lists them alphabetically (bias before kernel), so a
converter that does not follow weight_names order gets them wrong.
"""
import io
import json
import os
import sys
import zipfile

import h5py
import numpy as np

# ---------------------------------------------------------------- fixtures

BASE = dict(layout="tf2_h5", input="ids", V=23, E=5, T=7, H=3, C=1, rnn="LSTM", ract="sigmoid",
            reset_after=None, mask_zero=False, att="002", att_bias=True, step_dim=True, head="sigmoid",
            dropout=False, sequential=False, use_bias=True, seed=1)


def fx(name, **kw):
    d = dict(BASE)
    d.update(kw)
    d["name"] = name
    return d


FIXTURES = [
    fx("tf2-lstm-ids", seed=1),
    fx("tf2-lstm-mask", mask_zero=True, seed=2, C=2, head="softmax"),
    fx("tf2-gru-reset-after", rnn="GRU", reset_after=True, seed=3, mask_zero=True),
    fx("tf2-gru-reset-before", rnn="GRU", reset_after=False, seed=4),
    fx("tf2-lstm-hard-sigmoid", ract="hard_sigmoid", seed=5, mask_zero=True),
    fx("tf2-dense-input", input="dense", E=6, seed=6, C=3, head="softmax", dropout=True),
    fx("tf2-no-step-dim", step_dim=False, seed=7),
    fx("tf2-no-att-bias", att_bias=False, seed=8),
    fx("tf2-att-softmax", att="003", step_dim=False, seed=9, C=3, head="softmax"),
    fx("tf2-t1-h1", T=1, H=1, E=1, V=3, seed=10, mask_zero=True),
    fx("tf2-odd", T=13, H=5, E=9, V=31, C=4, head="softmax", seed=11, mask_zero=True),
    fx("tf2-saturated-softmax", C=3, head="softmax", seed=12, dense_scale=60.0),
    fx("tf2-cudnn-lstm", rnn="CuDNNLSTM", seed=13, H=4, E=6),
    fx("tf2w-lstm", layout="tf2_weights", seed=14, mask_zero=True),
    fx("tf2w-gru-dense", layout="tf2_weights", rnn="GRU", reset_after=True, input="dense", seed=15, C=2,
       head="softmax"),
    fx("k22-cudnn-lstm", layout="k22_h5", rnn="CuDNNLSTM", seed=16, H=4, E=6, T=9),
    fx("k22-cudnn-gru", layout="k22_h5", rnn="CuDNNGRU", seed=17, H=4, E=6, T=9, C=2, head="softmax"),
    fx("k22-lstm-hard-sigmoid", layout="k22_h5", ract="hard_sigmoid", seed=18, mask_zero=True),
    fx("k22-gru-reset-before", layout="k22_h5", rnn="GRU", reset_after=False, ract="hard_sigmoid", seed=19),
    fx("k22-seq-cudnn-lstm", layout="k22_h5", sequential=True, rnn="CuDNNLSTM", seed=20, step_dim=False,
       dropout=True),
    fx("k22-no-bias-rnn", layout="k22_h5", rnn="LSTM", use_bias=False, seed=21),
    fx("k3-lstm", layout="k3_keras", seed=22, mask_zero=True),
    fx("k3-gru-hard-sigmoid", layout="k3_keras", rnn="GRU", reset_after=True, ract="hard_sigmoid", seed=23,
       dropout=True, C=2, head="softmax"),
    fx("k3-gru-reset-before", layout="k3_keras", rnn="GRU", reset_after=False, seed=24, input="dense"),
    fx("k3w-lstm-no-step-dim", layout="k3_weights", seed=25, step_dim=False, mask_zero=True),
    fx("k3w-lstm-hard-sigmoid", layout="k3_weights", seed=26, ract="hard_sigmoid", att_bias=False),
]

# Variants outside the TextAttBiRNN chain that reference.py does not compute:
# they must convert, and the graph must hold the layer described by `expect`
# (op and key values of one layer).
GRAPH_ONLY = [
    (fx("simple-rnn", rnn="SimpleRNN"), {"op": "rnn", "cell": "simple", "recurrent_activation": None}),
    (fx("dense-relu", head="relu"), {"op": "dense", "activation": {"name": "relu", "negative_slope": 0.0,
                                                                   "max_value": None, "threshold": 0.0}}),
    (fx("extra-dense", extra_dense=True), {"op": "dense", "name": "dense_1", "units": 1}),
    (fx("rnn-relu", rnn_activation="relu"), {"op": "rnn", "activation": {"name": "relu", "negative_slope": 0.0,
                                                                         "max_value": None, "threshold": 0.0}}),
]

# Architectures the converter must refuse, with a piece of the expected message.
REFUSED = [
    (fx("bad-merge-none", merge_mode=None), "Bidirectional merge_mode=None"),
    (fx("bad-no-return-sequences", return_sequences=False), "expects a value of rank 2"),
    (fx("bad-builtin-attention", builtin_attention=True), "built-in dot-product Attention"),
    (fx("bad-cudnn-mask", rnn="CuDNNLSTM", mask_zero=True, layout="k22_h5"), "ignores the mask"),
    (fx("bad-step-dim", step_dim_value=99), "T is inconsistent"),
    (fx("bad-k3-merge-none", layout="k3_keras", merge_mode=None), "Bidirectional merge_mode=None"),
]


# ---------------------------------------------------------------- weights

def gates(rnn):
    return 4 if rnn.endswith("LSTM") else 3


def make_weights(f):
    """Original Keras-layout weights as Keras stores them (float32)."""
    rng = np.random.default_rng(1000 + f["seed"])
    E, H, T, C = f["E"], f["H"], f["T"], f["C"]
    G = gates(f["rnn"]) if f["rnn"] != "SimpleRNN" else 1
    w = {}
    if f["input"] == "ids":
        w["embedding"] = [rng.normal(0, 0.8, (f["V"], E))]
    rnn = []
    for _ in range(2):
        k = rng.normal(0, 1.2 / np.sqrt(E), (E, G * H))
        rk = rng.normal(0, 1.2 / np.sqrt(H), (H, G * H))
        if f["rnn"] in ("CuDNNLSTM", "CuDNNGRU"):
            b = rng.normal(0, 0.4, (2 * G * H,))
        elif f["rnn"] == "GRU" and f["reset_after"]:
            b = rng.normal(0, 0.4, (2, G * H))
        else:
            b = rng.normal(0, 0.4, (G * H,))
        rnn.append([k, rk, b] if f["use_bias"] else [k, rk])
    w["rnn"] = rnn
    W = rng.normal(0, 1.0, (2 * H,))
    b = rng.normal(0, 0.5, (T,))
    if f["att"] == "003":
        W, b = W[:, None], b[:, None]
    w["attention"] = [W, b] if f["att_bias"] else [W]
    w["dense"] = [rng.normal(0, f.get("dense_scale", 1.5), (2 * H, C)), rng.normal(0, 0.3, (C,))]
    return {k: [np.asarray(a, dtype=np.float32) for a in v] if k != "rnn" else
            [[np.asarray(a, dtype=np.float32) for a in d] for d in v] for k, v in w.items()}


# ---------------------------------------------------------------- names

def layer_names(f):
    fam = f["layout"]
    if fam == "k22_h5":
        n = dict(input="input_1", embedding="embedding_1", bidirectional="bidirectional_1",
                 attention="attention_1", dense="dense_1", dropout="spatial_dropout1d_1", conv="conv1d_1",
                 dense2="dense_2", model="model_1")
    elif fam.startswith("k3"):
        n = dict(input="input_layer", embedding="embedding", bidirectional="bidirectional", attention="attention",
                 dense="dense", dropout="spatial_dropout1d", conv="conv1d", dense2="dense_1", model="functional")
    else:
        n = dict(input="input_1", embedding="embedding", bidirectional="bidirectional", attention="attention",
                 dense="dense", dropout="spatial_dropout1d", conv="conv1d", dense2="dense_1", model="model")
    return n


def rnn_weight_names(f, bi):
    """Keras 2 weight names of the Bidirectional layer, counters scrambled."""
    rnn = f["rnn"]
    snake = {"LSTM": "lstm", "GRU": "gru", "CuDNNLSTM": "cu_dnnlstm", "CuDNNGRU": "cu_dnngru",
             "SimpleRNN": "simple_rnn"}[rnn]
    parts = ["kernel", "recurrent_kernel", "bias"][:3 if f["use_bias"] else 2]
    out = []
    for side, counter in (("forward", 4), ("backward", 2)):
        if f["layout"] == "k22_h5":
            prefix = "%s/%s_%s_1" % (bi, side, snake)
        elif rnn.startswith("CuDNN"):
            prefix = "%s/%s_%s" % (bi, side, snake)
        else:
            prefix = "%s/%s_%s/%s_cell_%d" % (bi, side, snake, snake, counter)
        out += ["%s/%s:0" % (prefix, p) for p in parts]
    return out


# ---------------------------------------------------------------- configs

def rnn_config(f, name):
    c = {"name": name, "trainable": True, "units": f["H"], "return_sequences": f.get("return_sequences", True),
         "return_state": False, "go_backwards": False, "stateful": False,
         "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": None}},
         "recurrent_initializer": {"class_name": "Orthogonal", "config": {"gain": 1.0, "seed": None}},
         "bias_initializer": {"class_name": "Zeros", "config": {}}}
    if not f["rnn"].startswith("CuDNN"):
        c.update(activation=f.get("rnn_activation", "tanh"), use_bias=f["use_bias"], dropout=0.0,
                 recurrent_dropout=0.0, unroll=False)
        if f["rnn"] != "SimpleRNN":
            c["recurrent_activation"] = f["ract"]
        if f["rnn"] == "GRU":
            c["reset_after"] = bool(f["reset_after"])
        if f["rnn"] == "LSTM":
            c.update(unit_forget_bias=True, implementation=2 if f["layout"] != "k22_h5" else 1)
    return c


def stage_layers(f):
    """(class_name, name, config) of the chain after the input layer."""
    n = layer_names(f)
    k3 = f["layout"].startswith("k3")
    T, E = f["T"], f["E"]
    out = []
    if f["input"] == "ids":
        c = {"name": n["embedding"], "trainable": True, "input_dim": f["V"], "output_dim": E,
             "embeddings_initializer": {"class_name": "RandomUniform", "config": {"minval": -0.05, "maxval": 0.05}},
             "mask_zero": f["mask_zero"]}
        if not k3:
            c["input_length"] = T
        if f["sequential"]:
            c["batch_input_shape"] = [None, T]
        out.append(("Embedding", n["embedding"], c))
    if f["dropout"]:
        out.append(("SpatialDropout1D", n["dropout"], {"name": n["dropout"], "trainable": True, "rate": 0.2}))
    if f.get("conv1d"):
        out.append(("Conv1D", n["conv"], {"name": n["conv"], "filters": 4, "kernel_size": [3]}))
    bi_conf = {"name": n["bidirectional"], "trainable": True,
               "layer": {"class_name": f["rnn"], "config": rnn_config(f, f["rnn"].lower())},
               "merge_mode": f.get("merge_mode", "concat")}
    if k3:
        bi_conf["layer"]["module"] = "keras.layers"
        bi_conf["layer"]["registered_name"] = None
    out.append(("Bidirectional", n["bidirectional"], bi_conf))
    if f.get("builtin_attention"):
        ac = {"name": n["attention"], "trainable": True, "use_scale": False, "score_mode": "dot", "dropout": 0.0}
    elif f["att"] == "003":
        ac = {"name": n["attention"], "trainable": True}
    else:
        ac = {"name": n["attention"], "trainable": True, "W_regularizer": None, "b_regularizer": None,
              "W_constraint": None, "b_constraint": None, "bias": f["att_bias"]}
        if f["step_dim"]:
            ac["step_dim"] = f.get("step_dim_value", T)
    out.append(("Attention", n["attention"], ac))
    out.append(("Dense", n["dense"], {"name": n["dense"], "trainable": True, "units": f["C"], "activation": f["head"],
                                     "use_bias": True}))
    if f.get("extra_dense"):
        out.append(("Dense", n["dense2"], {"name": n["dense2"], "units": 1, "activation": "sigmoid"}))
    return out


def input_shape(f):
    return [None, f["T"]] if f["input"] == "ids" else [None, f["T"], f["E"]]


def model_config(f):
    n = layer_names(f)
    k3 = f["layout"].startswith("k3")
    stages = stage_layers(f)
    if f["sequential"]:
        return {"class_name": "Sequential", "config": {"name": "sequential_1", "layers": [
            {"class_name": c, "config": conf} for c, _, conf in stages]}}
    layers = []
    in_conf = {"batch_input_shape" if not k3 else "batch_shape": input_shape(f),
               "dtype": "float32", "sparse": False, "name": n["input"]}
    layers.append(("InputLayer", n["input"], in_conf))
    layers += stages
    out = []
    prev = None
    for cls, name, conf in layers:
        if k3:
            d = {"module": "keras.layers", "class_name": cls, "config": conf, "registered_name": None, "name": name}
            if cls == "Attention" and not f.get("builtin_attention"):
                d["module"] = None
                d["registered_name"] = "Attention"
            d["inbound_nodes"] = [] if prev is None else [{"args": [{"class_name": "__keras_tensor__", "config": {
                "shape": input_shape(f), "dtype": "float32", "keras_history": [prev, 0, 0]}}], "kwargs": {}}]
        else:
            d = {"class_name": cls, "config": conf, "name": name,
                 "inbound_nodes": [] if prev is None else [[[prev, 0, 0, {}]]]}
        out.append(d)
        prev = name
    cls = {"tf2_h5": "Functional", "tf2_weights": "Functional", "k22_h5": "Model"}.get(f["layout"], "Functional")
    cfg = {"class_name": cls, "config": {"name": n["model"], "layers": out, "input_layers": [[n["input"], 0, 0]],
                                         "output_layers": [[prev, 0, 0]]}}
    if k3:
        cfg["module"] = "keras.src.models.functional"
        cfg["registered_name"] = "Functional"
    return cfg


def keras_version(f):
    return {"k22_h5": "2.2.4", "tf2_h5": "2.9.0", "tf2_weights": "2.9.0"}.get(f["layout"], "3.3.3")


# ---------------------------------------------------------------- writers

def k2_weight_groups(f, w):
    """[(layer name, [weight names], [arrays])] in model layer order."""
    n = layer_names(f)
    groups = []
    if not f["sequential"]:
        groups.append((n["input"], [], []))
    for cls, name, conf in stage_layers(f):
        if cls == "Embedding":
            groups.append((name, ["%s/embeddings:0" % name], w["embedding"]))
        elif cls == "Bidirectional":
            groups.append((name, rnn_weight_names(f, name), w["rnn"][0] + w["rnn"][1]))
        elif cls == "Attention":
            if f["att"] == "003":
                names = ["%s/att_weight:0" % name, "%s/att_bias:0" % name]
            else:
                names = ["%s/%s_W:0" % (name, name), "%s/%s_b:0" % (name, name)]
            groups.append((name, names[:len(w["attention"])], w["attention"]))
        elif cls == "Dense" and name == n["dense"]:
            groups.append((name, ["%s/kernel:0" % name, "%s/bias:0" % name], w["dense"]))
        elif cls == "Dense":
            groups.append((name, ["%s/kernel:0" % name, "%s/bias:0" % name],
                           [np.zeros((f["C"], 1), np.float32), np.zeros(1, np.float32)]))
        else:
            groups.append((name, [], []))
    return groups


def str_attr(names):
    return np.array([s.encode("utf8") for s in names], dtype="S") if names else np.array([], dtype=np.float64)


def write_k2_groups(g, groups, f):
    g.attrs["layer_names"] = str_attr([name for name, _, _ in groups])
    g.attrs["backend"] = b"tensorflow"
    g.attrs["keras_version"] = keras_version(f).encode()
    paths = {}
    for name, wnames, arrays in groups:
        lg = g.create_group(name)
        lg.attrs["weight_names"] = str_attr(wnames)
        for wn, a in zip(wnames, arrays):
            lg.create_dataset(wn, data=a)
        paths[name] = [lg[wn].name for wn in wnames]
    return paths


def manifest_paths_k2(f, paths):
    n = layer_names(f)
    m = {}
    if f["input"] == "ids":
        m["embedding"] = paths[n["embedding"]]
    rp = paths[n["bidirectional"]]
    half = len(rp) // 2
    m["rnn"] = [rp[:half], rp[half:]]
    m["attention"] = paths[n["attention"]]
    m["dense"] = paths[n["dense"]]
    return m


def write_k2(f, w, outdir):
    cfg = model_config(f)
    groups = k2_weight_groups(f, w)
    if f["layout"] == "tf2_weights":
        path = os.path.join(outdir, f["name"] + ".weights-only.h5")
        with h5py.File(path, "w") as h:
            paths = write_k2_groups(h, groups, f)
        cfg_path = os.path.join(outdir, f["name"] + ".json")
        cfg = dict(cfg, keras_version=keras_version(f), backend="tensorflow")
        with open(cfg_path, "w") as fh:
            json.dump(cfg, fh)
        return path, cfg_path, manifest_paths_k2(f, paths)
    path = os.path.join(outdir, f["name"] + ".h5")
    with h5py.File(path, "w") as h:
        h.attrs["keras_version"] = keras_version(f).encode()
        h.attrs["backend"] = b"tensorflow"
        h.attrs["model_config"] = json.dumps(cfg).encode("utf8")
        h.attrs["training_config"] = json.dumps({"loss": "binary_crossentropy", "metrics": ["acc"],
                                                 "optimizer_config": {"class_name": "Adam", "config": {}}}).encode()
        paths = write_k2_groups(h.create_group("model_weights"), groups, f)
        # optimizer state: ignored by the converter (and shaped like the weights, to be tempting)
        og = h.create_group("optimizer_weights")
        if f["layout"] == "k22_h5":
            onames = ["training/Adam/Variable:0", "training/Adam/Variable_1:0", "training/Adam/iterations:0"]
        else:
            onames = ["Adam/iter:0", "Adam/%s/kernel/m:0" % layer_names(f)["dense"], "Adam/%s/bias/m:0"
                      % layer_names(f)["dense"]]
        og.attrs["weight_names"] = str_attr(onames)
        og.create_dataset(onames[0], data=np.ones_like(w["dense"][0]))
        og.create_dataset(onames[1], data=np.ones_like(w["dense"][1]))
        og.create_dataset(onames[2], data=np.int64(7))
    return path, None, manifest_paths_k2(f, paths)


def write_k3_weights(f, w, h):
    """Keras 3 H5IOStore layout."""
    def vars_group(path, arrays):
        g = h.require_group(path + "/vars")
        for i, a in enumerate(arrays):
            g.create_dataset(str(i), data=a)
        return [g[str(i)].name for i in range(len(arrays))]
    h.require_group("vars")
    vars_group("layers/input_layer", [])
    m = {}
    used = {}
    for cls, name, conf in stage_layers(f):
        snake = {"Embedding": "embedding", "Bidirectional": "bidirectional", "Attention": "attention",
                 "Dense": "dense", "SpatialDropout1D": "spatial_dropout1d", "Conv1D": "conv1d"}[cls]
        if snake in used:
            used[snake] += 1
            snake = "%s_%d" % (snake, used[snake])
        else:
            used[snake] = 0
        base = "layers/" + snake
        if cls == "Embedding":
            m["embedding"] = vars_group(base, w["embedding"])
        elif cls == "Bidirectional":
            vars_group(base, [])
            m["rnn"] = []
            for side, arrays in (("forward_layer", w["rnn"][0]), ("backward_layer", w["rnn"][1])):
                vars_group(base + "/" + side, [])
                m["rnn"].append(vars_group(base + "/" + side + "/cell", arrays))
        elif cls == "Attention":
            m["attention"] = vars_group(base, w["attention"])
        elif cls == "Dense" and "dense" not in m:
            m["dense"] = vars_group(base, w["dense"])
        else:
            vars_group(base, [])
    return m


def write_k3(f, w, outdir):
    cfg = model_config(f)
    if f["layout"] == "k3_keras":
        path = os.path.join(outdir, f["name"] + ".keras")
        buf = io.BytesIO()
        with h5py.File(buf, "w") as h:
            m = write_k3_weights(f, w, h)
            og = h.require_group("optimizer/vars")
            og.create_dataset("0", data=np.int64(3))
            og.create_dataset("1", data=np.ones_like(w["dense"][0]))
        with zipfile.ZipFile(path, "w") as z:
            z.writestr("metadata.json", json.dumps({"keras_version": keras_version(f),
                                                    "date_saved": "2026-11-21@12:00:00"}))
            z.writestr("config.json", json.dumps(dict(cfg, compile_config=None, build_config={
                "input_shape": input_shape(f)})))
            z.writestr("model.weights.h5", buf.getvalue())
        return path, None, m
    path = os.path.join(outdir, f["name"] + ".weights.h5")
    with h5py.File(path, "w") as h:
        m = write_k3_weights(f, w, h)
    cfg_path = os.path.join(outdir, f["name"] + ".json")
    with open(cfg_path, "w") as fh:
        json.dump(cfg, fh)
    return path, cfg_path, m


# ---------------------------------------------------------------- manifest

def semantics(f):
    """What the model computes (for reference.py and the expected metadata)."""
    cudnn = f["rnn"].startswith("CuDNN")
    if cudnn or f["ract"] == "sigmoid":
        ract = "sigmoid"
    else:
        ract = "hard_sigmoid_keras3" if f["layout"].startswith("k3") else "hard_sigmoid_keras2"
    return {
        "input": f["input"], "T": f["T"], "E": f["E"], "V": f["V"] if f["input"] == "ids" else 0, "H": f["H"],
        "C": f["C"], "cell": "lstm" if f["rnn"].endswith("LSTM") else "gru", "rnn_layout": "cudnn" if cudnn else
        "keras", "reset_after": True if cudnn else bool(f["reset_after"]), "recurrent_activation": ract,
        "mask_zero": f["mask_zero"] and f["input"] == "ids", "attention": "softmax" if f["att"] == "003" else "eps",
        "attention_bias": f["att_bias"], "head": f["head"]}


def write_fixture(f, outdir):
    w = make_weights(f)
    if f["layout"].startswith("k3"):
        path, cfg_path, paths = write_k3(f, w, outdir)
    else:
        path, cfg_path, paths = write_k2(f, w, outdir)
    return {"name": f["name"], "layout": f["layout"], "file": os.path.basename(path),
            "config": os.path.basename(cfg_path) if cfg_path else None, "semantics": semantics(f),
            "weights": paths, "seed": f["seed"]}


EXAMPLE = fx("imdb-mini", layout="tf2_h5", V=200, E=16, T=40, H=16, C=1, head="sigmoid", mask_zero=True,
             step_dim=True, seed=2026)


def main(argv):
    if len(argv) < 1 or argv[0] in ("-h", "--help"):
        sys.stdout.write(__doc__)
        return 0 if argv else 1
    outdir = argv[0]
    only = None
    example = None
    if "--only" in argv:
        only = set(argv[argv.index("--only") + 1].split(","))
    if "--example" in argv:
        example = argv[argv.index("--example") + 1]
    os.makedirs(outdir, exist_ok=True)
    manifest = {"fixtures": [], "graph_only": [], "refused": []}
    for f in FIXTURES:
        if only and f["name"] not in only:
            continue
        manifest["fixtures"].append(write_fixture(f, outdir))
    for f, expect in GRAPH_ONLY:
        if only and f["name"] not in only:
            continue
        e = write_fixture(f, outdir)
        e["expect"] = expect
        manifest["graph_only"].append(e)
    for f, why in REFUSED:
        if only and f["name"] not in only:
            continue
        e = write_fixture(f, outdir)
        e["expect"] = why
        manifest["refused"].append(e)
    with open(os.path.join(outdir, "manifest.json"), "w") as fh:
        json.dump(manifest, fh, indent=1)
    if example:
        os.makedirs(example, exist_ok=True)
        e = write_fixture(EXAMPLE, example)
        with open(os.path.join(example, "manifest.json"), "w") as fh:
            json.dump({"fixtures": [e], "graph_only": [], "refused": []}, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
