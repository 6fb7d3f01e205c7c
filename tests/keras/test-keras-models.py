#!/usr/bin/python3
"""The Keras reference test: every generated model in every file layout, and
the real Keras files, through tools/arnn-convert and the C library (ctypes),
compared with an independent reference (TensorFlow.js' predictions, or the
float64 NumPy interpreter numpy_ref.py where tfjs lacks the Keras semantics).

usage: test-keras-models.py --manifest FILES/manifest.json --convert tools/arnn-convert
                            --lib build/libarnn.so --workdir DIR [--jobs 2]
                            [--real-dir shared/real-keras --real-dumps DUMPS] [--only NAME,...]

A pass needs |arnn - ref| <= 1e-5 + 1e-5 * |ref| for every element of every
output. A failure prints the model, the layout, the output index, the max
error and the worst element (index, arnn, ref).

Before anything runs through arnn, the references are checked against each
other: for every model tfjs runs, numpy_ref must agree with tfjs within 1e-4
(tfjs computes in float32), so a wrong reference fails loudly instead of
failing arnn.
"""
import argparse
import concurrent.futures
import ctypes
import json
import os
import subprocess
import sys
import time

try:
    import numpy as np
    import h5py  # noqa: F401  (numpy_ref reads the real Keras files with it)
except ImportError:
    print("test-keras-models: needs numpy and h5py under /usr/bin/python3 (skipped)")
    sys.exit(77)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy_ref  # noqa: E402
import real_dumps  # noqa: E402

ATOL = 1e-5
RTOL = 1e-5
SELF_CHECK_TOL = 1e-4

# ---------------------------------------------------------------- the C API

class TensorInfo(ctypes.Structure):
    _fields_ = [("struct_size", ctypes.c_size_t), ("name", ctypes.c_char_p), ("dtype", ctypes.c_int),
                ("rank", ctypes.c_size_t), ("dims", ctypes.c_size_t * 2)]


class Lib:
    def __init__(self, path):
        self.lib = lib = ctypes.CDLL(path)
        vp = ctypes.c_void_p
        lib.arnn_model_load.argtypes = [ctypes.c_char_p, ctypes.POINTER(vp), ctypes.c_char_p, ctypes.c_size_t]
        lib.arnn_model_load.restype = ctypes.c_int
        lib.arnn_model_free.argtypes = [vp]
        lib.arnn_model_free.restype = None
        lib.arnn_model_num_inputs.argtypes = [vp]
        lib.arnn_model_num_inputs.restype = ctypes.c_size_t
        lib.arnn_model_num_outputs.argtypes = [vp]
        lib.arnn_model_num_outputs.restype = ctypes.c_size_t
        for fn in (lib.arnn_model_input_info, lib.arnn_model_output_info):
            fn.argtypes = [vp, ctypes.c_size_t, ctypes.POINTER(TensorInfo)]
            fn.restype = ctypes.c_int
        lib.arnn_model_run.argtypes = [vp, ctypes.c_size_t, ctypes.c_size_t, ctypes.POINTER(vp), vp,
                                       ctypes.POINTER(ctypes.POINTER(ctypes.c_float))]
        lib.arnn_model_run.restype = ctypes.c_int
        lib.arnn_status_str.argtypes = [ctypes.c_int]
        lib.arnn_status_str.restype = ctypes.c_char_p

    def status(self, st):
        s = self.lib.arnn_status_str(st)
        return s.decode() if s else str(st)

    def load(self, path):
        m = ctypes.c_void_p()
        err = ctypes.create_string_buffer(1024)
        st = self.lib.arnn_model_load(path.encode(), ctypes.byref(m), err, len(err))
        if st != 0:
            raise RuntimeError("arnn_model_load: %s: %s" % (self.status(st), err.value.decode(errors="replace")))
        return m

    def info(self, m, index, output):
        inf = TensorInfo()
        inf.struct_size = ctypes.sizeof(TensorInfo)
        fn = self.lib.arnn_model_output_info if output else self.lib.arnn_model_input_info
        st = fn(m, index, ctypes.byref(inf))
        if st != 0:
            raise RuntimeError("arnn_model_%s_info(%d): %s" % ("output" if output else "input", index, self.status(st)))
        return inf

    def run(self, m, inputs):
        """inputs: numpy arrays [B, ...] (int ids or float). Returns the
        outputs as float32 arrays [B, per-sample dims]."""
        n_in = self.lib.arnn_model_num_inputs(m)
        n_out = self.lib.arnn_model_num_outputs(m)
        if n_in != len(inputs):
            raise RuntimeError("the model has %d inputs, the reference %d" % (n_in, len(inputs)))
        batch = inputs[0].shape[0]
        steps = 0
        bufs = []
        for i, x in enumerate(inputs):
            inf = self.info(m, i, False)
            if inf.dtype == 0:
                a = np.ascontiguousarray(x, dtype=np.int32)
            else:
                a = np.ascontiguousarray(x, dtype=np.float32)
            if (inf.dtype == 0 or inf.rank == 2) and a.ndim >= 2:
                steps = a.shape[1]  # the steps axis of a sequence input
            bufs.append(a)
        in_ptrs = (ctypes.c_void_p * len(bufs))(*[b.ctypes.data for b in bufs])
        outs = []
        for j in range(n_out):
            inf = self.info(m, j, True)
            dims = [int(inf.dims[k]) or steps for k in range(inf.rank)]
            outs.append(np.zeros([batch] + dims, dtype=np.float32))
        FP = ctypes.POINTER(ctypes.c_float)
        out_ptrs = (FP * n_out)(*[o.ctypes.data_as(FP) for o in outs])
        st = self.lib.arnn_model_run(m, batch, steps, in_ptrs, None, out_ptrs)
        if st != 0:
            raise RuntimeError("arnn_model_run: %s" % self.status(st))
        return outs


