"""The Keras Tokenizer from Python: a thin ctypes wrapper of arnn's C tokenizer
(arnn_tokenizer_* in arnn.h), so Python and the CLI tokenize with one
implementation.

    tok = arnn.tokenizer.load("tokenizer.json")     # Keras Tokenizer.to_json()
    tok.encode(["Great film!", "Ein Straßenfilm"])  # -> [[12, 7], [3, 901]]
    tok = arnn.tokenizer.load_model("m.safetensors")  # the model's own (TextVectorization), or None

encode() gives what Keras' Tokenizer.texts_to_sequences gives (filters,
lower() as Python does it, split, num_words, oov_token; char_level=False);
the differences are listed in arnn.h. A TextVectorization tokenizer (the JSON
arnn-convert writes, or the one a converted model carries) gives the layer's
ids before its padding: .sequence_length is its output_sequence_length and
pad() applies it as the layer does (zeros and truncation at the end). Errors raise arnn.Error (TokenizerError
when the arnn package is not importable) carrying arnn's message and status.
The C calls release the GIL; one Tokenizer may be used from many threads.

The library: the arnn package's own (arnn._lib) when present, else the
ARNN_LIBRARY environment variable, else "libarnn.so.0" from the system's
library path; load(path, lib=handle) takes a ctypes.CDLL of libarnn instead.
"""
import ctypes
import os
import threading

__all__ = ["Tokenizer", "TokenizerError", "load", "from_json", "load_model", "from_model_bytes"]

try:  # the package's exception, so callers catch one type
    from . import Error as _Base
except ImportError:  # the package's __init__ is not there (this file used alone)
    _Base = Exception


class TokenizerError(_Base):
    """A tokenizer failure: the message is arnn's, .status the arnn_status code
    (1 invalid argument, 2 out of memory, 3 I/O, 4 malformed, 5 unsupported,
    7 out of range), None when the failure is not the library's."""

    def __init__(self, message, status=None):
        if _Base is Exception:
            super().__init__(message)
            self.status = status
        else:
            super().__init__(message, status)


_ERRBUF = 512
_bound = {}
_bind_lock = threading.Lock()


def _library(lib=None):
    if lib is None:
        try:
            from . import _lib as _L  # the arnn package's search (build tree, install, ARNN_LIBRARY)
            lib = _L.lib()
        except ImportError:
            path = os.environ.get("ARNN_LIBRARY") or "libarnn.so.0"
            try:
                lib = ctypes.CDLL(path)
            except OSError as e:
                raise TokenizerError("cannot load the arnn library %s (set ARNN_LIBRARY=/path/to/libarnn.so): %s"
                                     % (path, e)) from None
    with _bind_lock:
        if id(lib) not in _bound:
            P, c_size_t, c_void_p, c_char_p = ctypes.POINTER, ctypes.c_size_t, ctypes.c_void_p, ctypes.c_char_p
            sigs = {
                "arnn_tokenizer_load": ([c_char_p, P(c_void_p), c_char_p, c_size_t], ctypes.c_int),
                "arnn_tokenizer_load_memory": ([c_char_p, c_size_t, P(c_void_p), c_char_p, c_size_t], ctypes.c_int),
                "arnn_tokenizer_free": ([c_void_p], None),
                "arnn_tokenizer_num_words": ([c_void_p], c_size_t),
                "arnn_tokenizer_is_text_vectorization": ([c_void_p], ctypes.c_int),
                "arnn_tokenizer_sequence_length": ([c_void_p], c_size_t),
                "arnn_tokenizer_max_ids": ([c_void_p, c_size_t], c_size_t),
                "arnn_tokenizer_describe": ([c_void_p, c_char_p, c_size_t], c_size_t),
                "arnn_tokenizer_load_model": ([c_char_p, P(c_void_p), c_char_p, c_size_t], ctypes.c_int),
                "arnn_tokenizer_load_model_memory": ([c_char_p, c_size_t, P(c_void_p), c_char_p, c_size_t],
                                                     ctypes.c_int),
                "arnn_tokenizer_encode": ([c_void_p, c_char_p, c_size_t, P(ctypes.c_int), c_size_t, P(c_size_t),
                                           c_char_p, c_size_t], ctypes.c_int),
            }
            try:
                for name, (args, res) in sigs.items():
                    f = getattr(lib, name)
                    f.argtypes, f.restype = args, res
            except AttributeError:
                raise TokenizerError("this arnn library has no tokenizer (arnn_tokenizer_load): rebuild it") from None
            _bound[id(lib)] = lib
    return lib


