"""arnn.Model against the CLI (bit for bit), padding, errors, threads."""
import os
import threading

import numpy as np
import pytest

import arnn
from conftest import EXAMPLE, ROOT, cli_predict, f32


def rng(seed=0):
    return np.random.default_rng(seed)


def random_lists(V, n, lo, hi, seed=0, zero_free=True):
    r = rng(seed)
    return [list(r.integers(1 if zero_free else 0, V, size=int(r.integers(lo, hi + 1)))) for _ in range(n)]


def test_version_isa():
    assert arnn.version == "0.1.0"
    assert arnn.isa() in ("scalar", "avx2", "avx512", "neon")


def test_example_matches_cli(cli, tmp_path):
    m = arnn.load(EXAMPLE)
    assert m.labels == ["positive"] and m.padding == "pre"
    assert m.inputs[0].dtype == "ids" and m.inputs[0].shape == (40,)
    assert m.info["V"] == 200 and m.info["T"] == 40 and m.info["head"] == "sigmoid"
    ids = np.loadtxt(os.path.join(ROOT, "examples", "imdb-mini.ids"), dtype=np.int64)
    probs, att = m.predict(ids, attention=True, batch_size=4, threads=1)
    assert probs.dtype == np.float32 and probs.shape == (6, 1) and att.shape == (6, 40)
    ref = cli_predict(cli, EXAMPLE, ids, attention=True, tmp=str(tmp_path))
    assert np.array_equal(probs, f32([r["probs"] for r in ref]))
    assert np.array_equal(att, f32([r["attention"] for r in ref]))
    # float64 Keras reference of the original weights
    expected = np.loadtxt(os.path.join(ROOT, "examples", "imdb-mini.expected"))
    assert np.allclose(probs[:, 0], expected, rtol=1e-5, atol=1e-6)
    # the Keras file, converted in memory: same bits
    assert np.array_equal(arnn.load(os.path.join(ROOT, "examples", "imdb-mini.h5"), labels=["positive"],
                                    padding="pre").predict(ids), probs)


@pytest.mark.parametrize("name", ["tf2-lstm-mask", "tf2-gru-reset-after", "k3-lstm", "tf2-no-att-bias"])
def test_fixture_ids_match_cli(cli, fixtures, tmp_path, name):
    src, path = fixtures[name]
    m = arnn.load(path)
    T, V = m.inputs[0].shape[0], m.info["V"]
    seqs = random_lists(V, 50, 0, T, seed=len(name))
    ref = cli_predict(cli, path, seqs, tmp=str(tmp_path))
    got = m.predict(seqs, batch_size=7, threads=2)
    assert np.array_equal(got, f32([r["probs"] for r in ref]))
    # Keras file loaded directly: same bits
    assert np.array_equal(arnn.load(src).predict(seqs), got)


def test_dense_input_matches_cli(cli, fixtures, tmp_path):
    m = arnn.load(fixtures["tf2-dense-input"][1])
    assert m.inputs[0].dtype == "float32"
    T, E = m.inputs[0].shape
    x = rng(3).standard_normal((20, T, E)).astype(np.float32)
    ref = cli_predict(cli, m.path, dense=x, tmp=str(tmp_path))
    got = m.predict(x, batch_size=6)
    assert got.shape == (20, 3)
    assert np.array_equal(got, f32([r["probs"] for r in ref]))
    assert np.array_equal(m.predict(x.astype(np.float64)), got)  # converted to float32


def test_list_padding_pre_and_post(fixtures, tmp_path):
    src, _ = fixtures["tf2-lstm-mask"]
    for padding in ("pre", "post"):
        m = arnn.load(src, padding=padding)
        assert m.padding == padding
        T = m.inputs[0].shape[0]
        seqs = random_lists(m.info["V"], 30, 0, T, seed=5)
        arr = np.zeros((len(seqs), T), dtype=np.int32)
        for i, s in enumerate(seqs):
            if s:
                if padding == "pre":
                    arr[i, T - len(s):] = s
                else:
                    arr[i, :len(s)] = s
        assert np.array_equal(m.predict(seqs), m.predict(arr)), padding


