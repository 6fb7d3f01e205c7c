"""Shared fixtures: the package from this checkout, the library and CLI of a
build tree (ARNN_LIBRARY / ARNN_CLI, set by ctest; otherwise the search of
arnn._lib and the `arnn` binary next to the library), Keras fixtures written
by tests/model/make-keras-files.py and converted once per session."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
PYDIR = os.path.dirname(HERE)
ROOT = os.path.dirname(PYDIR)
sys.path.insert(0, PYDIR)
# worker processes (Dask) import the same package
os.environ["PYTHONPATH"] = PYDIR + (os.pathsep + os.environ["PYTHONPATH"] if os.environ.get("PYTHONPATH") else "")

import arnn  # noqa: E402

EXAMPLE = os.path.join(ROOT, "examples", "imdb-mini.safetensors")
FIXTURES = ["tf2-lstm-mask", "tf2-gru-reset-after", "tf2-dense-input", "k3-lstm", "tf2-no-att-bias"]


@pytest.fixture(scope="session")
def cli():
    path = os.environ.get("ARNN_CLI") or os.path.join(os.path.dirname(os.path.abspath(arnn.library_path())), "arnn")
    if not os.access(path, os.X_OK):
        pytest.skip("no arnn CLI at %s (set ARNN_CLI)" % path)
    return path


@pytest.fixture(scope="session")
def fixtures(tmp_path_factory):
    """name -> (keras file, converted arnn file)."""
    d = tmp_path_factory.mktemp("keras")
    subprocess.run([sys.executable, os.path.join(ROOT, "tests", "model", "make-keras-files.py"), str(d),
                    "--only", ",".join(FIXTURES)], check=True, stdout=subprocess.DEVNULL)
    out = {}
    for name in FIXTURES:
        src = next(str(d / f) for f in os.listdir(d) if f.startswith(name + "."))
        out[name] = (src, arnn.convert(src, str(d / (name + ".safetensors"))))
    # a model without a fixed sequence length and with two outputs (the
    # probabilities and the attention weights, whose size follows the steps)
    from arnn import converter
    meta, tensors = converter.convert_file(out["tf2-no-att-bias"][0])
    g = json.loads(meta["graph"])
    g["inputs"][0]["shape"] = [None]
    g["max_steps"] = 50
    g["outputs"] = ["dense", "attention:1"]
    meta["graph"] = json.dumps(g)
    p = d / "var-steps.safetensors"
    p.write_bytes(converter.safetensors_bytes(meta, tensors))
    out["var-steps"] = (None, str(p))
    return out


def cli_predict(cli, model, ids=None, dense=None, attention=False, tmp=None, extra=()):
    """The CLI's --json answers: list of dicts (floats parsed to float32)."""
    args = [cli, "predict", model, "--json", "--threads", "1", "--empty-lines=predict"] + list(extra)
    if attention:
        args.append("--attention")
    if dense is not None:
        p = os.path.join(tmp, "x.npy")
        np.save(p, np.ascontiguousarray(dense, dtype=np.float32))
        args += ["--dense", p]
    else:
        p = os.path.join(tmp, "x.ids")
        with open(p, "w") as fh:
            fh.write("".join(" ".join(str(int(v)) for v in row) + "\n" for row in ids))
        args += ["--ids", p]
    r = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
    assert r.returncode == 0, r.stderr
    return [json.loads(line) for line in r.stdout.splitlines()]


def f32(v):
    return np.asarray(v, dtype=np.float64).astype(np.float32)
