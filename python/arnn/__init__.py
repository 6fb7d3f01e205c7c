"""arnn from Python: run Keras attention-RNN models with arnn's SIMD kernels.

    import arnn
    m = arnn.load("model.h5")          # or an arnn model file (.safetensors)
    probs = m.predict(ids)             # int [N, T], or a list of lists of ids
    probs, weights = m.predict(ids, attention=True)

Pure Python over the arnn shared library (ctypes; the GIL is released during
every call into it). The converter (arnn.converter, also `arnn.convert()` and
the arnn-convert script) needs numpy and h5py only; the rest needs the library
(see arnn._lib for where it is looked for; ARNN_LIBRARY overrides).
"""
import ctypes
import os
import threading

import numpy as np

from . import _lib as _L

__all__ = ["Error", "ConversionError", "Model", "load", "convert", "isa", "version"]

# status codes (include/arnn/arnn.h)
OK = 0
ERR_INVALID_ARGUMENT = 1
ERR_OUT_OF_MEMORY = 2
ERR_IO = 3
ERR_MALFORMED_MODEL = 4
ERR_UNSUPPORTED = 5
ERR_SHAPE_MISMATCH = 6
ERR_OUT_OF_RANGE = 7

_STATUS_NAMES = {0: "ok", 1: "invalid argument", 2: "out of memory", 3: "I/O error", 4: "malformed model",
                 5: "unsupported", 6: "shape mismatch", 7: "out of range"}


class Error(Exception):
    """An arnn failure. .status is the arnn_status code (ERR_* above; None when
    the failure is not the library's, e.g. the library was not found)."""

    def __init__(self, message, status=None):
        super().__init__(message)
        self.status = status


class ConversionError(Error):
    """The converter refused a Keras file (unsupported layer, malformed file);
    .status is ERR_UNSUPPORTED."""


def __getattr__(name):  # module attribute `arnn.version`, read from the library on first use
    if name == "version":
        return _L.lib().arnn_version().decode()
    raise AttributeError("module 'arnn' has no attribute %r" % name)


def isa():
    """The active ISA level: "scalar", "avx2", "avx512" or "neon"."""
    return _L.lib().arnn_isa().decode()


def library_path():
    """The path of the loaded arnn shared library."""
    return _L.lib().arnn_path


def _check(st, what):
    if st != OK:
        raise Error("%s: %s" % (what, _L.lib().arnn_status_str(st).decode()), st)


def convert(keras_file, out=None, config=None, labels=None, padding=None, attention=None, max_steps=None,
            custom=None, warn=None, vocabulary=None, weights="f32"):
    """Converts a Keras model file (anything tools/arnn-convert accepts) to an
    arnn model file. Writes it to `out` and returns `out`, or returns the
    file's bytes when out is None. The arguments are those of arnn-convert:
    labels (list of class names), padding ("pre"/"post"), attention
    ("eps"/"softmax"), max_steps, custom ({"Class": form}), warn (a function
    taking a message; default: ignore), vocabulary (a TextVectorization
    vocabulary file or list of tokens, for a file that does not store it),
    weights ("f32", or "bf16": the LSTM/GRU kernels stored as bfloat16).
    Raises ConversionError."""
    from . import converter
    try:
        meta, tensors = converter.convert_file(os.fspath(keras_file), config=config, labels=labels,
                                               padding=padding, attention=attention, max_steps=max_steps,
                                               warn=warn or (lambda m: None), custom=custom,
                                               vocabulary=vocabulary)
        data = converter.safetensors_bytes(meta, tensors, weights)
    except converter.Refused as e:
        raise ConversionError("%s: %s" % (keras_file, e), ERR_UNSUPPORTED) from None
    except OSError as e:
        raise ConversionError("%s: %s" % (keras_file, e), ERR_IO) from None
    except (KeyError, ValueError, TypeError, IndexError, AttributeError) as e:
        raise ConversionError("%s: cannot read the model: %s: %s" % (keras_file, type(e).__name__, e),
                              ERR_MALFORMED_MODEL) from None
    if out is None:
        return data
    tmp = os.fspath(out) + ".tmp"
    with open(tmp, "wb") as fh:
        fh.write(data)
    os.replace(tmp, out)
    return out