# ---------------------------------------------------------------- references

def uses_hard_sigmoid(doc):
    return "hard_sigmoid" in json.dumps(doc["config"]) or "hardSigmoid" in json.dumps(doc["config"])


def as_arrays(outs):
    return [np.asarray(o["data"], dtype=np.float32).astype(np.float64).reshape(o["shape"]) for o in outs]


class RefCache:
    def __init__(self):
        self.cache = {}
        self.self_check_failures = []

    def get(self, dump_path, major):
        """The reference outputs of a model as Keras `major` loads it:
        tfjs' where it is the reference (tfjs' hard_sigmoid is Keras 2's, so
        Keras 3 files of hard_sigmoid models take numpy_ref's), else numpy_ref's."""
        key = (dump_path, major)
        if key in self.cache:
            return self.cache[key]
        doc = json.load(open(dump_path))
        if doc["tfjs"] is not None and (dump_path, "checked") not in self.cache:
            self.cache[(dump_path, "checked")] = True
            mine = numpy_ref.run_dump(doc, 2)
            theirs = as_arrays(doc["tfjs"])
            for i, (a, b) in enumerate(zip(mine, theirs)):
                if a.shape != b.shape:
                    err = float("inf")
                else:
                    err = float(np.max(np.abs(a - b))) if a.size else 0.0
                if err > SELF_CHECK_TOL and doc["ref"] == "tfjs":
                    self.self_check_failures.append("%s output %d: numpy_ref and tfjs differ by %g" % (doc["name"], i, err))
        if doc["ref"] == "tfjs" and not (major >= 3 and uses_hard_sigmoid(doc)):
            ref = as_arrays(doc["tfjs"])
        else:
            ref = numpy_ref.run_dump(doc, major)
        self.cache[key] = (ref, [np.asarray(x["data"]).reshape(x["shape"]) for x in doc["inputs"]])
        return self.cache[key]


# ---------------------------------------------------------------- comparison

