#!/usr/bin/python3
"""ctest: every synthetic Keras fixture (make-keras-files.py) converts with
tools/arnn-convert to a format-version-2 file; its graph (inputs, ops, keys,
max_steps) and tensor names and shapes are exactly the expected ones; the
converted weights compute the same probabilities and attention weights as the
ORIGINAL Keras weights under reference.py (|diff| <= 1e-5; CuDNN fixtures
also prove the check would catch a bias-only conversion); the graph-only
variants convert with the expected layer; every unsupported architecture is
refused with a message naming the layer. Then convert_graph_tests.py: every
layer kind, nested models, the Keras 3 inbound form, several inputs/outputs,
one refusal listing all unsupported layers, and the real Keras files of
../shared/real-keras (skipped when absent; --real-keras DIR overrides).
These checks need no arnn binary.
With --arnn, the C library also loads each converted file (`arnn info
--json`) and predicts every input (`arnn predict --json --attention` on an
.npy batch), which must match the ORIGINAL model within 1e-5 (probabilities
and attention weights): the end-to-end check.

usage: test-convert.py --convert tools/arnn-convert --workdir DIR [--arnn build/arnn] [--emulator "qemu-aarch64 -L ROOT"]
                       [--real-keras DIR]
Exits 77 (ctest: skipped) with a message when numpy or h5py is missing.
"""
import json
import os
import subprocess
import sys

try:
    import numpy as np
    import h5py  # noqa: F401  (the fixture generator needs it)
except ImportError as e:
    print("SKIP: tests/model needs numpy and h5py (Debian: python3-numpy python3-h5py): %s" % e)
    sys.exit(77)

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import reference  # noqa: E402

failures = 0


def check(cond, msg):
    global failures
    if not cond:
        failures += 1
        if failures < 60:
            print("FAIL: " + msg)
    return cond


def expected_layers(sem, layout):
    """op -> the keys the converter must write for the TextAttBiRNN chain."""
    modern = not layout.startswith("k22")  # tf.keras 2.x / Keras 3: Bidirectional forces zero outputs
    want = {
        "rnn": {"cell": sem["cell"], "units": sem["H"], "bidirectional": True, "merge_mode": "concat",
                "return_sequences": True, "go_backwards": False, "activation": {"name": "tanh"},
                "recurrent_activation": {"name": sem["recurrent_activation"]},
                "reset_after": sem["cell"] == "gru" and sem["reset_after"], "zero_output_for_mask": modern},
        "attention_pool": {"form": sem["attention"], "epsilon": 1e-07, "bias": sem["attention_bias"]},
        "dense": {"units": sem["C"], "activation": {"name": sem["head"]} if sem["head"] == "sigmoid" else
                  {"name": "softmax", "axis": 0}, "use_bias": True},
    }
    if sem["input"] == "ids":
        want["embedding"] = {"mask_zero": sem["mask_zero"]}
    return want


def expected_shapes(sem, names, use_bias=True):
    """tensor name -> shape; names: op -> graph layer name."""
    E, H, T, C, V = sem["E"], sem["H"], sem["T"], sem["C"], sem["V"]
    G = 4 if sem["cell"] == "lstm" else 3
    s = {}
    if sem["input"] == "ids":
        s[names["embedding"] + "/embeddings"] = [V, E]
    for d in ("forward", "backward"):
        s["%s/%s/kernel" % (names["rnn"], d)] = [E, G * H]
        s["%s/%s/recurrent_kernel" % (names["rnn"], d)] = [H, G * H]
        if use_bias:
            s["%s/%s/bias" % (names["rnn"], d)] = [2, G * H] if sem["cell"] == "gru" and sem["reset_after"] else [G * H]
    s[names["attention_pool"] + "/weight"] = [2 * H]
    if sem["attention_bias"]:
        s[names["attention_pool"] + "/bias"] = [T]
    s[names["dense"] + "/kernel"] = [2 * H, C]
    s[names["dense"] + "/bias"] = [C]
    return s