class Tokenizer:
    """A loaded Keras tokenizer (immutable; thread-safe)."""

    def __init__(self, handle, lib):
        self._h = handle
        self._lib = lib

    def __del__(self):
        h, self._h = getattr(self, "_h", None), None
        if h:
            self._lib.arnn_tokenizer_free(h)

    def __len__(self):
        """Entries of word_index (Tokenizer); the vocabulary's size with "" and
        "[UNK]" (TextVectorization)."""
        return int(self._lib.arnn_tokenizer_num_words(self._h))

    @property
    def is_text_vectorization(self):
        return bool(self._lib.arnn_tokenizer_is_text_vectorization(self._h))

    @property
    def sequence_length(self):
        """TextVectorization's output_sequence_length, None without one."""
        n = int(self._lib.arnn_tokenizer_sequence_length(self._h))
        return n or None

    @property
    def truncating(self):
        """Where a sequence longer than the model's steps is cut: "post" for a
        TextVectorization (the layer keeps the first ids), "pre" for a Keras
        Tokenizer (pad_sequences' default)."""
        return "post" if self.is_text_vectorization else "pre"

    def describe(self):
        buf = ctypes.create_string_buffer(256)
        self._lib.arnn_tokenizer_describe(self._h, buf, 256)
        return buf.value.decode("ascii", "replace")

    def __repr__(self):
        return "<arnn.tokenizer.Tokenizer %s>" % self.describe()

    def pad(self, seqs, truncating="post"):
        """A TextVectorization's padding: each id list cut to sequence_length
        (at the end as the layer does; truncating="pre" keeps the last ids
        instead) and zero-padded at the end; unchanged without a length."""
        n = self.sequence_length
        if n is None:
            return [list(s) for s in seqs]
        if truncating not in ("pre", "post"):
            raise TokenizerError("truncating must be 'pre' or 'post'", 1)
        cut = [list(s[-n:] if truncating == "pre" else s[:n]) for s in seqs]
        return [s + [0] * (n - len(s)) for s in cut]

    def encode(self, texts):
        """list[str] -> list[list[int]], as Keras' texts_to_sequences."""
        if isinstance(texts, (str, bytes)):
            raise TokenizerError("texts must be a list of strings, not one string", 1)
        out = []
        cap = 0
        ids = None
        n = ctypes.c_size_t()
        err = ctypes.create_string_buffer(_ERRBUF)
        for k, text in enumerate(texts):
            if not isinstance(text, str):
                raise TokenizerError("text %d is a %s, not a str" % (k, type(text).__name__), 1)
            try:
                data = text.encode("utf-8")
            except UnicodeEncodeError as e:  # lone surrogates: no UTF-8 for them
                raise TokenizerError("text %d cannot be encoded as UTF-8: %s" % (k, e.reason), 1) from None
            need = int(self._lib.arnn_tokenizer_max_ids(self._h, len(data)))
            if not need:
                raise TokenizerError("text %d is too long" % k, 7)
            if need > cap:
                cap = max(need, 2 * cap, 256)
                ids = (ctypes.c_int * cap)()
            st = self._lib.arnn_tokenizer_encode(self._h, data, len(data), ids, cap, ctypes.byref(n), err, _ERRBUF)
            if st != 0:
                raise TokenizerError("text %d: %s" % (k, err.value.decode("ascii", "replace")), st)
            out.append(ids[:n.value])
        return out

    def __call__(self, texts):
        return self.encode(texts)


def _loaded(st, handle, err, lib, what):
    if st != 0:
        raise TokenizerError("%s: %s" % (what, err.value.decode("ascii", "replace")), st)
    return Tokenizer(handle, lib)


def load(path, lib=None):
    """A Keras Tokenizer.to_json() file -> Tokenizer."""
    lib = _library(lib)
    handle = ctypes.c_void_p()
    err = ctypes.create_string_buffer(_ERRBUF)
    st = lib.arnn_tokenizer_load(os.fsencode(path), ctypes.byref(handle), err, _ERRBUF)
    return _loaded(st, handle, err, lib, os.fsdecode(path))


def from_json(text, lib=None):
    """The string (or bytes) Tokenizer.to_json() returned -> Tokenizer."""
    lib = _library(lib)
    data = text.encode("utf-8") if isinstance(text, str) else bytes(text)
    handle = ctypes.c_void_p()
    err = ctypes.create_string_buffer(_ERRBUF)
    st = lib.arnn_tokenizer_load_memory(data, len(data), ctypes.byref(handle), err, _ERRBUF)
    return _loaded(st, handle, err, lib, "tokenizer JSON")


def _model_loaded(st, handle, err, lib, what):
    if st != 0:
        raise TokenizerError("%s: %s" % (what, err.value.decode("ascii", "replace")), st)
    return Tokenizer(handle, lib) if handle.value else None


def load_model(path, lib=None):
    """The tokenizer an arnn model file carries (a converted TextVectorization
    layer) -> Tokenizer, or None when the model has none. Reads the header only."""
    lib = _library(lib)
    handle = ctypes.c_void_p()
    err = ctypes.create_string_buffer(_ERRBUF)
    st = lib.arnn_tokenizer_load_model(os.fsencode(path), ctypes.byref(handle), err, _ERRBUF)
    return _model_loaded(st, handle, err, lib, os.fsdecode(path))


def from_model_bytes(data, lib=None):
    """load_model() on the bytes of an arnn model file (its header is enough)."""
    lib = _library(lib)
    data = bytes(data)
    handle = ctypes.c_void_p()
    err = ctypes.create_string_buffer(_ERRBUF)
    st = lib.arnn_tokenizer_load_model_memory(data, len(data), ctypes.byref(handle), err, _ERRBUF)
    return _model_loaded(st, handle, err, lib, "model file")