def _is_arnn_file(path):
    """A safetensors file (8-byte header length, then a JSON object)."""
    with open(path, "rb") as fh:
        head = fh.read(9)
    return len(head) == 9 and head[8:9] == b"{" and int.from_bytes(head[:8], "little") > 1


def load(path, **convert_options):
    """Loads a model: an arnn model file, or any Keras file the converter
    accepts (converted in memory; convert_options are those of convert()).
    weights="bf16" also applies to an arnn file: its LSTM/GRU kernels are
    rounded to bfloat16 at load (ARNN_LOAD_BF16_WEIGHTS), the same results as
    its conversion with weights="bf16"."""
    return Model(path, **convert_options)


class TensorSpec(tuple):
    """(name, dtype, shape) of a model input or output, per sample; dtype is
    "ids" (int32 token ids) or "float32"; a None dimension follows the number
    of steps of the call (a model without a fixed sequence length)."""
    __slots__ = ()

    def __new__(cls, name, dtype, shape):
        return tuple.__new__(cls, (name, dtype, shape))

    name = property(lambda s: s[0])
    dtype = property(lambda s: s[1])
    shape = property(lambda s: s[2])

    def __repr__(self):
        return "TensorSpec(name=%r, dtype=%r, shape=%r)" % self


def _spec(ti):
    shape = tuple(None if d == 0 else int(d) for d in ti.dims[:ti.rank])
    return TensorSpec(ti.name.decode(), "ids" if ti.dtype == 0 else "float32", shape)


_PADDING = {0: "unknown", 1: "pre", 2: "post"}
_LOAD_BF16_WEIGHTS = 1  # ARNN_LOAD_BF16_WEIGHTS


