#!/usr/bin/python3
"""Double-precision NumPy implementation of the Keras TextAttBiRNN semantics
(docs/keras-layers.md), the truth that arnn's predictions are checked against.

It runs either on the ORIGINAL Keras weights, read straight from the Keras
file through the dataset paths in a make-keras-files.py manifest (CuDNN
layouts computed the way cuDNN computes them, never through the converter's
conversion), or on an arnn model file (plain Keras layout). Comparing the two
checks the converter's reading order and CuDNN conversion independently.

  reference.py MANIFEST_DIR NAME [IDS_FILE]   probabilities from the original Keras file
  reference.py --arnn MODEL.safetensors [IDS_FILE]
IDS_FILE: one sequence per line, space-separated token ids (dense models: not
supported on the command line). Output: one line of C probabilities per input
(%.9g), as `arnn predict` prints them.

Semantics implemented (each from the Keras sources):
  LSTM   z = x K + h R + b, gates i, f, c, o:  c' = f c + i tanh(z_c), h' = o tanh(c')
  GRU    gates z, r, h; reset_after=True: hh = tanh(x K_h + b_in_h + r (h R_h + b_rec_h))
         reset_after=False: hh = tanh(x K_h + b_h + (r h) R_h);   h' = z h + (1 - z) hh
  cuDNN  gate g uses the [H, E] row-major matrix stored in the memory of the Keras
         [E, H] block g (CuDNNLSTM/_CuDNNRNN._canonical_to_params flattens each block);
         LSTM adds input and recurrent bias; GRU (cuDNN order r, z, h; Keras blocks
         z, r, h) computes hh = tanh(W_h x + b_Wh + r (R_h h + b_Rh))
  recurrent activation: sigmoid | clip(0.2x + 0.5) (Keras 2) | clip(x/6 + 0.5) (Keras 3)
  mask   a masked step leaves h and c unchanged; the backward layer reads the
         reversed sequence and mask, its outputs are re-reversed; [fw, bw] concat
  attention eps:     e = tanh(x W + b); a = exp(e) mask; a /= sum(a) + 1e-7; c = sum a_t x_t
  attention softmax: a = softmax(e) (the softmax form, docs/custom-attention.md)
  head   sigmoid(c K + b) or softmax (max subtracted)
"""
import io
import json
import os
import sys
import zipfile

import numpy as np

EPS = 1e-7


def ract_fn(name):
    if name == "sigmoid":
        return lambda x: 1.0 / (1.0 + np.exp(-x))
    if name == "hard_sigmoid_keras2":
        return lambda x: np.clip(0.2 * x + 0.5, 0.0, 1.0)
    if name == "hard_sigmoid_keras3":
        return lambda x: np.clip(x / 6.0 + 0.5, 0.0, 1.0)
    raise ValueError(name)


def cudnn_blocks(m, G, H):
    """Per-gate matrices as cuDNN reads them: block g of the Keras [rows, G*H]
    array, flattened in C order, read as an [H, rows] row-major matrix."""
    rows = m.shape[0]
    return [np.ascontiguousarray(m[:, g * H:(g + 1) * H]).reshape(-1).reshape(H, rows) for g in range(G)]


