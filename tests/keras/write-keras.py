#!/usr/bin/python3
"""Turns the make-models.js dumps into the Keras files arnn-convert reads,
laid out as the Keras sources write them (no TensorFlow needed: h5py writes
the same groups, attributes and JSON):

  tf2_h5       tf.keras 2.x model.save('m.h5') (legacy_h5_format /
               hdf5_format.py save_model_to_hdf5): root attrs keras_version,
               backend, model_config; group model_weights (attrs layer_names,
               backend, keras_version) with a group per layer (attr
               weight_names) holding datasets '<layer>/<weight>:0'
  tf2_weights  save_weights('w.h5') (save_weights_to_hdf5_group: the same
               layer groups at the root) + the model.to_json() text
  k3_keras     Keras 3 model.save('m.keras') (saving_lib.py): a zip with
               config.json (module/class_name/config/registered_name, inbound
               nodes as __keras_tensor__ args), metadata.json and
               model.weights.h5 (H5IOStore: layers/<snake_case class>[_k]/vars/<i>,
               nested objects by attribute: cell, forward_layer, layer, layers)
  k3_weights   Keras 3 model.save_weights('m.weights.h5') + config.json

usage: write-keras.py DUMPDIR OUTDIR [--only NAME,...]
Writes OUTDIR/<model>/<layout>/... and OUTDIR/manifest.json:
[{"model", "layout", "file", "config" (or null), "keras_major"}].
"""
import copy
import io
import json
import os
import re
import sys
import zipfile

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy_ref  # noqa: E402  (shapes of the intermediate tensors for Keras 3 configs)

TF2_VERSION = "2.15.0"
K3_VERSION = "3.6.0"

RNN_CELL = ("LSTM", "GRU", "SimpleRNN")


def snake(name):
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def layers_of(cfg):
    c = cfg["config"]
    return c if isinstance(c, list) else c["layers"]


def fix_tfjs(o):
    """tfjs' toJSON differs from tf.keras' to_json in a few defaults and
    spellings: restore what tf.keras writes."""
    if isinstance(o, list):
        return [fix_tfjs(x) for x in o]
    if not isinstance(o, dict):
        return "hard_sigmoid" if o == "hardSigmoid" else o
    o = {k: fix_tfjs(v) for k, v in o.items()}
    cls, c = o.get("class_name"), o.get("config")
    if isinstance(c, dict) and cls is not None and "name" in c:
        c.setdefault("dtype", "float32")
        if cls in ("LSTM", "GRU", "SimpleRNN"):
            if c.get("implementation") is None:
                c["implementation"] = 2 if cls != "SimpleRNN" else 1
            if cls == "LSTM" and c.get("unit_forget_bias") is None:
                c["unit_forget_bias"] = True
            if cls == "GRU":
                c.setdefault("reset_after", False)
            c.setdefault("time_major", False)
        if cls == "Embedding" and c.get("mask_zero") is None:
            c["mask_zero"] = False
        if cls == "Reshape":
            c["target_shape"] = [-1 if v is None else v for v in c["target_shape"]]
        if cls == "ReLU":
            c.setdefault("negative_slope", 0.0)
            c.setdefault("threshold", 0.0)
        if cls == "Model":
            o["class_name"] = "Functional"
    return o


def tf2_config(doc):
    cfg = fix_tfjs(copy.deepcopy(doc["config"]))
    cfg.pop("keras_version", None)
    cfg.pop("backend", None)
    if cfg["class_name"] == "Sequential":
        layers = cfg["config"]["layers"]
        first = layers[0]["config"]
        # tf.keras >= 2.4 writes the Sequential's InputLayer first
        if layers[0]["class_name"] != "InputLayer" and "batch_input_shape" in first:
            layers.insert(0, {"class_name": "InputLayer", "config": {
                "batch_input_shape": first["batch_input_shape"], "dtype": "int32" if layers[0]["class_name"] == "Embedding"
                else "float32", "sparse": False, "ragged": False, "name": first["name"] + "_input"}})
    else:
        for L in cfg["config"]["layers"]:
            if L["class_name"] != "InputLayer":
                L["config"].pop("batch_input_shape", None)
    return cfg


# ---------------------------------------------------------------- Keras 2 weight names

def weights_by_layer(doc):
    by = {}
    for w in doc["weights"]:
        by.setdefault(w["layer"], []).append(w)
    return by


def str_list_attr(names):
    # Keras stores these as fixed-length byte strings (numpy 'S')
    return np.array([n.encode("utf8") for n in names], dtype="S%d" % max([1] + [len(n.encode()) for n in names]))


