"""Finding and binding the arnn shared library (ctypes; nothing is compiled).

Search order: the ARNN_LIBRARY environment variable (a path to libarnn.so);
a build tree next to the checkout this package sits in (../build*/libarnn.so
relative to python/); the lib directories of a CMake install this package was
installed into (PREFIX/share/arnn/python/arnn -> PREFIX/lib*/); the system's
library path (ctypes.util.find_library("arnn"), then "libarnn.so.0").
"""
import ctypes
import ctypes.util
import glob
import os
import threading

c_size_t = ctypes.c_size_t
c_void_p = ctypes.c_void_p
c_char_p = ctypes.c_char_p
c_int = ctypes.c_int


class TensorInfo(ctypes.Structure):
    _fields_ = [("struct_size", c_size_t), ("name", c_char_p), ("dtype", c_int),
                ("rank", c_size_t), ("dims", c_size_t * 2)]


class LayerInfo(ctypes.Structure):
    _fields_ = [("struct_size", c_size_t), ("name", c_char_p), ("op", c_char_p), ("inputs", c_char_p),
                ("kernel", c_char_p), ("rank", c_size_t), ("dims", c_size_t * 2), ("has_mask", c_int),
                ("weights", c_char_p)]


class ModelInfo(ctypes.Structure):
    _fields_ = [("struct_size", c_size_t), ("format_version", ctypes.c_uint), ("input", c_int),
                ("T", c_size_t), ("E", c_size_t), ("V", c_size_t), ("H", c_size_t), ("C", c_size_t),
                ("cell", c_int), ("gru_reset_after", c_int), ("recurrent_activation", c_int),
                ("mask_zero", c_int), ("padding", c_int), ("attention", c_int), ("attention_bias", c_int),
                ("head", c_int)]


class PredictOptions(ctypes.Structure):
    _fields_ = [("struct_size", c_size_t), ("pool", c_void_p), ("lengths", c_void_p), ("attention", c_void_p)]


def candidates():
    env = os.environ.get("ARNN_LIBRARY")
    if env:
        return [env]
    here = os.path.dirname(os.path.abspath(__file__))
    out = []
    # in place: <checkout>/python/arnn -> <checkout>/build*/libarnn.so
    root = os.path.dirname(os.path.dirname(here))
    out += sorted(glob.glob(os.path.join(root, "build*", "libarnn.so")),
                  key=lambda p: (os.path.basename(os.path.dirname(p)) != "build", p))
    # CMake install: PREFIX/share/arnn/python/arnn -> PREFIX/lib*/libarnn.so
    prefix = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(here))))
    out += sorted(glob.glob(os.path.join(prefix, "lib*", "libarnn.so")) +
                  glob.glob(os.path.join(prefix, "lib*", "*-linux-gnu*", "libarnn.so")))
    found = ctypes.util.find_library("arnn")
    if found:
        out.append(found)
    out.append("libarnn.so.0")
    return out


_lock = threading.Lock()
_lib = None


def _bind(lib):
    P = ctypes.POINTER
    sigs = {
        "arnn_version": ([], c_char_p),
        "arnn_status_str": ([c_int], c_char_p),
        "arnn_isa": ([], c_char_p),
        "arnn_isa_note": ([], c_char_p),
        "arnn_model_load": ([c_char_p, P(c_void_p), c_char_p, c_size_t], c_int),
        "arnn_model_load_memory": ([c_char_p, c_size_t, P(c_void_p), c_char_p, c_size_t], c_int),
        "arnn_model_load_ex": ([c_char_p, ctypes.c_uint, P(c_void_p), c_char_p, c_size_t], c_int),
        "arnn_model_load_memory_ex": ([c_char_p, c_size_t, ctypes.c_uint, P(c_void_p), c_char_p, c_size_t], c_int),
        "arnn_model_free": ([c_void_p], None),
        "arnn_model_get_info": ([c_void_p, P(ModelInfo)], c_int),
        "arnn_model_label": ([c_void_p, c_size_t], c_char_p),
        "arnn_model_num_inputs": ([c_void_p], c_size_t),
        "arnn_model_num_outputs": ([c_void_p], c_size_t),
        "arnn_model_input_info": ([c_void_p, c_size_t, P(TensorInfo)], c_int),
        "arnn_model_output_info": ([c_void_p, c_size_t, P(TensorInfo)], c_int),
        "arnn_model_output_shape": ([c_void_p, c_size_t, c_size_t, P(TensorInfo)], c_int),
        "arnn_model_max_steps": ([c_void_p], c_size_t),
        "arnn_model_num_layers": ([c_void_p], c_size_t),
        "arnn_model_layer_info": ([c_void_p, c_size_t, P(LayerInfo)], c_int),
        "arnn_model_run": ([c_void_p, c_size_t, c_size_t, P(c_void_p), P(PredictOptions), P(c_void_p)], c_int),
        "arnn_threadpool_create_ex": ([c_size_t, ctypes.c_uint, P(c_void_p)], c_int),
        "arnn_threadpool_destroy": ([c_void_p], None),
        "arnn_threadpool_size": ([c_void_p], c_size_t),
    }
    for name, (args, res) in sigs.items():
        f = getattr(lib, name)
        f.argtypes = args
        f.restype = res
    return lib


def lib():
    """The bound library (loaded once; ctypes.CDLL releases the GIL during calls)."""
    global _lib
    if _lib is not None:
        return _lib
    with _lock:
        if _lib is None:
            tried = []
            for path in candidates():
                try:
                    _lib = _bind(ctypes.CDLL(path))
                    _lib.arnn_path = path
                    break
                except OSError as e:
                    tried.append("%s (%s)" % (path, e))
            else:
                from . import Error
                raise Error("cannot find the arnn shared library; build it (cmake --build build) or set "
                            "ARNN_LIBRARY=/path/to/libarnn.so. Tried: " + "; ".join(tried), 0)
    return _lib
