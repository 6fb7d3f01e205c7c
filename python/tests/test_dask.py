"""arnn.dask on a LocalCluster of 2 worker processes: 10,000 sequences scored
partition by partition equal a single-process run bit for bit."""
import importlib.util

import numpy as np
import pytest

import arnn
from conftest import EXAMPLE

dask = pytest.importorskip("dask")
db = pytest.importorskip("dask.bag")
distributed = pytest.importorskip("distributed")
import arnn.dask  # noqa: E402


def corpus(n=10000, seed=1):
    r = np.random.default_rng(seed)
    return [list(map(int, r.integers(1, 200, size=int(r.integers(0, 45))))) for _ in range(n)]


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    c = distributed.Client(cluster)
    yield c
    c.close()
    cluster.close()


def test_bag_local_cluster(client):
    seqs = corpus()
    want = arnn.load(EXAMPLE).predict(seqs, truncating="pre", threads=1)
    bag = db.from_sequence(seqs, npartitions=8)
    got = arnn.dask.predict(bag, EXAMPLE, truncating="pre").compute()
    assert len(got) == len(seqs)
    assert np.array_equal(np.stack(got), want)
    # each worker process loaded the model once
    loads = client.run(lambda: len(__import__("arnn.dask").dask._cache))
    assert sorted(loads.values()) == [1, 1]


def test_dataframe_local_cluster(client):
    pd = pytest.importorskip("pandas")
    dd = pytest.importorskip("dask.dataframe")
    seqs = corpus(2000, seed=2)
    want = arnn.load(EXAMPLE).predict(seqs, truncating="pre")
    pdf = pd.DataFrame({"ids": seqs, "other": np.arange(len(seqs))}, index=np.arange(len(seqs)) * 3)
    df = dd.from_pandas(pdf, npartitions=5)
    out = arnn.dask.predict(df, EXAMPLE, column="ids", truncating="pre").compute()
    assert list(out.columns) == ["positive"]
    assert np.array_equal(out.index.values, pdf.index.values)
    assert np.array_equal(out["positive"].values, want[:, 0])


@pytest.mark.skipif(importlib.util.find_spec("arnn.tokenizer") is None, reason="arnn.tokenizer not available")
def test_texts_local_cluster(client, tmp_path):
    import json
    words = ["great", "film", "bad", "plot", "actors", "boring", "fun", "Ünïcode", "end"]
    vocab = {w.lower(): i + 1 for i, w in enumerate(words)}
    cfg = {"num_words": None, "filters": '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n', "lower": True, "split": " ",
           "char_level": False, "oov_token": None, "document_count": 1,
           "word_index": json.dumps(vocab), "index_word": json.dumps({str(v): k for k, v in vocab.items()}),
           "word_counts": json.dumps({k: 1 for k in vocab}), "word_docs": json.dumps({k: 1 for k in vocab}),
           "index_docs": json.dumps({str(v): 1 for v in vocab.values()})}
    tok = tmp_path / "tokenizer.json"
    tok.write_text(json.dumps({"class_name": "Tokenizer", "config": cfg}))
    r = np.random.default_rng(3)
    texts = [" ".join(r.choice(words, size=int(r.integers(0, 60)))) for _ in range(10000)]
    want = arnn.load(EXAMPLE).predict_text(texts, tokenizer=str(tok))
    got = arnn.dask.predict(db.from_sequence(texts, npartitions=8), EXAMPLE, tokenizer=str(tok)).compute()
    assert np.array_equal(np.stack(got), want)