def write_tf2_groups(root, cfg, doc):
    by = weights_by_layer(doc)
    names = [L["config"]["name"] for L in layers_of(cfg)]
    root.attrs["layer_names"] = str_list_attr(names)
    root.attrs["backend"] = b"tensorflow"
    root.attrs["keras_version"] = TF2_VERSION.encode()
    for L in layers_of(cfg):
        name = L["config"]["name"]
        g = root.create_group(name)
        ws = by.get(name, [])
        wn = [w["keras_name"] for w in ws]  # make-models.js names them as tf.keras 2.x does
        g.attrs["weight_names"] = str_list_attr(wn)
        for n, w in zip(wn, ws):
            g.create_dataset(n, data=np.asarray(w["data"], dtype=np.float32).reshape(w["shape"]))


def model_json(cfg, version):
    d = dict(cfg)
    d["keras_version"] = version
    d["backend"] = "tensorflow"
    return json.dumps(d)


def write_tf2_h5(doc, outdir):
    cfg = tf2_config(doc)
    path = os.path.join(outdir, "model.h5")
    with h5py.File(path, "w") as f:
        # save_model_to_hdf5 writes saving_utils.model_metadata(): strings as
        # they are, model_config = {class_name, config} as JSON bytes
        f.attrs["keras_version"] = TF2_VERSION
        f.attrs["backend"] = "tensorflow"
        f.attrs["model_config"] = json.dumps(cfg).encode("utf8")
        write_tf2_groups(f.create_group("model_weights"), cfg, doc)
    return path, None


def write_tf2_weights(doc, outdir):
    cfg = tf2_config(doc)
    path = os.path.join(outdir, "weights.h5")
    with h5py.File(path, "w") as f:
        write_tf2_groups(f, cfg, doc)
    cpath = os.path.join(outdir, "model.json")
    with open(cpath, "w") as fh:
        fh.write(model_json(cfg, TF2_VERSION))
    return path, cpath


# ---------------------------------------------------------------- Keras 3

def tensor_shapes(doc, cfg2):
    """(layer name, tensor index) -> per-batch shape, from running the model."""
    shapes = {}

    class Tracing(numpy_ref.Model):
        def apply(self, L, xs, masks):
            ys, ms = super().apply(L, xs, masks)
            if self is root:
                for k, y in enumerate(ys):
                    shapes[(L["config"]["name"], k)] = [None] + list(y.shape[1:])
            return ys, ms

    weights = {}
    for wd in doc["weights"]:
        weights.setdefault(wd["layer"], []).append(np.asarray(wd["data"]).reshape(wd["shape"]))
    inputs = [np.asarray(x["data"]).reshape(x["shape"]) for x in doc["inputs"]]
    root = Tracing(cfg2, weights, 2, doc.get("custom"))
    root.run(inputs)
    if cfg2["class_name"] != "Sequential":
        for (name, _, t), x in zip(numpy_ref._refs(cfg2["config"]["input_layers"]), inputs):
            shapes[(name, t)] = [None] + list(x.shape[1:])
    return shapes


def k3_layer_config(L, shapes, input_dtypes):
    cls = L["class_name"]
    c = copy.deepcopy(L["config"])
    c.pop("batch_input_shape", None)
    if cls == "InputLayer":
        c = {"batch_shape": L["config"]["batch_input_shape"], "dtype": L["config"].get("dtype", "float32"),
             "sparse": False, "name": c["name"]}
    if cls == "Embedding":
        c.pop("input_length", None)
    if cls == "LeakyReLU":
        c["negative_slope"] = c.pop("alpha", 0.3)
    if cls in ("LSTM", "GRU", "SimpleRNN"):
        c.pop("implementation", None)
        c.pop("time_major", None)
        c.setdefault("seed", None)
    if cls == "Bidirectional":
        # Keras 3 Bidirectional.get_config writes its forward layer as "layer"
        # and its backward layer as "backward_layer"; both were recreated with
        # zero_output_for_mask = return_sequences
        inner = c["layer"]
        ic = inner["config"]
        ic.pop("implementation", None)
        ic.pop("time_major", None)
        ic["zero_output_for_mask"] = bool(ic.get("return_sequences"))
        fc = dict(ic, name="forward_" + ic["name"])
        bc = dict(ic, name="backward_" + ic["name"], go_backwards=not ic.get("go_backwards", False))
        c["layer"] = {"module": "keras.layers", "class_name": inner["class_name"], "config": fc,
                      "registered_name": None}
        c["backward_layer"] = {"module": "keras.layers", "class_name": inner["class_name"], "config": bc,
                               "registered_name": None}
    if cls == "TimeDistributed":
        inner = c["layer"]
        c["layer"] = {"module": "keras.layers", "class_name": inner["class_name"], "config": inner["config"],
                      "registered_name": None}
    out = {"module": "keras.layers", "class_name": cls, "config": c, "registered_name": None}
    if (cls == "Attention" and "use_scale" not in c) or cls in CUSTOM:
        # a custom layer, as Keras 3 writes an unregistered-module class
        out["module"] = None
        out["registered_name"] = cls
    return out