def run_direction(x, mask, w, sem):
    """x [T, E] float64, mask [T] bool, w = [kernel, recurrent, bias?] as stored."""
    T = x.shape[0]
    H = sem["H"]
    cell = sem["cell"]
    G = 4 if cell == "lstm" else 3
    s = ract_fn(sem["recurrent_activation"])
    K, R = w[0], w[1]
    b = w[2] if len(w) > 2 else None
    h = np.zeros(H)
    c = np.zeros(H)
    out = np.zeros((T, H))
    if sem["rnn_layout"] == "cudnn":
        Wg = cudnn_blocks(K, G, H)
        Rg = cudnn_blocks(R, G, H)
        bw, br = b[:G * H], b[G * H:]
        bwg = [bw[g * H:(g + 1) * H] for g in range(G)]
        brg = [br[g * H:(g + 1) * H] for g in range(G)]
    for t in range(T):
        if mask[t]:
            xt = x[t]
            if sem["rnn_layout"] == "cudnn":
                if cell == "lstm":
                    zi, zf, zc, zo = [Wg[g] @ xt + Rg[g] @ h + bwg[g] + brg[g] for g in range(4)]
                    i, f, o = s(zi), s(zf), s(zo)
                    c = f * c + i * np.tanh(zc)
                    h = o * np.tanh(c)
                else:  # Keras block order z, r, h
                    z = s(Wg[0] @ xt + Rg[0] @ h + bwg[0] + brg[0])
                    r = s(Wg[1] @ xt + Rg[1] @ h + bwg[1] + brg[1])
                    hh = np.tanh(Wg[2] @ xt + bwg[2] + r * (Rg[2] @ h + brg[2]))
                    h = (1.0 - z) * hh + z * h
            elif cell == "lstm":
                z = xt @ K + h @ R + (b if b is not None else 0.0)
                i, f, zc, o = s(z[:H]), s(z[H:2 * H]), z[2 * H:3 * H], s(z[3 * H:])
                c = f * c + i * np.tanh(zc)
                h = o * np.tanh(c)
            elif sem["reset_after"]:
                bi = b[0] if b is not None else 0.0
                brc = b[1] if b is not None else 0.0
                xz = xt @ K + bi
                hz = h @ R + brc
                z = s(xz[:H] + hz[:H])
                r = s(xz[H:2 * H] + hz[H:2 * H])
                hh = np.tanh(xz[2 * H:] + r * hz[2 * H:])
                h = z * h + (1.0 - z) * hh
            else:
                xz = xt @ K + (b if b is not None else 0.0)
                z = s(xz[:H] + h @ R[:, :H])
                r = s(xz[H:2 * H] + h @ R[:, H:2 * H])
                hh = np.tanh(xz[2 * H:] + (r * h) @ R[:, 2 * H:])
                h = z * h + (1.0 - z) * hh
        out[t] = h
    return out


def predict_one(model, seq):
    """seq: ids [T] (int) or dense [T, E]. Returns (probs [C], attention [T])."""
    sem, w = model["semantics"], model["weights"]
    T = sem["T"]
    if sem["input"] == "ids":
        ids = np.asarray(seq, dtype=np.int64)
        assert ids.shape == (T,)
        x = w["embedding"][0][ids]
        mask = ids != 0 if sem["mask_zero"] else np.ones(T, bool)
    else:
        x = np.asarray(seq, dtype=np.float64)
        mask = np.ones(T, bool)
    fw = run_direction(x, mask, w["rnn"][0], sem)
    bw = run_direction(x[::-1], mask[::-1], w["rnn"][1], sem)[::-1]
    hs = np.concatenate([fw, bw], axis=1)  # [T, 2H]
    W = w["attention"][0].reshape(-1)
    e = hs @ W
    if sem["attention_bias"]:
        e = e + w["attention"][1].reshape(-1)
    e = np.tanh(e)
    if sem["attention"] == "eps":
        a = np.exp(e) * mask
        a = a / (a.sum() + EPS)
    else:
        a = np.exp(e - e.max())
        a = a / a.sum()
    ctx = a @ hs
    logits = ctx @ w["dense"][0] + (w["dense"][1] if len(w["dense"]) > 1 else 0.0)
    if sem["head"] == "sigmoid":
        probs = 1.0 / (1.0 + np.exp(-logits))
    else:
        z = np.exp(logits - logits.max())
        probs = z / z.sum()
    return probs, a


# ---------------------------------------------------------------- loading

def load_original(manifest_dir, entry):
    """Model from the original Keras file, reading each weight by the dataset
    path the fixture generator recorded (no converter code involved)."""
    import h5py
    path = os.path.join(manifest_dir, entry["file"])
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            f = h5py.File(io.BytesIO(z.read("model.weights.h5")), "r")
    else:
        f = h5py.File(path, "r")
    def rd(p):
        return np.asarray(f[p], dtype=np.float64)
    wp = entry["weights"]
    w = {"rnn": [[rd(p) for p in d] for d in wp["rnn"]], "attention": [rd(p) for p in wp["attention"]],
         "dense": [rd(p) for p in wp["dense"]]}
    if "embedding" in wp:
        w["embedding"] = [rd(p) for p in wp["embedding"]]
    f.close()
    return {"semantics": entry["semantics"], "weights": w}


def read_safetensors(path):
    """(metadata dict, {name: float64 array}) of an arnn model file."""
    with open(path, "rb") as fh:
        data = fh.read()
    n = int.from_bytes(data[:8], "little")
    header = json.loads(data[8:8 + n].decode("utf8"))
    meta = header.pop("__metadata__", {})
    base = 8 + n
    tensors = {}
    for name, t in header.items():
        assert t["dtype"] in ("F32", "BF16"), name
        b, e = t["data_offsets"]
        if t["dtype"] == "BF16":  # the 16 high bits of a float32: widened exactly
            a = (np.frombuffer(data[base + b:base + e], dtype="<u2").astype(np.uint32) << 16).view(np.float32)
        else:
            a = np.frombuffer(data[base + b:base + e], dtype="<f4")
        tensors[name] = a.astype(np.float64).reshape(t["shape"])
    return meta, tensors