def check_graph(name, meta, tensors, sem, layout):
    """Version-2 metadata and graph of a converted TextAttBiRNN fixture."""
    check(meta.get("format") == "arnn" and meta.get("format_version") == "2",
          "%s: format %r version %r" % (name, meta.get("format"), meta.get("format_version")))
    try:
        g = json.loads(meta["graph"])
    except (KeyError, ValueError) as e:
        check(False, "%s: no graph JSON: %s" % (name, e))
        return None
    check(sorted(g) == ["inputs", "layers", "max_steps", "outputs"], "%s: graph keys %s" % (name, sorted(g)))
    inp = g["inputs"]
    want_in = {"dtype": "ids" if sem["input"] == "ids" else "float32",
               "shape": [sem["T"]] if sem["input"] == "ids" else [sem["T"], sem["E"]]}
    check(len(inp) == 1 and all(inp[0].get(k) == v for k, v in want_in.items()),
          "%s: inputs %s, expected %s" % (name, inp, want_in))
    check(g["max_steps"] == sem["T"], "%s: max_steps %s, expected T=%d" % (name, g["max_steps"], sem["T"]))
    ops = [l["op"] for l in g["layers"]]
    want_ops = (["embedding"] if sem["input"] == "ids" else []) + ["rnn", "attention_pool", "dense"]
    if not check(ops == want_ops, "%s: ops %s, expected %s" % (name, ops, want_ops)):
        return None
    names = {l["op"]: l["name"] for l in g["layers"]}
    check(g["outputs"] == [names["dense"]], "%s: outputs %s" % (name, g["outputs"]))
    prev = inp[0]["name"]
    for layer in g["layers"]:
        check(layer["inputs"] == [prev], "%s: %s inputs %s, expected [%s]" % (name, layer["name"], layer["inputs"],
                                                                              prev))
        prev = layer["name"]
        for k, v in expected_layers(sem, layout)[layer["op"]].items():
            check(layer.get(k) == v, "%s: %s.%s = %r, expected %r" % (name, layer["name"], k, layer.get(k), v))
    return names


