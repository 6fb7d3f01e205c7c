#!/usr/bin/python3
"""ctest: bf16 weights end to end.

 1. The converter's rounding (arnn.converter.bf16_bits, NumPy) and the
    library's (kernels/common/bf16-inl.h) give the same bits: a checksum over
    every float high half with low halves around each rounding boundary
    (`bf16-test --hash`), and a table of edge cases (ties to even, the carry
    into the exponent, +-0, +-inf, quiet and signalling NaN, subnormals,
    FLT_MAX to inf).
 2. examples/imdb-mini.h5 converted with --weights bf16: the LSTM kernel and
    recurrent_kernel are BF16 in the file, everything else F32; `arnn info`
    shows bf16 for the recurrent layer; `arnn predict` on it prints exactly
    what the float32 conversion prints when loaded with --bf16 (so the C
    load-time rounding equals the Python one on real weights); it is within
    1e-5 of the float64 reference (reference.py) run on the bf16 weights, and
    within 1e-2 of the float32 model (the accuracy cost, printed).
 3. The strict loader refuses BF16 where docs/model-graph.md does not allow it
    (a Dense kernel, an LSTM bias), a layer mixing BF16 and F32 kernels, and a
    BF16 tensor whose byte range is sized for F32; it takes a BF16 kernel that
    holds most of the data section (its bounds count 2-byte elements).

usage: test-bf16.py --bf16-test BIN --convert tools/arnn-convert --arnn build/arnn --examples DIR --workdir DIR
                    [--emulator "qemu-aarch64 -L ROOT"]
Exits 77 (ctest: skipped) when numpy or h5py is missing.
"""
import json
import os
import subprocess
import sys

try:
    import numpy as np
    import h5py  # noqa: F401  (the converter needs it)
except ImportError as e:
    print("SKIP: test-bf16 needs numpy and h5py (Debian: python3-numpy python3-h5py): %s" % e)
    sys.exit(77)

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, os.path.join(HERE, "..", "..", "python"))
import checks  # noqa: E402
import reference  # noqa: E402
from arnn import converter  # noqa: E402
from checks import check  # noqa: E402


def arg(argv, name, default=None):
    return argv[argv.index(name) + 1] if name in argv else default


LOWS = [0x0000, 0x0001, 0x3FFF, 0x7FFE, 0x7FFF, 0x8000, 0x8001, 0xC000, 0xFFFE, 0xFFFF]

EDGES = [(0x3F800000, 0x3F80), (0x3F808000, 0x3F80), (0x3F818000, 0x3F82), (0x3F808001, 0x3F81),
         (0x3F807FFF, 0x3F80), (0xBF808000, 0xBF80), (0xBF818000, 0xBF82), (0x3FFF8000, 0x4000),
         (0x00000000, 0x0000), (0x80000000, 0x8000), (0x7F800000, 0x7F80), (0xFF800000, 0xFF80),
         (0x7F7FFFFF, 0x7F80), (0xFF7FFFFF, 0xFF80), (0x7F7F7FFF, 0x7F7F), (0x7F7F8000, 0x7F80),
         (0x7FC00000, 0x7FC0), (0xFFC00000, 0xFFC0), (0x7F800001, 0x7FC0), (0xFF800001, 0xFFC0),
         (0x7FA50000, 0x7FE5), (0x7FFFFFFF, 0x7FFF), (0x00008000, 0x0000), (0x00018000, 0x0002),
         (0x00007FFF, 0x0000), (0x007FFFFF, 0x0080), (0x80008001, 0x8001)]


def python_hash():
    """The checksum of tests/bf16-test.c rounding_hash() with the converter's rounding."""
    hi = np.arange(65536, dtype=np.uint64)
    u = ((hi[:, None] << np.uint64(16)) | np.array(LOWS, dtype=np.uint64)[None, :]).ravel()
    r = converter.bf16_bits(u.astype(np.uint32).view(np.float32)).astype(np.uint64)
    with np.errstate(over="ignore"):
        terms = r * ((u * np.uint64(0x9E3779B97F4A7C15)) | np.uint64(1))
        return int(np.sum(terms, dtype=np.uint64))