def compare(name, layout, got, ref):
    """Returns the failure lines (empty on a pass)."""
    fails = []
    if len(got) != len(ref):
        return ["%s [%s]: arnn gives %d outputs, the reference %d" % (name, layout, len(got), len(ref))]
    for j, (g, r) in enumerate(zip(got, ref)):
        g2 = g.reshape(g.shape[0], -1).astype(np.float64)
        r2 = r.reshape(r.shape[0], -1)
        if g2.shape != r2.shape:
            fails.append("%s [%s] output %d: shape %s per batch, the reference %s" %
                         (name, layout, j, list(g.shape), list(r.shape)))
            continue
        err = np.abs(g2 - r2)
        bound = ATOL + RTOL * np.abs(r2)
        if not np.all(err <= bound) or not np.all(np.isfinite(g2)):
            k = int(np.nanargmax(np.where(np.isfinite(err), err - bound, np.inf)))
            idx = np.unravel_index(k, r.shape) if r.size == r2.size else np.unravel_index(k, r2.shape)
            fails.append("%s [%s] output %d: max error %.3g; worst element %s: arnn %.9g, ref %.9g" %
                         (name, layout, j, float(np.nanmax(err)), tuple(int(v) for v in idx),
                          g2.ravel()[k], r2.ravel()[k]))
    return fails


_converter = None


def convert(args, src, config, out, custom=None):
    """The converter's own module, in this process (tools/arnn-convert is a
    thin wrapper of it): a Python start-up per file would dominate the run."""
    global _converter
    if _converter is None:
        # the module the script wraps: python/arnn/converter.py next to tools/
        sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(args.convert))), "python"))
        from arnn import converter
        _converter = converter
    try:
        meta, tensors = _converter.convert_file(src, config=config, warn=lambda m: None, custom=custom)
        data = _converter.safetensors_bytes(meta, tensors)
    except _converter.Refused as e:
        return 2, "arnn-convert: %s: %s" % (src, e)
    except (OSError, KeyError, ValueError, TypeError, IndexError, AttributeError) as e:
        return 2, "arnn-convert: %s: cannot read the model: %s: %s" % (src, type(e).__name__, e)
    with open(out, "wb") as fh:
        fh.write(data)
    return 0, ""


# ---------------------------------------------------------------- real files

def real_reference(args, name, path):
    """(inputs, reference outputs, note) of a real file: tfjs' predictions
    from the generation step's dump when tfjs ran it (checked against
    numpy_ref), numpy_ref's otherwise."""
    cfg, weights, major = numpy_ref.load_keras_file(path)
    dpath = os.path.join(args.real_dumps, name + ".json") if args.real_dumps else None
    if dpath and os.path.exists(dpath):
        doc = json.load(open(dpath))
        inputs = [np.asarray(x["data"]).reshape(x["shape"]) for x in doc["inputs"]]
    else:
        doc = None
        inputs = [np.asarray(x["data"]).reshape(x["shape"]) for x in real_dumps.real_inputs(cfg, name)]
    mine = numpy_ref.Model(cfg, weights, major).run(inputs)
    if doc is None or doc.get("tfjs") is None:
        return inputs, mine, "numpy_ref"
    theirs = as_arrays(doc["tfjs"])
    for i, (a, b) in enumerate(zip(mine, theirs)):
        err = float(np.max(np.abs(a - b) / (1 + np.abs(a))))
        if a.shape != b.shape or err > SELF_CHECK_TOL:
            raise RuntimeError("numpy_ref and tfjs differ on output %d by %g (relative)" % (i, err))
    return inputs, theirs, "tfjs"