def inputs_for(sem, rng):
    """Sequences exercising masks with front and end padding, lengths 0..T."""
    T = sem["T"]
    seqs = []
    if sem["input"] == "dense":
        return [rng.normal(0, 1, (T, sem["E"])) for _ in range(4)]
    V = sem["V"]
    if sem["mask_zero"]:
        for L in sorted({0, 1, T // 2, max(T - 1, 0), T}):
            toks = rng.integers(1, V, L)
            seqs.append(np.concatenate([np.zeros(T - L, np.int64), toks]))  # front padding (pad_sequences)
            seqs.append(np.concatenate([toks, np.zeros(T - L, np.int64)]))  # end padding (padding='post')
        seqs.append(np.array([(t % 2) * rng.integers(1, V) for t in range(T)]))  # holes inside
    else:
        for _ in range(4):
            seqs.append(rng.integers(0, V, T))
    return seqs


class Result:
    def __init__(self, returncode, stderr):
        self.returncode, self.stderr = returncode, stderr


_converter = None


def run_convert(args, convert, subprocess_run=False):
    """The converter in this process (fast: h5py is imported once), or as a
    real command when subprocess_run is set (checks the script's entry point)."""
    global _converter
    if subprocess_run:
        return subprocess.run(["/usr/bin/python3", convert, "-q"] + args, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, universal_newlines=True)
    if _converter is None:
        import importlib.machinery
        import importlib.util
        loader = importlib.machinery.SourceFileLoader("arnn_convert", convert)
        spec = importlib.util.spec_from_loader("arnn_convert", loader)
        _converter = importlib.util.module_from_spec(spec)
        loader.exec_module(_converter)
    import contextlib
    import io
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        try:
            rc = _converter.main(["-q"] + args)
        except SystemExit as e:  # argparse usage errors
            rc = e.code
    return Result(rc, err.getvalue())


_orig_cache = {}


def orig_for(workdir, e):
    if e["name"] not in _orig_cache:
        _orig_cache[e["name"]] = reference.load_original(workdir, e)
    return _orig_cache[e["name"]]


def check_arnn_predict(name, sem, arnn, emulator, model, orig, seqs, workdir):
    """arnn predict on all seqs at once; returns the largest difference."""
    path = os.path.join(workdir, name + ".input.npy")
    if sem["input"] == "ids":
        np.save(path, np.stack(seqs).astype(np.int32))
        flag = "--ids"
    else:
        np.save(path, np.stack(seqs).astype(np.float32))
        flag = "--dense"
    r = subprocess.run(emulator + [arnn, "predict", model, flag, path, "--json", "--attention", "--batch", "3"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
    if not check(r.returncode == 0, "%s: arnn predict failed: %s" % (name, r.stderr.strip())):
        return 0.0
    lines = r.stdout.splitlines()
    if not check(len(lines) == len(seqs), "%s: arnn predict printed %d lines for %d inputs" % (name, len(lines),
                                                                                             len(seqs))):
        return 0.0
    worst = 0.0
    for i, (x, line) in enumerate(zip(seqs, lines)):
        got = json.loads(line)
        p0, a0 = reference.predict_one(orig, x)
        d = max(np.max(np.abs(np.array(got["probs"]) - p0)), np.max(np.abs(np.array(got["attention"]) - a0)))
        worst = max(worst, d)
        check(d <= 1e-5, "%s: input %d: arnn predict differs from the Keras reference by %.3g" % (name, i, d))
    return worst


def main(argv):
    convert = argv[argv.index("--convert") + 1]
    workdir = argv[argv.index("--workdir") + 1]
    arnn = argv[argv.index("--arnn") + 1] if "--arnn" in argv else None
    # --emulator "qemu-aarch64 -L /usr/aarch64-linux-gnu": prefix for a cross-built CLI
    emulator = argv[argv.index("--emulator") + 1].split() if "--emulator" in argv else []
    gen = subprocess.run(["/usr/bin/python3", os.path.join(HERE, "make-keras-files.py"), workdir])
    if gen.returncode != 0:
        print("FAIL: make-keras-files.py failed")
        return 1
    with open(os.path.join(workdir, "manifest.json")) as fh:
        man = json.load(fh)
    rng = np.random.default_rng(20261121)
    print("seed 20261121, %d fixtures, %d refused architectures" % (len(man["fixtures"]), len(man["refused"])))
    worst = 0.0
    worst_c = 0.0
    for e in man["fixtures"]:
        name, sem = e["name"], e["semantics"]
        src = os.path.join(workdir, e["file"])
        out = os.path.join(workdir, name + ".safetensors")
        args = [src, "-o", out]
        if e["config"]:
            args += ["--config", os.path.join(workdir, e["config"])]
        labels = ["class %d" % c for c in range(sem["C"])] if sem["C"] > 1 else None
        if labels:
            args += ["--labels", ",".join(labels)]
        r = run_convert(args, convert, subprocess_run=e is man["fixtures"][0])
        if not check(r.returncode == 0, "%s: converter failed: %s" % (name, r.stderr.strip())):
            continue
        meta, tensors = reference.read_safetensors(out)
        with open(out, "rb") as fh:
            raw = fh.read()
        hlen = int.from_bytes(raw[:8], "little")
        check(hlen % 8 == 0, "%s: header length %d not padded to 8" % (name, hlen))
        names = check_graph(name, meta, tensors, sem, e["layout"])
        if labels:
            check(json.loads(meta.get("labels", "null")) == labels, "%s: labels %r" % (name, meta.get("labels")))
        if names is None:
            continue
        rnn_layer = [l for l in json.loads(meta["graph"])["layers"] if l["op"] == "rnn"][0]
        shapes = expected_shapes(sem, names, rnn_layer["use_bias"])
        check(sorted(tensors) == sorted(shapes), "%s: tensors %s, expected %s" % (name, sorted(tensors), sorted(shapes)))
        for k, s in shapes.items():
            if k in tensors:
                check(list(tensors[k].shape) == s, "%s: %s shape %s, expected %s" % (name, k, tensors[k].shape, s))
        if arnn:
            r = subprocess.run(emulator + [arnn, "info", "--json", out], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               universal_newlines=True)
            if check(r.returncode == 0, "%s: arnn info failed: %s" % (name, r.stderr.strip())):
                info = json.loads(r.stdout)
                check(info.get("labels") == (labels or [str(c) for c in range(sem["C"])]),
                      "%s: arnn info labels %r" % (name, info.get("labels")))
        # numerics: original Keras weights (reference semantics) vs converted plain layout
        orig = orig_for(workdir, e)
        conv = reference.load_arnn(out, sem["T"])
        seqs = inputs_for(sem, rng)
        if sem["input"] == "dense":
            seqs = [x.astype(np.float32).astype(np.float64) for x in seqs]  # what arnn sees
        if arnn:
            worst_c = max(worst_c, check_arnn_predict(name, sem, arnn, emulator, out, orig_for(workdir, e), seqs,
                                                      workdir))
        for i, x in enumerate(seqs):
            p0, a0 = reference.predict_one(orig, x)
            p1, a1 = reference.predict_one(conv, x)
            d = max(np.max(np.abs(p0 - p1)), np.max(np.abs(a0 - a1)))
            worst = max(worst, d)
            check(d <= 1e-5, "%s: input %d: converted model differs from the original by %.3g" % (name, i, d))
            check(np.all(np.isfinite(p0)) and abs(p0.sum() - 1) < 1e-9 if sem["head"] == "softmax" else True,
                  "%s: reference probabilities %s" % (name, p0))
        if sem["rnn_layout"] == "cudnn":
            # The check above is sensitive: a converter that only sums the bias computes garbage.
            naive = {"semantics": dict(sem, rnn_layout="keras"), "weights": dict(orig["weights"])}
            G = 4 if sem["cell"] == "lstm" else 3
            naive["weights"]["rnn"] = [[k, rk, (b[:G * sem["H"]] + b[G * sem["H"]:]) if G == 4 else b.reshape(2, -1)]
                                       for k, rk, b in orig["weights"]["rnn"]]
            dn = max(np.max(np.abs(reference.predict_one(orig, x)[0] - reference.predict_one(naive, x)[0]))
                     for x in seqs)
            check(dn > 1e-3, "%s: a bias-only CuDNN conversion would pass (diff %.3g)" % (name, dn))
        print("ok   %-26s %s" % (name, e["layout"]))
    print("largest |original - converted| over probabilities and attention: %.3g" % worst)
    if arnn:
        print("largest |Keras reference - arnn predict| over probabilities and attention: %.3g" % worst_c)

    for e in man.get("graph_only", []):
        name = e["name"]
        out = os.path.join(workdir, name + ".safetensors")
        args = [os.path.join(workdir, e["file"]), "-o", out]
        if e["config"]:
            args += ["--config", os.path.join(workdir, e["config"])]
        r = run_convert(args, convert)
        if not check(r.returncode == 0, "%s: converter failed: %s" % (name, r.stderr.strip())):
            continue
        meta, tensors = reference.read_safetensors(out)
        layers = json.loads(meta["graph"])["layers"]
        hit = [l for l in layers if all(l.get(k) == v for k, v in e["expect"].items())]
        check(hit, "%s: no layer with %s in %s" % (name, e["expect"], layers))
        print("ok   %-26s converts (%s)" % (name, ", ".join(l["op"] for l in layers)))

    for e in man["refused"]:
        name = e["name"]
        out = os.path.join(workdir, name + ".safetensors")
        args = [os.path.join(workdir, e["file"]), "-o", out]
        if e["config"]:
            args += ["--config", os.path.join(workdir, e["config"])]
        r = run_convert(args, convert, subprocess_run=e is man["refused"][0])
        check(r.returncode == 2, "%s: converter exit %d, expected 2 (refused)" % (name, r.returncode))
        check(e["expect"] in r.stderr, "%s: message %r lacks %r" % (name, r.stderr.strip(), e["expect"]))
        check(not os.path.exists(out), "%s: refused model still wrote %s" % (name, out))
        print("ok   %-26s refused: %s" % (name, r.stderr.strip().split(": ", 2)[-1]))

    # weights-only files need --config, and say so
    wonly = [e for e in man["fixtures"] if e["config"]][0]
    r = run_convert([os.path.join(workdir, wonly["file"]), "-o", os.path.join(workdir, "x.safetensors")], convert)
    check(r.returncode == 2 and "--config" in r.stderr, "weights-only without --config: %r" % r.stderr)
    # labels count must match C
    e0 = man["fixtures"][0]
    r = run_convert([os.path.join(workdir, e0["file"]), "-o", os.path.join(workdir, "x.safetensors"),
                     "--labels", "a,b,c,d,e,f,g"], convert)
    check(r.returncode == 2 and "--labels" in r.stderr, "wrong label count: %r" % r.stderr)
    # not a Keras file at all
    junk = os.path.join(workdir, "junk.h5")
    with open(junk, "wb") as fh:
        fh.write(b"not hdf5")
    r = run_convert([junk, "-o", os.path.join(workdir, "x.safetensors")], convert)
    check(r.returncode == 2 and "junk.h5" in r.stderr, "junk input: %r" % r.stderr)

    import convert_graph_tests
    real = argv[argv.index("--real-keras") + 1] if "--real-keras" in argv else None
    convert_graph_tests.run(check, os.path.join(workdir, "graph"), real or convert_graph_tests.default_real_dir())

    print("%d failures" % failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