def test_truncating(fixtures):
    m = arnn.load(fixtures["tf2-lstm-mask"][1])
    T = m.inputs[0].shape[0]
    long = list(range(1, T + 4))
    with pytest.raises(arnn.Error, match="more than T=%d" % T) as e:
        m.predict([long])
    assert e.value.status == arnn.ERR_OUT_OF_RANGE
    assert np.array_equal(m.predict([long], truncating="pre"), m.predict([long[-T:]]))
    assert np.array_equal(m.predict([long], truncating="post"), m.predict([long[:T]]))


def test_variable_steps_matches_cli(cli, fixtures, tmp_path):
    """No fixed T: each list runs at its own length, as the CLI does."""
    m = arnn.load(fixtures["var-steps"][1])
    assert m.inputs[0].shape == (None,) and m.max_steps == 50
    assert len(m.outputs) == 2 and m.outputs[1].shape == (None,)
    seqs = random_lists(m.info["V"], 40, 1, 12, seed=9)
    ref = cli_predict(cli, m.path, seqs, attention=True, tmp=str(tmp_path))
    (probs, weights), att = m.predict(seqs, attention=True, batch_size=5)
    assert np.array_equal(probs, f32([r["probs"] for r in ref]))
    assert isinstance(weights, list) and isinstance(att, list)
    for i, r in enumerate(ref):
        assert weights[i].shape == (len(seqs[i]),)
        assert np.array_equal(weights[i], f32(r["outputs"]["attention:1"] if "attention:1" in r["outputs"]
                                               else list(r["outputs"].values())[0]))
        assert np.array_equal(att[i], f32(r["attention"]))
    # one sequence alone gives the same bits (batch independence)
    assert np.array_equal(m.predict([seqs[3]])[0][0], probs[3])
    d = m.predict(seqs[:4], as_dict=True)
    assert list(d) == [o.name for o in m.outputs]
    # an array runs at its width
    arr = np.array([s[:5] for s in seqs if len(s) >= 5])
    assert np.array_equal(m.predict(arr)[0], m.predict([list(r) for r in arr])[0])