def check_rounding(bf16_test, emulator):
    for i, o in EDGES:
        got = int(converter.bf16_bits(np.array([i], dtype=np.uint32).view(np.float32))[0])
        check(got == o, "Python bf16(0x%08x) = 0x%04x, want 0x%04x" % (i, got, o))
    nan = converter.bf16_values(converter.bf16_bits(np.array([0x7F800001, 0xFF812345, 0x7FFFFFFF],
                                                             dtype=np.uint32).view(np.float32)))
    check(np.all(np.isnan(nan)), "Python: a NaN did not stay NaN")
    r = subprocess.run(emulator + [bf16_test, "--hash"], stdout=subprocess.PIPE, universal_newlines=True)
    c_hash = int(r.stdout.strip(), 16) if r.returncode == 0 else None
    p_hash = python_hash()
    check(c_hash == p_hash, "rounding checksum: C %s, Python %016x" % (r.stdout.strip(), p_hash))


def tensor_dtypes(path):
    with open(path, "rb") as fh:
        n = int.from_bytes(fh.read(8), "little")
        header = json.loads(fh.read(n).decode("utf8"))
    header.pop("__metadata__", None)
    return {k: v["dtype"] for k, v in header.items()}


def write_file(path, meta, tensors, bf16_names, f32_bytes_for=()):
    """A safetensors file with the named tensors as BF16 (f32_bytes_for: BF16
    in the header but 4 bytes per element in the data)."""
    header = {"__metadata__": meta}
    blobs, off = [], 0
    for name, t in tensors.items():
        a = np.ascontiguousarray(np.asarray(t, dtype="<f4"))
        dtype = "F32"
        if name in bf16_names:
            dtype = "BF16"
            if name not in f32_bytes_for:
                a = converter.bf16_bits(a).astype("<u2")
        raw = a.tobytes()
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    h = json.dumps(header).encode("utf8")
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as fh:
        fh.write(len(h).to_bytes(8, "little") + h + b"".join(blobs))


def run(cmd):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)


