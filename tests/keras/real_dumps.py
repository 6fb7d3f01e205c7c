#!/usr/bin/python3
"""Dumps of the real Keras files (shared/real-keras, never copied into the
repository) in make-models.js' format, for predict-dumps.js (TensorFlow.js
loads each file's own config and weights) and test-keras-models.py:

  config   the file's model config, in the Keras 2 form tfjs reads (a Keras 3
           config loses module/registered_name/build_config and its dtype
           policies, batch_shape becomes batch_input_shape)
  weights  every layer's weights in the file's weight_names / vars order
  inputs   fixed random inputs (B = 3): token ids with front padding zeros
           for an Embedding model, N(0, 1) floats otherwise
  keras_major  the Keras that saved it (hard_sigmoid differs: Keras 2
           clip(0.2x+0.5), Keras 3 clip(x/6+0.5))

usage: real_dumps.py REALDIR OUTDIR
"""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy_ref  # noqa: E402

B = 3
# name -> the steps used when the file leaves T open
REAL = {
    "anushree_bilstm_model.h5": {"T": 24},
    "camps_lstm.h5": {},
    "logshield_bilstm_attention.h5": {},
    "vinod_hybrid_model.keras": {},
    "kevin_lstm_model.h5": {"T": 12},
}
# files arnn-convert must refuse, and a word the message must contain
REAL_REFUSED = {"kevin_model_attention.h5": "Lambda"}


def keras2_form(o):
    if isinstance(o, list):
        return [keras2_form(x) for x in o]
    if not isinstance(o, dict):
        return o
    out = {}
    for k, v in o.items():
        if k in ("module", "registered_name", "build_config", "compile_config", "shared_object_id"):
            continue
        if k == "dtype" and isinstance(v, dict):
            v = v.get("config", {}).get("name", "float32")
        if k == "batch_shape":
            k = "batch_input_shape"
        out[k] = keras2_form(v)
    return out


def real_inputs(cfg, name):
    rng = np.random.default_rng(20240 + sum(map(ord, name)))
    layers = numpy_ref.layer_list_of(cfg)
    first = layers[0]["config"]
    shape = first.get("batch_input_shape") or first.get("batch_shape")
    emb = [L for L in layers if L["class_name"] == "Embedding"]
    T = shape[1] if shape and shape[1] else REAL[name]["T"]
    if emb:
        V = emb[0]["config"]["input_dim"]
        ids = rng.integers(1, V, size=(B, T))
        ids[0, :min(3, T - 1)] = 0  # Keras pad_sequences' default: front padding
        return [{"dtype": "int32", "shape": [B, T], "data": ids.ravel().tolist()}]
    x = rng.normal(0, 1, size=(B, T, shape[2])).astype(np.float32)
    return [{"dtype": "float32", "shape": [B, T, shape[2]], "data": x.ravel().tolist()}]


def dump(path, name):
    cfg, weights, major = numpy_ref.load_keras_file(path)
    ws = []
    for layer, arrays in weights.items():
        for a in arrays:
            a32 = np.asarray(a, dtype=np.float32)
            ws.append({"layer": layer, "shape": list(a32.shape), "data": a32.ravel().tolist()})
    return {"name": "real " + name, "file": path, "ref": "tfjs", "keras_major": major, "config": keras2_form(cfg),
            "weights": ws, "inputs": real_inputs(cfg, name), "tfjs": None}


def main(argv):
    realdir, outdir = argv
    os.makedirs(outdir, exist_ok=True)
    names = []
    for name in REAL:
        path = os.path.join(realdir, name)
        if not os.path.exists(path):
            print("real_dumps: %s missing" % path)
            continue
        with open(os.path.join(outdir, name + ".json"), "w") as fh:
            json.dump(dump(path, name), fh)
        names.append(name)
    print("real_dumps: %d real Keras files dumped to %s" % (len(names), outdir))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