def run_real(args, lib, results):
    if not os.path.isdir(args.real_dir):
        # the real files live beside the checkout (../shared/real-keras), not in it
        print("test-keras-models: %s does not exist: the real Keras files are not checked" % args.real_dir)
        return
    for name in real_dumps.REAL:
        path = os.path.join(args.real_dir, name)
        if not os.path.exists(path):
            results.append((False, "real %s: missing file %s" % (name, path)))
            continue
        try:
            inputs, ref, _ = real_reference(args, name, path)
        except Exception as e:  # a reference that cannot run is a test failure
            results.append((False, "real %s: reference failed: %r" % (name, e)))
            continue
        out = os.path.join(args.workdir, name + ".arnn")
        rc, msg = convert(args, path, None, out)
        if rc != 0:
            results.append((False, "real %s: arnn-convert failed (%d): %s" % (name, rc, msg.strip())))
            continue
        results.append(run_one(lib, "real " + name, "file", out, inputs, ref))
    for name, needle in real_dumps.REAL_REFUSED.items():
        path = os.path.join(args.real_dir, name)
        rc, msg = convert(args, path, None, os.path.join(args.workdir, name + ".arnn"))
        ok = rc != 0 and needle in msg
        results.append((ok, "real %s: %s" % (name, "refused, naming %s" % needle if ok else
                                            "expected a refusal naming %r; got exit %d: %s" % (needle, rc, msg.strip()))))


# ---------------------------------------------------------------- main

def run_one(lib, name, layout, model_path, inputs, ref):
    if lib is None:
        return (False, "%s [%s]: no library" % (name, layout))
    try:
        m = lib.load(model_path)
    except Exception as e:
        return (False, "%s [%s]: %s" % (name, layout, e))
    try:
        got = lib.run(m, inputs)
    except Exception as e:
        return (False, "%s [%s]: %s" % (name, layout, e))
    finally:
        lib.lib.arnn_model_free(m)
    fails = compare(name, layout, got, ref)
    return (not fails, "\n".join(fails) if fails else "%s [%s]" % (name, layout))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--manifest", required=True)
    ap.add_argument("--convert", required=True)
    ap.add_argument("--lib", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--real-dir")
    ap.add_argument("--real-dumps", help="real_dumps.py's output with tfjs' predictions (predict-dumps.js)")
    ap.add_argument("--only")
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    os.makedirs(args.workdir, exist_ok=True)
    t0 = time.time()
    if not os.path.exists(args.manifest):
        # the generation fixture was skipped (no node/npm): nothing to compare
        print("test-keras-models: %s does not exist (reference generation skipped): skipped" % args.manifest)
        return 77
    manifest = json.load(open(args.manifest))
    only = set(args.only.split(",")) if args.only else None
    lib = None
    lib_error = None
    try:
        lib = Lib(args.lib)
    except (OSError, AttributeError) as e:
        lib_error = "cannot use %s: %s" % (args.lib, e)
        print("test-keras-models: " + lib_error)
    refs = RefCache()
    results = []
    todo = [e for e in manifest if not only or e["model"] in only]
    # conversions in this process, one at a time (h5py is not thread-parallel)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        conv = [pool.submit(convert, args, e["file"], e["config"],
                            os.path.join(args.workdir, "%s.%s.arnn" % (e["model"], e["layout"])), e.get("custom"))
                for e in todo]
    for ent, fut in zip(todo, conv):
        name, layout = ent["model"], ent["layout"]
        ref, inputs = refs.get(ent["dump"], ent["keras_major"])
        out = os.path.join(args.workdir, "%s.%s.arnn" % (name, layout))
        rc, msg = fut.result()
        if rc != 0:
            results.append((False, "%s [%s]: arnn-convert failed (%d): %s" % (name, layout, rc, msg.strip())))
            continue
        results.append(run_one(lib, name, layout, out, inputs, ref))
    for f in refs.self_check_failures:
        results.append((False, "reference self-check: " + f))
    if args.real_dir and not only:
        if os.path.isdir(args.real_dir):
            run_real(args, lib, results)
        else:
            print("test-keras-models: %s not found: the real Keras files are not checked" % args.real_dir)
    passed = sum(1 for ok, _ in results if ok)
    failed = len(results) - passed
    for ok, msg in results:
        if not ok:
            print("FAIL " + msg)
    if lib_error:
        print("test-keras-models: every run failed at the library: " + lib_error)
    print("test-keras-models: %d model files checked in %.1f s" % (len(results), time.time() - t0))
    print("%d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