def load_arnn(path, T=None):
    """Model from an arnn model file (plain Keras layout): version 1, or a
    version 2 graph holding the TextAttBiRNN chain ([embedding] -> rnn ->
    attention_pool -> dense). T: the steps when the graph leaves them open."""
    meta, t = read_safetensors(path)
    if meta.get("format_version") == "2":
        return load_arnn_graph(meta, t, T)
    sem = {"input": meta["input"], "T": int(meta["T"]), "E": int(meta["E"]), "H": int(meta["H"]),
           "C": int(meta["C"]), "cell": meta["cell"], "rnn_layout": "keras",
           "reset_after": meta.get("gru_reset_after") == "true", "recurrent_activation": meta["recurrent_activation"],
           "mask_zero": meta.get("mask_zero") == "true", "attention": meta["attention"],
           "attention_bias": meta["attention_bias"] == "true", "head": meta["head"]}
    w = {"rnn": [[t["rnn.%s.%s" % (d, k)] for k in ("kernel", "recurrent_kernel", "bias")]
                 for d in ("forward", "backward")],
         "attention": [t["attention.weight"]] + ([t["attention.bias"]] if "attention.bias" in t else []),
         "dense": [t["dense.kernel"], t["dense.bias"]]}
    if "embedding.weight" in t:
        w["embedding"] = [t["embedding.weight"]]
    return {"semantics": sem, "weights": w, "metadata": meta}


def load_arnn_graph(meta, t, T=None):
    g = json.loads(meta["graph"])
    ops = [l["op"] for l in g["layers"]]
    assert ops in (["embedding", "rnn", "attention_pool", "dense"], ["rnn", "attention_pool", "dense"]), ops
    by = {l["op"]: l for l in g["layers"]}
    inp = g["inputs"][0]
    rnn, att, dense = by["rnn"], by["attention_pool"], by["dense"]
    assert rnn["bidirectional"] and rnn["merge_mode"] == "concat" and rnn["return_sequences"]
    assert rnn["activation"] == {"name": "tanh"} and dense["activation"]["name"] in ("sigmoid", "softmax")
    H = rnn["units"]
    E = t[rnn["name"] + "/forward/kernel"].shape[0]
    sem = {"input": "ids" if inp["dtype"] == "ids" else "dense", "T": inp["shape"][0] or T, "E": E, "H": H,
           "C": dense["units"], "cell": rnn["cell"], "rnn_layout": "keras", "reset_after": rnn["reset_after"],
           "recurrent_activation": rnn["recurrent_activation"]["name"],
           "mask_zero": bool(by.get("embedding", {}).get("mask_zero")), "attention": att["form"],
           "attention_bias": att["bias"], "head": dense["activation"]["name"]}
    w = {"rnn": [[t["%s/%s/%s" % (rnn["name"], d, k)] for k in ("kernel", "recurrent_kernel", "bias")
                  if "%s/%s/%s" % (rnn["name"], d, k) in t] for d in ("forward", "backward")],
         "attention": [t[att["name"] + "/weight"]] + ([t[att["name"] + "/bias"]] if att["bias"] else []),
         "dense": [t[dense["name"] + "/kernel"]] + ([t[dense["name"] + "/bias"]] if dense["use_bias"] else [])}
    if "embedding" in by:
        w["embedding"] = [t[by["embedding"]["name"] + "/embeddings"]]
    return {"semantics": sem, "weights": w, "metadata": meta, "graph": g}


def main(argv):
    if not argv or argv[0] in ("-h", "--help"):
        sys.stdout.write(__doc__)
        return 0
    if argv[0] == "--arnn":
        model = load_arnn(argv[1])
        rest = argv[2:]
    else:
        with open(os.path.join(argv[0], "manifest.json")) as fh:
            man = json.load(fh)
        entry = [e for e in man["fixtures"] if e["name"] == argv[1]][0]
        model = load_original(argv[0], entry)
        rest = argv[2:]
    src = open(rest[0]) if rest else sys.stdin
    for line in src:
        ids = [int(v) for v in line.split()]
        probs, _ = predict_one(model, ids)
        print(" ".join("%.9g" % p for p in probs))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