def test_errors(fixtures, tmp_path):
    with pytest.raises(arnn.Error, match="no such file") as e:
        arnn.load(str(tmp_path / "missing.safetensors"))
    assert e.value.status == arnn.ERR_IO
    bad = tmp_path / "bad.safetensors"
    data = open(EXAMPLE, "rb").read()
    bad.write_bytes(data[:len(data) // 2])
    with pytest.raises(arnn.Error) as e:
        arnn.load(str(bad))
    assert e.value.status == arnn.ERR_MALFORMED_MODEL and "bad.safetensors" in str(e.value)
    junk = tmp_path / "junk.h5"
    junk.write_bytes(b"not a model at all")
    with pytest.raises(arnn.Error):
        arnn.load(str(junk))
    m = arnn.load(EXAMPLE)
    with pytest.raises(arnn.Error, match="integer token ids") as e:
        m.predict(np.zeros((2, 40), dtype=np.float32))
    with pytest.raises(arnn.Error, match="rank 3"):
        m.predict(np.zeros((2, 40, 1), dtype=np.int32))
    with pytest.raises(arnn.Error, match="T=40"):
        m.predict(np.zeros((2, 39), dtype=np.int32))
    with pytest.raises(arnn.Error, match="token id 200 is outside the vocabulary") as e:
        m.predict([[1, 2], [3, 200]])
    assert e.value.status == arnn.ERR_OUT_OF_RANGE and "sequence 1" in str(e.value)
    with pytest.raises(arnn.Error, match="token id -1"):
        m.predict(np.full((1, 40), -1))
    with pytest.raises(arnn.Error, match="no sequences"):
        m.predict([])
    d = arnn.load(fixtures["tf2-dense-input"][1])
    with pytest.raises(arnn.Error, match="float32"):
        d.predict(np.zeros((2, 7, 6), dtype=object))
    with pytest.raises(arnn.Error, match="rank 2"):
        d.predict(np.zeros((2, 7), dtype=np.float32))
    with pytest.raises(arnn.Error, match="batch_size"):
        m.predict([[1]], batch_size=0)
    with pytest.raises(arnn.Error, match="sequence 0: a list of integer"):
        m.predict([[1.5, 2.0]])


def test_convert_function(fixtures, tmp_path):
    src, path = fixtures["tf2-lstm-mask"]
    data = arnn.convert(src)
    assert data == open(path, "rb").read()
    out = arnn.convert(src, tmp_path / "x.safetensors", labels=["a", "b"])
    assert arnn.load(out).labels == ["a", "b"]
    with pytest.raises(arnn.ConversionError):
        arnn.convert(__file__)


def test_bf16_weights(cli, tmp_path):
    """weights="bf16": the converted file, the load-time rounding of the
    float32 file and the CLI give the same bits; the LSTM layer reports bf16."""
    h5 = os.path.join(ROOT, "examples", "imdb-mini.h5")
    ids = np.loadtxt(os.path.join(ROOT, "examples", "imdb-mini.ids"), dtype=np.int64)
    path = arnn.convert(h5, tmp_path / "bf16.safetensors", weights="bf16")
    m16, m32 = arnn.load(path), arnn.load(EXAMPLE, weights="bf16")
    assert [l["weights"] for l in m16.layers if l["op"] == "rnn"] == ["bf16"]
    assert [l["weights"] for l in m32.layers if l["op"] == "rnn"] == ["bf16"]
    assert [l["weights"] for l in arnn.load(EXAMPLE).layers if l["op"] == "rnn"] == ["f32"]
    p16, p32 = m16.predict(ids, threads=1), m32.predict(ids, threads=1)
    assert np.array_equal(p16, p32)
    ref = cli_predict(cli, str(path), ids, attention=False, tmp=str(tmp_path))
    assert np.array_equal(p16, f32([r["probs"] for r in ref]))
    assert np.max(np.abs(p16 - arnn.load(EXAMPLE).predict(ids, threads=1))) < 1e-2
    with pytest.raises(ValueError):
        arnn.load(EXAMPLE, weights="f16")


def test_progress_callback():
    m = arnn.load(EXAMPLE)
    seen = []
    m.predict([[1, 2, 3]] * 70, batch_size=32, progress=lambda done, total: seen.append((done, total)))
    assert seen == [(32, 70), (64, 70), (70, 70)]


def test_threads_same_bits():
    """8 Python threads on one model give the bits of one thread."""
    m = arnn.load(EXAMPLE)
    seqs = random_lists(200, 64, 0, 40, seed=11)
    want = m.predict(seqs, threads=1)
    got, errors = [None] * 8, []

    def work(k):
        try:
            for _ in range(5):
                r = m.predict(seqs, batch_size=1 + k * 5, threads=1 + k % 2)
                got[k] = r if got[k] is None or np.array_equal(r, got[k]) else "differs"
        except Exception as e:  # pragma: no cover
            errors.append(e)

    ts = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert not errors
    for g in got:
        assert isinstance(g, np.ndarray) and np.array_equal(g, want)


class WordIds:
    """A stand-in tokenizer (the encode() interface of arnn.tokenizer)."""

    def encode(self, texts):
        return [[1 + (sum(map(ord, w)) % 199) for w in t.split()] for t in texts]


def test_predict_text_pads_and_truncates():
    m = arnn.load(EXAMPLE)
    texts = ["great film", "", " ".join("word%d" % i for i in range(60))]
    seqs = WordIds().encode(texts)
    assert np.array_equal(m.predict_text(texts, tokenizer=WordIds()), m.predict(seqs, truncating="pre"))
    assert np.array_equal(m.predict_text(texts, tokenizer=WordIds(), truncating="post"),
                          m.predict(seqs, truncating="post"))
    assert not np.array_equal(m.predict(seqs, truncating="pre")[2], m.predict(seqs, truncating="post")[2])
    with pytest.raises(arnn.Error, match="list of strings"):
        m.predict_text("one string", tokenizer=WordIds())