CUSTOM = set()  # the custom class names of the model being written (doc["custom"])


def k3_call(L, ts):
    """Keras 3 inbound node of a layer called on tensors ts: Attention-like
    layers take the list [query, value(, key)] as one argument,
    MultiHeadAttention takes query, value positionally and key by keyword
    (with the `<arg>_mask` arguments Layer.__call__ adds); the call's flags
    (return_attention_scores, use_causal_mask) as the Keras 2 entry holds them."""
    kw2 = numpy_ref._call_kwargs(L)
    flags = {k: v for k, v in kw2.items() if k in ("return_attention_scores", "use_causal_mask")}
    cls = L["class_name"]
    if cls == "MultiHeadAttention":
        kwargs = {"query_mask": None, "value_mask": None}
        if len(ts) > 2:
            kwargs["key"] = ts[2]
            kwargs["key_mask"] = None
        kwargs.update(flags)
        return {"args": ts[:2], "kwargs": kwargs}
    if cls in ("Attention", "AdditiveAttention") and len(ts) > 1:
        return {"args": [ts], "kwargs": dict({"mask": [None] * len(ts)}, **flags)}
    return {"args": [ts[0]] if len(ts) == 1 else [ts], "kwargs": {}}


def k3_tensor(ref, shapes, dtypes):
    name, node, t = ref
    return {"class_name": "__keras_tensor__", "config": {
        "shape": shapes.get((name, t)), "dtype": dtypes.get(name, "float32"), "keras_history": [name, node, t]}}


def k3_model_config(cfg2, shapes, dtypes, top=True):
    cls = cfg2["class_name"]
    layers = layers_of(cfg2)
    name = cfg2["config"]["name"]
    if cls == "Sequential":
        out_layers = []
        for L in layers:
            if L["class_name"] in ("Sequential", "Functional"):
                out_layers.append(k3_model_config(L, shapes, dtypes, top=False))
            else:
                out_layers.append(k3_layer_config(L, shapes, dtypes))
        if out_layers[0]["class_name"] != "InputLayer":
            bis = layers[0]["config"].get("batch_input_shape")
            out_layers.insert(0, {"module": "keras.layers", "class_name": "InputLayer", "config": {
                "batch_shape": bis, "dtype": "float32", "sparse": False, "name": name + "_input"},
                "registered_name": None})
        return {"module": "keras", "class_name": "Sequential", "config": {
            "name": name, "trainable": True, "dtype": "float32", "layers": out_layers}, "registered_name": None}
    out_layers = []
    for L in layers:
        if L["class_name"] in ("Sequential", "Functional"):
            d = k3_model_config(L, shapes, dtypes, top=False)
        else:
            d = k3_layer_config(L, shapes, dtypes)
        d["name"] = L["config"]["name"]
        refs = numpy_ref.inbound_all(L)
        if not refs:
            d["inbound_nodes"] = []
        else:
            ts = [k3_tensor(r, shapes, dtypes) for r in refs]
            d["inbound_nodes"] = [k3_call(L, ts)]
        out_layers.append(d)

    def refs(v):
        return [list(r) for r in numpy_ref._refs(v)]
    ins, outs = refs(cfg2["config"]["input_layers"]), refs(cfg2["config"]["output_layers"])
    return {"module": "keras.src.models.functional", "class_name": "Functional", "config": {
        "name": name, "trainable": True, "layers": out_layers,
        "input_layers": ins[0] if len(ins) == 1 else ins, "output_layers": outs[0] if len(outs) == 1 else outs},
        "registered_name": "Functional"}


