"""Scoring a corpus with Dask (a dask.bag or a dask.dataframe), partition by
partition, on the workers of whatever scheduler is active (a distributed
Client, a LocalCluster, or Dask's local schedulers).

    import arnn.dask
    from dask.distributed import Client
    client = Client("tcp://scheduler:8786")            # an existing cluster
    bag = dask.bag.from_sequence(sequences, npartitions=64)
    probs = arnn.dask.predict(bag, "/shared/model.safetensors").compute()

Each worker process loads the model once (a per-process cache keyed by the
path, its size and modification time and the load options) and reuses it for
every partition. Threads: a task runs on `threads` arnn threads; by default
the cores of the worker's machine divided by the Dask threads of all workers
on that machine (so a LocalCluster of 2 workers x 1 thread on 2 cores uses 1
core per task and the workers never oversubscribe), with unpinned pools
(several worker processes share the machine). The model path must be readable
on every worker.

Progress: use Dask's own (dask.diagnostics.ProgressBar for the local
schedulers, distributed.progress(future) or the dashboard with a Client).
"""
import os
import threading

import numpy as np

_cache = {}
_cache_lock = threading.Lock()


def get_model(path, **load_options):
    """The model at `path`, loaded once per process (and per file version)."""
    import arnn
    st = os.stat(path)
    key = (os.path.abspath(path), st.st_size, st.st_mtime_ns, tuple(sorted(load_options.items())))
    m = _cache.get(key)
    if m is None:
        with _cache_lock:
            m = _cache.get(key)
            if m is None:
                m = arnn.load(path, **load_options)
                _cache[key] = m
    return m


def _cores():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover
        return os.cpu_count() or 1


def _host_threads():
    """{host: Dask threads of all workers on it} from the active distributed
    client, or None (local schedulers)."""
    try:
        from distributed import default_client
        client = default_client()
    except (ImportError, ValueError):
        return None
    hosts = {}
    for addr, w in client.scheduler_info().get("workers", {}).items():
        host = w.get("host") or addr.split("://")[-1].rsplit(":", 1)[0]
        hosts[host] = hosts.get(host, 0) + int(w.get("nthreads", 1))
    return hosts


def _task_threads(threads, hosts):
    if threads is not None:
        return threads
    busy = None
    if hosts:
        try:
            from distributed import get_worker
            w = get_worker()
            busy = hosts.get(w.address.split("://")[-1].rsplit(":", 1)[0])
        except (ImportError, ValueError):
            busy = None
    if busy is None:
        return 1  # Dask's local schedulers run one task per core already
    return max(1, _cores() // busy)


def _score(items, model_path, load_options, texts, tokenizer, threads, hosts, options):
    m = get_model(model_path, **load_options)
    items = list(items)
    if not items:
        return None, m
    t = _task_threads(threads, hosts)
    if texts:
        out = m.predict_text(items, tokenizer=tokenizer, threads=t, pin=False, **options)
    else:
        out = m.predict(items, threads=t, pin=False, **options)
    return out, m


def _bag_partition(items, *args):
    out, m = _score(items, *args)
    if out is None:
        return []
    if isinstance(out, np.ndarray):
        return list(out)
    return [tuple(o[i] for o in out) for i in range(len(out[0]))]


def _frame_partition(df, column, columns, *args):
    import pandas as pd
    out, m = _score(df[column].tolist(), *args)
    if out is None:
        return pd.DataFrame({c: np.empty(0, dtype=np.float32) for c in columns}, index=df.index)
    a = out if isinstance(out, np.ndarray) else out[0]
    a = a.reshape(a.shape[0], -1)
    return pd.DataFrame({c: a[:, j] for j, c in enumerate(columns)}, index=df.index)


def predict(collection, model_path, column=None, tokenizer=None, threads=None, batch_size=32,
            truncating=None, **load_options):
    """Scores every element of a dask collection; results keep the input order.

    collection: a dask.bag of sequences (lists / 1-D arrays of token ids; or
    strings with tokenizer=...), or a dask.dataframe whose `column` holds them
    (a dask Series works too). tokenizer: a Keras Tokenizer JSON path (texts,
    via arnn.tokenizer; the path must be readable on the workers). threads:
    arnn threads per task (default: see the module doc). batch_size and
    truncating as Model.predict (for texts, None follows the tokenizer as
    Model.predict_text does: "pre" for a Keras Tokenizer, "post" for a
    TextVectorization JSON).
    load_options: arnn.load() options (for a Keras file converted on load).

    Returns a dask.bag of per-element results (output 0's row as a float32
    array; a tuple of the outputs' rows for a model with several outputs),
    or for a dataframe a dask.dataframe with one float32 column per value of
    output 0, named by the model's labels (or "p0", "p1", ...), on the input's
    index. Nothing runs until .compute() (or client.compute/persist)."""
    import dask.bag as db
    model_path = os.path.abspath(os.fspath(model_path))
    texts = tokenizer is not None
    options = {"batch_size": batch_size}
    if texts:
        options["truncating"] = truncating  # None: the tokenizer's own rule (predict_text)
        tokenizer = os.path.abspath(os.fspath(tokenizer)) if isinstance(tokenizer, (str, os.PathLike)) \
            else tokenizer
    elif truncating is not None:
        options["truncating"] = truncating
    hosts = _host_threads()
    args = (model_path, dict(load_options), texts, tokenizer, threads, hosts, options)
    if isinstance(collection, db.Bag):
        return collection.map_partitions(_bag_partition, *args)
    import dask.dataframe as dd
    if isinstance(collection, dd.Series):
        column = collection.name if collection.name is not None else 0
        collection = collection.to_frame(name=column)
    if not isinstance(collection, dd.DataFrame):
        raise TypeError("arnn.dask.predict takes a dask.bag or a dask.dataframe, not %s" % type(collection).__name__)
    if column is None:
        if len(collection.columns) != 1:
            raise ValueError("give column=: the dataframe has columns %s" % list(collection.columns))
        column = collection.columns[0]
    m = get_model(model_path, **load_options)  # here too: the output columns
    width = int(np.prod([d or 1 for d in m.outputs[0].shape]))
    columns = list(m.labels) if len(m.labels) == width and len(set(m.labels)) == width \
        else ["p%d" % j for j in range(width)]
    meta = {c: np.float32 for c in columns}
    return collection.map_partitions(_frame_partition, column, columns, *args, meta=meta)