def main(argv):
    bf16_test, convert, arnn = arg(argv, "--bf16-test"), arg(argv, "--convert"), arg(argv, "--arnn")
    examples, workdir = arg(argv, "--examples"), arg(argv, "--workdir")
    emulator = arg(argv, "--emulator", "").split()
    os.makedirs(workdir, exist_ok=True)

    check_rounding(bf16_test, emulator)

    h5 = os.path.join(examples, "imdb-mini.h5")
    ids = os.path.join(examples, "imdb-mini.ids")
    m32, m16 = os.path.join(workdir, "imdb-mini-f32.safetensors"), os.path.join(workdir, "imdb-mini-bf16.safetensors")
    for out, w in ((m32, "f32"), (m16, "bf16")):
        r = run(["/usr/bin/python3", convert, "-q", h5, "-o", out, "--weights", w])
        check(r.returncode == 0, "arnn-convert --weights %s failed: %s" % (w, r.stderr.strip()))
    if checks.failures:
        return 1
    meta, tensors = reference.read_safetensors(m32)
    rnn_kernels = converter.bf16_tensor_names(meta)
    check(len(rnn_kernels) == 4, "expected 4 LSTM kernels, got %s" % sorted(rnn_kernels))
    for name, dt in tensor_dtypes(m16).items():
        check(dt == ("BF16" if name in rnn_kernels else "F32"), "%s is %s in the bf16 file" % (name, dt))
    check(os.path.getsize(m16) < os.path.getsize(m32), "the bf16 file is not smaller")

    for model, flags in ((m16, []), (m32, ["--bf16"])):
        r = run(emulator + [arnn, "info", model, "--json"] + flags)
        if check(r.returncode == 0, "arnn info %s %s: %s" % (model, flags, r.stderr.strip())):
            layers = json.loads(r.stdout)["layers"]
            for l in layers:
                want = "bf16" if l["op"] == "rnn" else "f32" if l["op"] != "input" else ""
                check(l["weights"] == want, "arnn info %s: layer %s weights %r, want %r" % (flags, l["name"],
                                                                                          l["weights"], want))

    outs = {}
    for key, model, flags in (("bf16", m16, []), ("f32+load", m32, ["--bf16"]), ("f32", m32, [])):
        r = run(emulator + [arnn, "predict", model, "--ids", ids, "--json", "--attention"] + flags)
        check(r.returncode == 0, "arnn predict %s: %s" % (key, r.stderr.strip()))
        outs[key] = r.stdout
    check(outs["bf16"] == outs["f32+load"],
          "the bf16 file and the float32 file loaded with --bf16 predict different bits")
    got16 = [json.loads(l) for l in outs["bf16"].splitlines()]
    got32 = [json.loads(l) for l in outs["f32"].splitlines()]
    ref = reference.load_arnn(m16)
    seqs = [[int(v) for v in line.split()] for line in open(ids)]
    check(len(seqs) == len(got16) == len(got32), "line counts")
    worst_ref = worst_f32 = 0.0
    for s, g16, g32 in zip(seqs, got16, got32):
        p, a = reference.predict_one(ref, s)
        worst_ref = max(worst_ref, np.max(np.abs(np.array(g16["probs"]) - p)),
                        np.max(np.abs(np.array(g16["attention"]) - a)))
        worst_f32 = max(worst_f32, np.max(np.abs(np.array(g16["probs"]) - np.array(g32["probs"]))))
    check(worst_ref <= 1e-5, "bf16 model vs float64 reference on the bf16 weights: %.3g" % worst_ref)
    check(worst_f32 <= 1e-2, "bf16 model vs float32 model: %.3g" % worst_f32)
    print("imdb-mini: max |p_bf16 - p_f32| = %.3g over %d sequences; bf16 vs its float64 reference %.3g"
          % (worst_f32, len(seqs), worst_ref))

    # refusals of the strict loader
    dense_k = [n for n in tensors if n.endswith("/kernel") and n not in rnn_kernels]
    rnn_bias = [n for n in tensors if n.endswith("forward/bias")]
    fw_kernel = [n for n in rnn_kernels if n.endswith("forward/kernel")]
    cases = [("dense-bf16", set(rnn_kernels) | set(dense_k), (), "only allowed for the kernel and recurrent_kernel"),
             ("bias-bf16", set(rnn_bias), (), "only allowed for the kernel and recurrent_kernel"),
             ("mixed", set(fw_kernel), (), "mix BF16 and F32"),
             ("bf16-f32-bytes", set(rnn_kernels), tuple(fw_kernel), "shape needs")]
    for name, bf16_names, f32_bytes, msg in cases:
        path = os.path.join(workdir, "imdb-mini-%s.safetensors" % name)
        write_file(path, meta, tensors, bf16_names, f32_bytes)
        r = run(emulator + [arnn, "info", path])
        check(r.returncode == 1 and msg in r.stderr, "%s: arnn info exit %d, stderr %r (want %r)"
              % (name, r.returncode, r.stderr.strip(), msg))
    # a BF16 kernel holding most of the data section (a dense-input
    # unidirectional LSTM, E = 512): bounds in elements of its own dtype
    E, H, T = 512, 4, 3
    r = np.random.default_rng(5)
    graph = {"inputs": [{"name": "x", "dtype": "float32", "shape": [T, E]}],
             "layers": [{"name": "lstm", "op": "rnn", "inputs": ["x"], "cell": "lstm", "units": H,
                         "bidirectional": False, "merge_mode": None, "return_sequences": False,
                         "go_backwards": False, "activation": {"name": "tanh"},
                         "recurrent_activation": {"name": "sigmoid"}, "reset_after": False, "use_bias": True,
                         "zero_output_for_mask": False},
                        {"name": "dense", "op": "dense", "inputs": ["lstm"], "units": 1,
                         "activation": {"name": "sigmoid"}, "use_bias": True}],
             "outputs": ["dense"], "max_steps": T}
    big_meta = {"format": "arnn", "format_version": "2", "graph": json.dumps(graph)}
    big = {"lstm/forward/kernel": r.uniform(-0.1, 0.1, (E, 4 * H)), "lstm/forward/recurrent_kernel":
           r.uniform(-0.5, 0.5, (H, 4 * H)), "lstm/forward/bias": r.uniform(-0.1, 0.1, (4 * H,)),
           "dense/kernel": r.uniform(-1, 1, (H, 1)), "dense/bias": np.zeros(1)}
    path = os.path.join(workdir, "dense-input-bf16.safetensors")
    write_file(path, big_meta, big, converter.bf16_tensor_names(big_meta))
    r = run(emulator + [arnn, "info", path, "--json"])
    if check(r.returncode == 0, "a BF16 kernel holding most of the data section is refused: %s" % r.stderr.strip()):
        check([l["weights"] for l in json.loads(r.stdout)["layers"] if l["op"] == "rnn"] == ["bf16"],
              "dense-input bf16 model: weights")
    if checks.failures:
        print("test-bf16: %d failures" % checks.failures)
        return 1
    print("test-bf16: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