def write_k3_weight_tree(g, cfg2, by, flat=None):
    """layers/<snake>[_k] in the order of model.layers (a Sequential's
    InputLayer is not among its layers; a functional model's is)."""
    used = {}
    lg = g.create_group("layers")
    layers = layers_of(cfg2)
    if flat is not None:
        by = {}
        i = 0
        for L in layers:
            n = numpy_ref.weight_count(L)
            by[L["config"]["name"]] = flat[i:i + n]
            i += n
    for L in layers:
        cls = L["class_name"]
        if cls == "InputLayer" and cfg2["class_name"] == "Sequential":
            continue
        s = snake(cls if cls != "Model" else "Functional")
        if s in used:
            used[s] += 1
            s = "%s_%d" % (s, used[s])
        else:
            used[s] = 0
        h = lg.create_group(s)
        ws = [np.asarray(w["data"], dtype=np.float32).reshape(w["shape"]) for w in by.get(L["config"]["name"], [])]
        if cls in ("Sequential", "Functional", "Model"):
            write_k3_weight_tree(h, L, None, flat=by.get(L["config"]["name"], []))
            h.create_group("vars")
            continue
        if cls in RNN_CELL:
            vars_group(h.create_group("cell"), ws)
            vars_group(h, [])
        elif cls == "Bidirectional":
            n = len(ws) // 2
            for side, part in (("forward_layer", ws[:n]), ("backward_layer", ws[n:])):
                sg = h.create_group(side)
                vars_group(sg.create_group("cell"), part)
                vars_group(sg, [])
            vars_group(h, [])
        elif cls == "TimeDistributed":
            vars_group(h.create_group("layer"), ws)
            vars_group(h, [])
        elif cls == "MultiHeadAttention":
            # Keras 3 saves the four EinsumDense sublayers under the layer's
            # attributes query_dense, key_dense, value_dense, output_dense
            n = len(ws) // 4
            for i, sub in enumerate(("query_dense", "key_dense", "value_dense", "output_dense")):
                vars_group(h.create_group(sub), ws[i * n:(i + 1) * n])
            vars_group(h, [])
        else:
            vars_group(h, ws)


def vars_group(g, arrays):
    v = g.create_group("vars")
    for i, a in enumerate(arrays):
        v.create_dataset(str(i), data=np.asarray(a, dtype=np.float32))


def k3_files(doc):
    CUSTOM.clear()
    CUSTOM.update(doc.get("custom") or {})
    cfg2 = tf2_config(doc)
    shapes = tensor_shapes(doc, cfg2)
    dtypes = {}
    for L in layers_of(cfg2):
        if L["class_name"] == "InputLayer":
            dtypes[L["config"]["name"]] = L["config"].get("dtype", "float32")
    cfg3 = k3_model_config(cfg2, shapes, dtypes)
    bio = io.BytesIO()
    with h5py.File(bio, "w") as f:
        write_k3_weight_tree(f, cfg2, weights_by_layer(doc))
        f.create_group("optimizer").create_group("vars")
    return cfg3, bio.getvalue()


def write_k3_keras(doc, outdir):
    cfg3, weights = k3_files(doc)
    path = os.path.join(outdir, "model.keras")
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("metadata.json", json.dumps({"keras_version": doc.get("k3_version") or K3_VERSION,
                                                "date_saved": "2025-01-01@00:00:00"}))
        z.writestr("config.json", json.dumps(cfg3))
        z.writestr("model.weights.h5", weights)
    return path, None


def write_k3_weights(doc, outdir):
    cfg3, weights = k3_files(doc)
    path = os.path.join(outdir, "model.weights.h5")
    with open(path, "wb") as fh:
        fh.write(weights)
    cpath = os.path.join(outdir, "config.json")
    with open(cpath, "w") as fh:
        json.dump(cfg3, fh)
    return path, cpath


WRITERS = {"tf2_h5": (write_tf2_h5, 2), "tf2_weights": (write_tf2_weights, 2),
           "k3_keras": (write_k3_keras, 3), "k3_weights": (write_k3_weights, 3)}


def main(argv):
    if len(argv) < 2:
        sys.stderr.write(__doc__)
        return 2
    dumpdir, outdir = argv[0], argv[1]
    only = set(argv[argv.index("--only") + 1].split(",")) if "--only" in argv else None
    names = json.load(open(os.path.join(dumpdir, "models.json")))
    manifest = []
    for name in names:
        if only and name not in only:
            continue
        doc = json.load(open(os.path.join(dumpdir, name + ".json")))
        for layout in doc["layouts"]:
            fn, major = WRITERS[layout]
            d = os.path.join(outdir, name, layout)
            os.makedirs(d, exist_ok=True)
            path, cpath = fn(doc, d)
            manifest.append({"model": name, "layout": layout, "file": path, "config": cpath, "keras_major": major,
                             "dump": os.path.join(dumpdir, name + ".json"),
                             "custom": doc.get("convert_custom") or None})
    with open(os.path.join(outdir, "manifest.json"), "w") as fh:
        json.dump(manifest, fh, indent=1)
    print("write-keras: %d files for %d models in %s" % (len(manifest), len({m["model"] for m in manifest}), outdir))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