class Model:
    """A loaded arnn model. Immutable; predict() may be called from any number
    of Python threads at once (each concurrent call runs on its own thread
    pool, see predict())."""

    def __init__(self, path, **convert_options):
        lib = _L.lib()
        self._lib = lib
        self._handle = None
        path = os.fspath(path)
        self.path = path
        err = ctypes.create_string_buffer(1024)
        h = ctypes.c_void_p()
        if not os.path.isfile(path):
            raise Error("%s: %s" % (path, "not a file" if os.path.exists(path) else "no such file"), ERR_IO)
        self._header = None  # the converted file's header, for its tokenizer
        weights = convert_options.pop("weights", "f32")
        if weights not in ("f32", "bf16"):
            raise ValueError("weights must be 'f32' or 'bf16', not %r" % (weights,))
        flags = _LOAD_BF16_WEIGHTS if weights == "bf16" else 0
        if not convert_options and _is_arnn_file(path):
            st = lib.arnn_model_load_ex(path.encode(), flags, ctypes.byref(h), err, len(err))
        else:
            data = convert(path, weights=weights, **convert_options)
            st = lib.arnn_model_load_memory_ex(data, len(data), flags, ctypes.byref(h), err, len(err))
            self._header = data[:8 + int.from_bytes(data[:8], "little")]
        if st != OK:
            raise Error("%s: %s" % (path, err.value.decode("utf-8", "replace") or _STATUS_NAMES.get(st)), st)
        self._handle = h.value
        self._pools = {}           # (threads, pin) -> list of idle pools
        self._pools_lock = threading.Lock()
        self._shapes = {}          # (output, steps) -> per-sample shape
        mi = _L.ModelInfo()
        mi.struct_size = ctypes.sizeof(mi)
        _check(lib.arnn_model_get_info(h, ctypes.byref(mi)), "arnn_model_get_info")
        self._mi = mi
        self.inputs = []
        for i in range(lib.arnn_model_num_inputs(h)):
            ti = _L.TensorInfo(ctypes.sizeof(_L.TensorInfo))
            _check(lib.arnn_model_input_info(h, i, ctypes.byref(ti)), "arnn_model_input_info")
            self.inputs.append(_spec(ti))
        self.outputs = []
        for i in range(lib.arnn_model_num_outputs(h)):
            ti = _L.TensorInfo(ctypes.sizeof(_L.TensorInfo))
            _check(lib.arnn_model_output_info(h, i, ctypes.byref(ti)), "arnn_model_output_info")
            self.outputs.append(_spec(ti))
        self.max_steps = int(lib.arnn_model_max_steps(h))
        self.layers = []
        for i in range(lib.arnn_model_num_layers(h)):
            li = _L.LayerInfo(ctypes.sizeof(_L.LayerInfo))
            _check(lib.arnn_model_layer_info(h, i, ctypes.byref(li)), "arnn_model_layer_info")
            self.layers.append({"name": li.name.decode(), "op": li.op.decode(),
                                "inputs": [s for s in li.inputs.decode().split(",") if s],
                                "kernel": (li.kernel or b"").decode(),
                                "shape": tuple(None if d == 0 else int(d) for d in li.dims[:li.rank]),
                                "mask": bool(li.has_mask), "weights": (li.weights or b"").decode()})
        C = int(mi.C)
        if not C and self.outputs:
            C = self.outputs[0].shape[-1] or 0
        self.labels = []
        for c in range(C):
            s = lib.arnn_model_label(h, c)
            if s is None:
                break
            self.labels.append(s.decode("utf-8", "replace"))
        self.padding = _PADDING.get(mi.padding, "unknown")
        self.has_attention = any(l["op"] == "attention_pool" for l in self.layers)
        # steps: the fixed T of the (first) input with steps, 0 = per call, None = no steps
        self._steps_fixed = None
        for s in self.inputs:
            if s.dtype == "ids" or len(s.shape) == 2:
                self._steps_fixed = s.shape[0] or 0
                break

    # ---- the model's own tokenizer ----
    @property
    def tokenizer(self):
        """The tokenizer the model carries (a Keras TextVectorization layer the
        converter kept, see arnn.tokenizer), or None. Loaded on first use."""
        if not hasattr(self, "_tokenizer"):
            from . import tokenizer as _tok
            if self._header is not None:
                self._tokenizer = _tok.from_model_bytes(self._header)
            else:
                self._tokenizer = _tok.load_model(self.path)
        return self._tokenizer

    # ---- description ----
    @property
    def info(self):
        """The architecture as a dict (arnn_model_get_info plus inputs,
        outputs, layers, labels, padding, max_steps, the library's ISA, the
        description of the tokenizer the model carries or None)."""
        mi = self._mi
        return {"format_version": int(mi.format_version), "input": "ids" if mi.input == 0 else "dense",
                "T": int(mi.T), "E": int(mi.E), "V": int(mi.V), "H": int(mi.H), "C": int(mi.C),
                "cell": {0: "lstm", 1: "gru"}.get(mi.cell, mi.cell), "mask_zero": bool(mi.mask_zero),
                "padding": self.padding, "attention": {0: "eps", 1: "softmax"}.get(mi.attention, mi.attention),
                "attention_bias": bool(mi.attention_bias),
                "head": {0: "linear", 1: "sigmoid", 2: "softmax"}.get(mi.head, mi.head),
                "max_steps": self.max_steps, "inputs": list(self.inputs), "outputs": list(self.outputs),
                "layers": [dict(l) for l in self.layers], "labels": list(self.labels), "isa": isa(),
                "tokenizer": self.tokenizer.describe() if self.tokenizer is not None else None}

    def __repr__(self):
        return "<arnn.Model %s: inputs %s, outputs %s>" % (self.path, self.inputs, self.outputs)

    # ---- lifetime ----
    def close(self):
        """Frees the model and its thread pools now (no call may be running)."""
        h, self._handle = self._handle, None
        if h is None:
            return
        with self._pools_lock:
            for pools in self._pools.values():
                for p in pools:
                    self._lib.arnn_threadpool_destroy(p)
            self._pools = {}
        self._lib.arnn_model_free(h)

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ---- thread pools: one per concurrent call, kept for the next ----
    def _acquire_pool(self, threads, pin):
        if threads == 1:
            return None
        key = (threads, pin)
        with self._pools_lock:
            idle = self._pools.get(key)
            if idle:
                return idle.pop()
        p = ctypes.c_void_p()
        _check(self._lib.arnn_threadpool_create_ex(threads, 0 if pin else 1, ctypes.byref(p)),
               "cannot start %d threads" % threads)
        return p.value

    def _release_pool(self, threads, pin, pool):
        if pool is None:
            return
        with self._pools_lock:
            idle = self._pools.setdefault((threads, pin), [])
            if self._handle is not None and len(idle) < 8:
                idle.append(pool)
                return
        self._lib.arnn_threadpool_destroy(pool)

    # ---- prediction ----
    def predict(self, x, batch_size=32, threads=None, attention=False, progress=None, truncating=None,
                pin=True, as_dict=False):
        """Runs the model on x and returns its outputs as float32 numpy arrays.

        x, for a model with one input:
          - token ids: an integer array [N, T] (any integer dtype; values must
            fit the vocabulary), rows already padded; or a list of N lists
            (or 1-D arrays) of ids of any length, padded here the way the
            model was trained: padding before the ids (Keras pad_sequences'
            default) unless the model file says padding=post, the padded
            slots being what pad_sequences writes (id 0). A list longer than
            T is an error unless truncating="pre" (drop the front, Keras'
            default) or "post" (drop the end).
            A model without a fixed T (Keras input_length None) runs every
            list at its own length (as Keras predicting that sequence alone;
            equal lengths share a call), and an array [N, T] as given.
          - float vectors: float32 [N, T, E] or [N, F] (other float dtypes
            are converted).
          For several inputs: a list (model order) or a dict by input name.
        Returns output 0 as an array [N, ...] when the model has one output,
        else a list of arrays in the Keras model's output order (a dict by
        name with as_dict=True). An output whose size follows the steps, run
        on lists of varying lengths, is a list of N arrays.
        attention=True returns (outputs, weights): the weights [N, steps] of
        the model's first attention pooling layer (a list of arrays for lists
        of varying lengths on a model without fixed T).
        batch_size: sequences per library call. threads: threads per call
        (None: the physical cores; 1: the calling thread only); each
        concurrent call takes its own pool (pinned unless pin=False) and the
        pools are kept for the next calls. progress: called as
        progress(done, total) after every batch.
        The GIL is released while the library runs."""
        if self._handle is None:
            raise Error("the model is closed", ERR_INVALID_ARGUMENT)
        if batch_size < 1:
            raise Error("batch_size must be >= 1", ERR_INVALID_ARGUMENT)
        if threads is None:
            threads = 0
        if threads < 0 or threads > 1024:
            raise Error("threads must be 0..1024", ERR_INVALID_ARGUMENT)
        if truncating not in (None, "pre", "post"):
            raise Error("truncating must be None, 'pre' or 'post'", ERR_INVALID_ARGUMENT)
        if attention and not self.has_attention:
            raise Error("%s has no attention pooling layer: attention=True has nothing to return" % self.path,
                        ERR_INVALID_ARGUMENT)
        groups = self._prepare(x, truncating)
        n = groups[0][3]
        pool = self._acquire_pool(threads, pin)
        try:
            outs, att = self._run_groups(groups, n, batch_size, pool, attention, progress)
        finally:
            self._release_pool(threads, pin, pool)
        if as_dict:
            res = {s.name: o for s, o in zip(self.outputs, outs)}
        else:
            res = outs[0] if len(outs) == 1 else outs
        return (res, att) if attention else res

    def predict_text(self, texts, tokenizer=None, batch_size=32, threads=None, attention=False, progress=None,
                     truncating=None, pin=True, as_dict=False):
        """predict() on raw texts: tokenizer is a path to a Keras
        Tokenizer.to_json() file (or a TextVectorization tokenizer JSON) or an
        object with encode(list[str]) -> list[list[int]] (arnn.tokenizer);
        None: the tokenizer the model carries (self.tokenizer, a converted
        TextVectorization layer). The id lists are padded as predict() pads
        lists and truncated: truncating="pre" drops the front of a text longer
        than T, "post" the end; None: the tokenizer's own rule (pad_sequences'
        "pre" for a Keras Tokenizer; the end, "post", for a TextVectorization,
        whose ids are also padded at the end)."""
        if tokenizer is None:
            tokenizer = self.tokenizer
            if tokenizer is None:
                raise Error("%s carries no tokenizer: pass tokenizer= (a Keras Tokenizer.to_json() file)" % self.path,
                            ERR_INVALID_ARGUMENT)
        if isinstance(tokenizer, (str, bytes, os.PathLike)):
            from . import tokenizer as _tok  # the tokenizer module (lazy: optional)
            tokenizer = _tok.load(tokenizer)
        if truncating is None:
            truncating = getattr(tokenizer, "truncating", "pre")
        if isinstance(texts, str):
            raise Error("texts must be a list of strings, not one string", ERR_INVALID_ARGUMENT)
        seqs = tokenizer.encode(list(texts))
        if getattr(tokenizer, "is_text_vectorization", False):
            seqs = tokenizer.pad(seqs, truncating)
        return self.predict(seqs, batch_size=batch_size, threads=threads, attention=attention,
                            progress=progress, truncating=truncating, pin=pin, as_dict=as_dict)

    # Normalises x into groups of (steps, [input arrays], lengths or None, n,
    # row indices or None): one group for arrays / fixed T, one per distinct
    # length for lists on a model without fixed T.
    def _prepare(self, x, truncating):
        ins = self.inputs
        if len(ins) == 1:
            xs = [x]
        elif isinstance(x, dict):
            try:
                xs = [x[s.name] for s in ins]
            except KeyError as e:
                raise Error("missing input %s (the model takes %s)" % (e, [s.name for s in ins]),
                            ERR_INVALID_ARGUMENT) from None
        elif isinstance(x, (list, tuple)) and len(x) == len(ins):
            xs = list(x)
        else:
            raise Error("the model has %d inputs (%s): pass a list or a dict of arrays"
                        % (len(ins), ", ".join(s.name for s in ins)), ERR_INVALID_ARGUMENT)
        if len(ins) == 1 and ins[0].dtype == "ids" and not isinstance(x, np.ndarray) and _is_ragged(x):
            return self._prepare_lists(x, truncating)
        arrays, n, steps = [], None, None
        for spec, a in zip(ins, xs):
            a = self._as_array(spec, a)
            if n is None:
                n = a.shape[0]
            elif a.shape[0] != n:
                raise Error("input %s has %d rows, input %s has %d" % (spec.name, a.shape[0], ins[0].name, n),
                            ERR_SHAPE_MISMATCH)
            if spec.dtype == "ids" or len(spec.shape) == 2:
                s = a.shape[1]
                if steps is not None and s != steps:
                    raise Error("inputs with %d and %d steps: all must have the same" % (steps, s),
                                ERR_SHAPE_MISMATCH)
                steps = s
            arrays.append(a)
        if n == 0:
            raise Error("no sequences to predict (N = 0)", ERR_INVALID_ARGUMENT)
        if steps is not None:
            if steps == 0 or steps > self.max_steps:
                raise Error("sequences of %d steps: the model takes 1 to %d" % (steps, self.max_steps),
                            ERR_OUT_OF_RANGE)
        return [(steps or 0, arrays, None, n, None)]

    def _as_array(self, spec, a):
        if spec.dtype == "ids":
            a = np.asarray(a)
            if a.dtype == object or not (np.issubdtype(a.dtype, np.integer) or a.dtype == bool):
                raise Error("input %s takes integer token ids, got an array of %s" % (spec.name, a.dtype),
                            ERR_INVALID_ARGUMENT)
            if a.ndim != 2:
                raise Error("input %s takes token ids [N, T], got an array of rank %d %s"
                            % (spec.name, a.ndim, a.shape), ERR_SHAPE_MISMATCH)
            if spec.shape[0] and a.shape[1] != spec.shape[0]:
                raise Error("input %s takes [N, T=%d] token ids, got %s" % (spec.name, spec.shape[0], a.shape),
                            ERR_SHAPE_MISMATCH)
            V = self._mi.V
            if a.size:
                lo, hi = int(a.min()), int(a.max())
                if lo < 0 or (V and hi >= V) or hi > 2**31 - 1:
                    bad = np.argwhere((a < 0) | (a >= (V or 2**31)))[0]
                    raise Error("input %s: sequence %d: token id %d is outside the vocabulary [0, %d)"
                                % (spec.name, bad[0], int(a[tuple(bad)]), V), ERR_OUT_OF_RANGE)
            return np.ascontiguousarray(a, dtype=np.int32)
        a = np.asarray(a)
        if not (np.issubdtype(a.dtype, np.floating) or np.issubdtype(a.dtype, np.integer)):
            raise Error("input %s takes float32 vectors, got an array of %s" % (spec.name, a.dtype),
                        ERR_INVALID_ARGUMENT)
        want = len(spec.shape) + 1
        if a.ndim != want:
            raise Error("input %s takes float32 [N, %s], got an array of rank %d %s"
                        % (spec.name, ", ".join(str(d or "T") for d in spec.shape), a.ndim, a.shape),
                        ERR_SHAPE_MISMATCH)
        for d, got in zip(spec.shape, a.shape[1:]):
            if d and got != d:
                raise Error("input %s takes float32 [N, %s], got %s"
                            % (spec.name, ", ".join(str(d or "T") for d in spec.shape), a.shape),
                            ERR_SHAPE_MISMATCH)
        return np.ascontiguousarray(a, dtype=np.float32)

    def _prepare_lists(self, seqs, truncating):
        spec = self.inputs[0]
        T = spec.shape[0] or 0
        limit = T or self.max_steps
        V = self._mi.V
        rows = []
        for i, s in enumerate(seqs):
            s = np.asarray(s)
            if s.ndim != 1 or (s.size and not np.issubdtype(s.dtype, np.integer)):
                raise Error("sequence %d: a list of integer token ids expected, got %s"
                            % (i, "rank %d" % s.ndim if s.ndim != 1 else s.dtype), ERR_INVALID_ARGUMENT)
            if s.size > limit:
                if truncating is None:
                    raise Error("sequence %d: %d token ids, more than %s=%d (pass truncating='pre' or 'post')"
                                % (i, s.size, "T" if T else "the model's maximum", limit), ERR_OUT_OF_RANGE)
                s = s[-limit:] if truncating == "pre" else s[:limit]
            if s.size and (int(s.min()) < 0 or (V and int(s.max()) >= V) or int(s.max()) > 2**31 - 1):
                bad = int(s[(s < 0) | (s >= (V or 2**31))][0])
                raise Error("sequence %d: token id %d is outside the vocabulary [0, %d)" % (i, bad, V),
                            ERR_OUT_OF_RANGE)
            rows.append(s)
        n = len(rows)
        if n == 0:
            raise Error("no sequences to predict (N = 0)", ERR_INVALID_ARGUMENT)
        lengths = np.fromiter((r.size for r in rows), dtype=np.uintp, count=n)
        if T:
            ids = np.zeros((n, T), dtype=np.int32)
            post = self.padding == "post"
            for i, r in enumerate(rows):
                if r.size:
                    if post:
                        ids[i, :r.size] = r
                    else:
                        ids[i, T - r.size:] = r
            return [(T, [ids], lengths, n, None)]
        # no fixed T: each distinct length is one group (an empty list runs as
        # one padding step, id 0)
        groups = []
        for L in np.unique(lengths):
            idx = np.nonzero(lengths == L)[0]
            steps = int(L) or 1
            ids = np.zeros((idx.size, steps), dtype=np.int32)
            if L:
                for k, i in enumerate(idx):
                    ids[k] = rows[i]
            groups.append((steps, [ids], None, n, idx))
        return groups

    def _out_size(self, k, steps):
        key = (k, steps)
        shape = self._shapes.get(key)
        if shape is None:
            shape = self._shapes[key] = self._query_out_size(k, steps)
        return shape

    def _query_out_size(self, k, steps):
        ti = _L.TensorInfo(ctypes.sizeof(_L.TensorInfo))
        st = self._lib.arnn_model_output_shape(self._handle, k, steps, ctypes.byref(ti))
        if st != OK:
            raise Error("output %s: the model cannot take %d steps: %s"
                        % (self.outputs[k].name, steps, self._lib.arnn_status_str(st).decode()), st)
        return tuple(int(d) for d in ti.dims[:ti.rank])

    def _run_groups(self, groups, n, batch_size, pool, attention, progress):
        lib = self._lib
        n_out = len(self.outputs)
        ragged = groups[0][4] is not None and len(groups) > 1
        results = [None] * n_out
        att_all = None
        done = 0
        for steps, arrays, lengths, _, idx in groups:
            m = arrays[0].shape[0]
            shapes = [self._out_size(k, steps) for k in range(n_out)]
            outs = [np.empty((m,) + sh, dtype=np.float32) for sh in shapes]
            att = np.empty((m, steps), dtype=np.float32) if attention else None
            in_ptrs = (ctypes.c_void_p * len(arrays))()
            out_ptrs = (ctypes.c_void_p * n_out)()
            opt = _L.PredictOptions(ctypes.sizeof(_L.PredictOptions), pool, None, None)
            for s in range(0, m, batch_size):
                b = min(batch_size, m - s)
                for i, a in enumerate(arrays):
                    in_ptrs[i] = a.ctypes.data + s * a.strides[0]
                for k, o in enumerate(outs):
                    out_ptrs[k] = o.ctypes.data + s * o.strides[0]
                opt.lengths = lengths.ctypes.data + s * lengths.strides[0] if lengths is not None else None
                opt.attention = att.ctypes.data + s * att.strides[0] if att is not None else None
                st = lib.arnn_model_run(self._handle, b, steps, in_ptrs, ctypes.byref(opt), out_ptrs)
                if st != OK:
                    first = s if idx is None else int(idx[s])
                    raise Error("prediction failed for sequences %d..%d: %s"
                                % (first, first + b - 1 if idx is None else int(idx[s + b - 1]),
                                   lib.arnn_status_str(st).decode()), st)
                done += b
                if progress is not None:
                    progress(done, n)
            if idx is None:
                results, att_all = outs, att
                continue
            # scatter a group of equal lengths back to input order
            for k in range(n_out):
                if results[k] is None:
                    results[k] = np.empty((n,) + shapes[k], dtype=np.float32) \
                        if (not ragged or self.outputs[k].shape.count(None) == 0) else [None] * n
                if isinstance(results[k], list):
                    for j, i in enumerate(idx):
                        results[k][i] = outs[k][j]
                else:
                    results[k][idx] = outs[k]
            if attention:
                if att_all is None:
                    att_all = [None] * n if ragged else np.empty((n, steps), dtype=np.float32)
                if isinstance(att_all, list):
                    for j, i in enumerate(idx):
                        att_all[i] = att[j]
                else:
                    att_all[idx] = att
        return results, att_all


def _is_ragged(x):
    """A list/tuple of sequences (not a rectangular numeric array)."""
    if not isinstance(x, (list, tuple)):
        return False
    return all(isinstance(r, (list, tuple, np.ndarray)) for r in x)
