"""Keras model -> arnn model file (format version 2: a layer graph).

The one implementation of the converter: `arnn.convert()` and the
tools/arnn-convert script (a thin wrapper around main() here) both call it.
Library use (numpy + h5py; the arnn shared library is not needed):

    from arnn.converter import convert_file, safetensors_bytes, Refused
    meta, tensors = convert_file("m.h5", labels=["neg", "pos"])
    open("m.safetensors", "wb").write(safetensors_bytes(meta, tensors))

convert_file() reads any of the Keras files listed in main()'s help, turns the
model config (Sequential, Functional/Model, nested models inlined) into the
graph of docs/model-graph.md and returns the safetensors metadata (all values
strings, the graph JSON under "graph") and the tensors ("<layer>/<param>" ->
float array, plain Keras layout). Unsupported layers raise Refused listing
every one of them at once.

Mask rules (what the graph's `zero_output_for_mask` records):
  A masked step leaves an RNN's state unchanged; what it OUTPUTS there depends
  on the Keras that saved the model.
  - Standalone Keras 2.0-2.3 (keras_version without "-tf", below 2.4):
    keras/backend/tensorflow_backend.py `rnn()` selects, at a masked step,
    `states[0]` (while_loop path) or `prev_output` (unrolled path): the
    previous output, and keras/layers/wrappers.py Bidirectional does not
    change that. -> false for every RNN.
  - tf.keras (keras_version "2.x.y-tf", and 2.4+ which only tf.keras wrote)
    and Keras 3: the RNN layer takes `zero_output_for_mask` (default False,
    kept in its config), and Bidirectional.__init__ (tf.keras
    keras/layers/wrappers.py, Keras 3 keras/src/layers/rnn/bidirectional.py,
    `force_zero_output_for_mask`) sets it to `return_sequences` on both
    directions. -> true inside Bidirectional with return_sequences, else the
    config's value.
  GlobalAveragePooling1D averages over the kept steps in tf.keras and Keras 3
  (keras/layers/pooling.py / keras/src/layers/pooling/
  global_average_pooling1d.py: `call(inputs, mask=None)`) and in standalone
  Keras from 2.2.3; older Keras has `K.mean` and no masking support (a mask
  reaching it was an error there). GlobalMaxPooling1D's `call` takes no mask
  in any Keras (the mask is dropped): masked = false.
  hard_sigmoid: clip(0.2x + 0.5) before Keras 3, clip(x/6 + 0.5) in Keras 3.
"""
import io
import json
import re
import zipfile

import numpy as np
import h5py

FORMAT_VERSION = 2
MAX_STEPS = 65536
LIMIT_V = 1 << 24
LIMIT_FEATURES = 1 << 24  # elements of one per-sample value axis we accept
LIMIT_WIDTH = 65536       # a learned size: embedding E, input features, dense units, conv filters
LIMIT_UNITS = 16384       # RNN units per direction
LIMIT_LAYERS = 4096
LIMIT_INPUTS = 16
LIMIT_OUTPUTS = 64
LIMIT_GRAPH = 4 << 20
LIMIT_LABEL = 1024
LIMIT_VOCABULARY = 1 << 24       # TextVectorization tokens (ARNN_TOKENIZER_MAX_WORDS)
LIMIT_VOCABULARY_BYTES = 256 << 20
LIMIT_TOKEN_BYTES = 65536        # ARNN_TOKENIZER_MAX_WORD_BYTES
LIMIT_SEQUENCE_LENGTH = 65536    # ARNN_TOKENIZER_MAX_SEQUENCE_LENGTH

IDENTITY_LAYERS = {"Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "GaussianDropout",
                   "GaussianNoise", "AlphaDropout", "ActivityRegularization", "Identity"}
RNN_CLASSES = {"LSTM": ("lstm", 4), "GRU": ("gru", 3), "SimpleRNN": ("simple", 1), "CuDNNLSTM": ("lstm", 4),
               "CuDNNGRU": ("gru", 3)}
MODEL_CLASSES = {"Sequential", "Functional", "Model"}
MERGE_CLASSES = {"Concatenate": "concat", "Add": "add", "Subtract": "subtract", "Multiply": "multiply",
                 "Average": "average", "Maximum": "maximum", "Minimum": "minimum"}
# Built-in Keras layers arnn does not run: named as such in a refusal (anything
# else unknown is reported as a custom class).
KNOWN_KERAS = {"Conv2D", "Conv3D", "Conv2DTranspose", "Conv1DTranspose", "SeparableConv1D", "DepthwiseConv1D",
               "MaxPooling2D", "AveragePooling2D", "GlobalMaxPooling2D", "GlobalAveragePooling2D", "UpSampling1D",
               "ZeroPadding1D", "Cropping1D", "ConvLSTM1D",
               "ConvLSTM2D", "RNN", "StackedRNNCells", "LSTMCell", "GRUCell", "SimpleRNNCell",
               "StringLookup", "IntegerLookup", "Normalization", "Discretization", "CategoryEncoding", "Hashing",
               "GroupNormalization", "UnitNormalization", "ThresholdedReLU", "Rescaling", "Resizing",
               "Cropping2D", "ZeroPadding2D", "Attention", "Conv1D", "Einsum", "EinsumDense", "TFOpLambda",
               "SlicingOpLambda"}
# Call arguments Keras fills in with the inputs' masks (Keras 3 Layer.__call__
# populates `mask` and `<arg>_mask` from the tensors' masks, and Keras 2 may
# record an explicit `mask=`): the converter tracks masks itself.
MASK_KWARGS = {"mask", "query_mask", "value_mask", "key_mask"}
# Custom attention classes recognised by name (docs/custom-attention.md); any
# other name needs `--custom CLASS=FORM` unless its weights are those of the
# attention pooling ([F] or [F, 1], optional per-step bias).
CUSTOM_FORMS = ("eps", "softmax", "context-softmax", "context-eps")
CONTEXT_CLASSES = {"AttentionWithContext": "context-eps", "AttLayer": "context-eps",
                   "AttentionLayerWithContext": "context-eps", "HierarchicalAttention": "context-softmax",
                   "HierarchicalAttentionLayer": "context-softmax", "ContextAttention": "context-softmax"}


class Refused(Exception):
    """The model cannot be converted; str() says why (every layer at once)."""


class LayerRefused(Exception):
    pass


class Poisoned(Exception):
    """An input of this layer comes from a refused layer: its shapes are unknown."""


# ---------------------------------------------------------------- Keras versions

class KerasVersion:
    def __init__(self, text, default_major):
        self.text = text
        nums = [int(x) for x in re.findall(r"\d+", str(text or ""))[:3]] if text else []
        if not nums:
            nums = [default_major, 0 if default_major == 3 else 9, 0]
        while len(nums) < 3:
            nums.append(0)
        self.major, self.minor, self.patch = nums
        self.tf = bool(text) and "tf" in str(text)

    @property
    def tuple(self):
        return (self.major, self.minor, self.patch)

    @property
    def modern(self):
        """tf.keras or Keras 3: Bidirectional forces zero_output_for_mask (see the module docstring)."""
        return self.major >= 3 or self.tf or self.tuple >= (2, 4, 0)

    @property
    def gap_masked(self):
        return self.modern or self.tuple >= (2, 2, 3)


# ---------------------------------------------------------------- reading Keras files

def h5_attr_strings(group, name):
    """A list-of-strings attribute; Keras splits big ones into name0, name1, ..."""
    def dec(v):
        return v.decode("utf8") if isinstance(v, bytes) else str(v)
    if name in group.attrs:
        return [dec(v) for v in group.attrs[name]]
    out, i = [], 0
    while "%s%d" % (name, i) in group.attrs:
        out += [dec(v) for v in group.attrs["%s%d" % (name, i)]]
        i += 1
    return out if i else None


def h5_attr_str(obj, name):
    if name not in obj.attrs:
        return None
    v = obj.attrs[name]
    if isinstance(v, np.ndarray) and v.shape == ():
        v = v[()]
    return v.decode("utf8") if isinstance(v, bytes) else str(v)


def to_snake_case(name):
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


class LayerRef:
    """Where a layer sits: the names of the models enclosing it (outermost
    first) and its own name (Keras 2 weight groups), and its Keras 3 weights
    path (layers/<snake class>[_k]/... per container)."""

    def __init__(self, names, k3path):
        self.names = names
        self.k3path = k3path


class Keras2Weights:
    """tf.keras 2.x / Keras 2.x / Keras 3 legacy .h5 layout: one group per
    top-level layer, attr weight_names giving the order. A nested model's group
    holds all its layers' weights; a layer's share is picked by the layer name
    in the weight names."""

    def __init__(self, group):
        self.group = group
        self.layer_names = h5_attr_strings(group, "layer_names") or []

    def get(self, ref):
        top = ref.names[0]
        if top not in self.group:
            return None if top not in self.layer_names else []
        g = self.group[top]
        names = h5_attr_strings(g, "weight_names") or []
        if len(ref.names) > 1:
            outer = set(ref.names[:-1])
            keep = []
            for n in names:
                comps = n.split("/")
                while len(comps) > 1 and comps[0] in outer:
                    comps = comps[1:]
                if comps[0] == ref.names[-1]:
                    keep.append(n)
            names = keep
        return [(n, np.asarray(g[n], dtype=np.float64)) for n in names]


class Keras3Weights:
    """Keras 3 layout (saving_lib H5IOStore): layers/<snake_case class[_k]>/vars/<i>,
    sub-objects below (Bidirectional forward_layer/backward_layer, RNN cell,
    wrapper layer, nested model layers/...)."""

    def __init__(self, f):
        self.f = f

    @staticmethod
    def vars_of(g):
        if "vars" not in g:
            return []
        v = g["vars"]
        return [(None, np.asarray(v[k], dtype=np.float64)) for k in sorted(v.keys(), key=int)]

    def collect(self, g):
        if "forward_layer" in g:
            return self.collect(g["forward_layer"]) + (self.collect(g["backward_layer"])
                                                       if "backward_layer" in g else [])
        out = self.vars_of(g)
        # MultiHeadAttention: its four EinsumDense sublayers by attribute
        # (keras/src/layers/attention/multi_head_attention.py properties
        # query_dense, key_dense, value_dense, output_dense)
        for sub in ("query_dense", "key_dense", "value_dense", "output_dense"):
            for name in (sub, "_" + sub):
                if name in g:
                    out += self.vars_of(g[name])
                    break
        for sub in ("cell", "layer"):
            if sub in g:
                out += self.collect(g[sub])
        return out

    def get(self, ref):
        if ref.k3path not in self.f:
            return None
        return self.collect(self.f[ref.k3path])


def keras_file(path, config_path=None):
    """(config dict, weights reader, KerasVersion, description) of a Keras file."""
    cfg = None
    if config_path:
        with open(config_path, "rb") as fh:
            cfg = json.loads(fh.read().decode("utf8"))
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
            if "model.weights.h5" not in names:
                raise Refused("%s is a zip without model.weights.h5 (not a Keras 3 .keras file)" % path)
            if cfg is None:
                if "config.json" not in names:
                    raise Refused("%s has no config.json; pass --config" % path)
                cfg = json.loads(z.read("config.json").decode("utf8"))
            meta = json.loads(z.read("metadata.json").decode("utf8")) if "metadata.json" in names else {}
            f = h5py.File(io.BytesIO(z.read("model.weights.h5")), "r")
            # layer assets (saving_lib _save_state: save_assets into
            # assets/<inner path>/), e.g. an adapted TextVectorization's
            # vocabulary.txt; only those files are read
            assets = {n: z.read(n) for n in names
                      if n.startswith("assets/") and n.endswith("/vocabulary.txt")
                      and z.getinfo(n).file_size <= LIMIT_VOCABULARY_BYTES}
        v = KerasVersion(meta.get("keras_version"), 3)
        w = Keras3Weights(f)
        w.assets = assets
        return cfg, w, v, "Keras %s .keras" % meta.get("keras_version", "3")
    try:
        f = h5py.File(path, "r")
    except OSError as e:
        raise Refused("cannot read %s as HDF5: %s" % (path, e))
    version = h5_attr_str(f, "keras_version")
    if "model_config" in f.attrs:
        if cfg is None:
            cfg = json.loads(h5_attr_str(f, "model_config"))
        if "model_weights" not in f:
            raise Refused("%s has a model_config but no model_weights group" % path)
        g = f["model_weights"]
        version = version or h5_attr_str(g, "keras_version")
        return cfg, Keras2Weights(g), KerasVersion(version, 2), "Keras %s model.save h5" % (version or "2")
    if h5_attr_strings(f, "layer_names") is not None:
        if cfg is None:
            raise Refused("%s holds weights only (save_weights); pass the architecture with --config" % path)
        version = version or (cfg.get("keras_version") if isinstance(cfg, dict) else None)
        return cfg, Keras2Weights(f), KerasVersion(version, 2), "Keras %s save_weights h5" % (version or "2")
    if "layers" in f:
        if cfg is None:
            raise Refused("%s holds weights only (Keras 3 .weights.h5); pass the architecture with --config" % path)
        return cfg, Keras3Weights(f), KerasVersion(None, 3), "Keras 3 .weights.h5"
    raise Refused("%s is an HDF5 file but not a Keras model or weights file "
                  "(no model_config, layer_names or layers)" % path)


# ---------------------------------------------------------------- shapes

class Steps:
    """The per-call step count of a graph input (null in its shape) until a
    layer fixes it (an Embedding input_length, an attention step_dim or
    per-step bias)."""

    def __init__(self, input_name):
        self.input_name = input_name
        self.value = None
        self.fixed_by = None


def dim(d):
    """int, or None when known only per call."""
    if isinstance(d, Steps):
        return d.value
    return d


def shape_str(shape):
    return "[%s]" % ", ".join("T" if dim(d) is None else str(dim(d)) for d in shape)


class Value:
    """A tensor of the graph: its reference, per-sample shape, dtype and
    whether a Keras mask travels with it."""

    def __init__(self, ref, shape, dtype="float32", masked=False):
        self.ref, self.shape, self.dtype, self.masked = ref, list(shape), dtype, masked


POISON = Value(None, [], "poison")


# ---------------------------------------------------------------- activations

def act_name(v):
    if v is None:
        return "linear"
    if isinstance(v, dict):
        c = v.get("config")
        if isinstance(c, str):
            return c
        if isinstance(c, dict) and c.get("name"):
            return c["name"]
        return v.get("class_name")
    return v


def activation(v, version, rank, where="activation"):
    """Keras activation (string or serialized function) -> graph activation object."""
    name = act_name(v)
    extra = v.get("config", {}) if isinstance(v, dict) and isinstance(v.get("config"), dict) else {}
    simple = {"linear": "linear", "tanh": "tanh", "sigmoid": "sigmoid", "relu6": "relu6", "selu": "selu",
              "swish": "swish", "silu": "swish", "softplus": "softplus", "softsign": "softsign",
              "exponential": "exponential"}
    if name in simple:
        return {"name": simple[name]}
    if name == "relu":
        return {"name": "relu", "negative_slope": 0.0, "max_value": None, "threshold": 0.0}
    if name == "elu":
        return {"name": "elu", "alpha": 1.0}
    if name == "leaky_relu":  # Keras 3 activation function, default negative_slope 0.2
        return {"name": "leaky_relu", "alpha": float(extra.get("negative_slope", 0.2))}
    if name == "gelu":
        return {"name": "gelu_tanh" if extra.get("approximate") else "gelu"}
    if name == "hard_sigmoid":
        return {"name": "hard_sigmoid_keras3" if version.major >= 3 else "hard_sigmoid_keras2"}
    if name == "softmax":
        return {"name": "softmax", "axis": 1 if rank == 2 else 0}
    raise LayerRefused("%s %r is not supported" % (where, name))


# ---------------------------------------------------------------- conversion

def as_list(v):
    return list(v) if isinstance(v, (list, tuple)) else [v]


def one_int(v, what):
    v = as_list(v)
    if len(v) != 1 or not isinstance(v[0], int):
        raise LayerRefused("%s %r is not one integer" % (what, v))
    return v[0]


def clean_name(name, used):
    n = re.sub(r"[^A-Za-z0-9_.-]", "_", str(name))[:120] or "layer"
    base, k = n, 1
    while n in used:
        n = "%s_%d" % (base, k)
        k += 1
    used.add(n)
    return n


class Converter:
    def __init__(self, weights, version, attention_override=None, preset_steps=None, custom=None, vocabulary=None):
        self.weights = weights
        self.vocabulary_override = vocabulary  # --vocabulary: list of str, or None
        self.tokenizer = None   # the TextVectorization description (dict), when the input has one
        self.text_inputs = {}   # graph input name -> the TextVectorization layer config it feeds
        self.version = version
        self.attention_override = attention_override
        self.custom = dict(custom or {})  # class name -> stated form (--custom)
        self.preset_steps = preset_steps or {}
        self.warnings = []
        self.warn = self.warnings.append
        self.late_checks = []   # outputs with a per-call length outside the steps axis
        self.inputs = []        # graph inputs: {"name", "dtype", "shape"}
        self.layers = []        # graph layer dicts
        self.tensors = {}
        self.layer_tensors = {}  # graph layer name -> its tensor names
        self.used_names = set()
        self.problems = []      # (name, class, why)
        self.steps = []         # Steps of the inputs

    # ---- model configs

    def convert_model(self, cfg):
        if not isinstance(cfg, dict) or "class_name" not in cfg:
            raise Refused("the architecture JSON has no class_name (expected model.to_json() output)")
        if cfg["class_name"] not in MODEL_CLASSES:
            raise Refused("model class %s is not supported (Sequential or functional Model only)"
                          % cfg["class_name"])
        outs = self.model_body(cfg, [], "", None)
        for name, cls, v in self.late_checks:
            if any(dim(d) is None for d in v.shape[1:]):
                self.problems.append((name, cls, "its output %s has a per-call length on its features axis; give "
                                      "the model a fixed input length" % shape_str(v.shape)))
        if self.problems:
            lines = ["layer '%s' (%s): %s" % p for p in self.problems]
            raise Refused("%d layer%s cannot be converted:\n  %s" % (len(lines), "s" if len(lines) > 1 else "",
                                                                    "\n  ".join(lines)))
        return outs

    def model_body(self, cfg, enclosing, k3base, given_inputs):
        """Converts one (possibly nested) model. given_inputs: the outer Values
        feeding a nested model, None for the top level. Returns its output Values."""
        cls = cfg["class_name"]
        c = cfg.get("config")
        if cls == "Sequential":
            layers = c if isinstance(c, list) else (c or {}).get("layers", [])
            c = dict(c) if isinstance(c, dict) else {}
            c["_build_config"] = cfg.get("build_config")  # Keras 3 .keras: {"input_shape": [...]}
            return self.sequential(layers, enclosing, k3base, given_inputs, c)
        return self.functional(c or {}, enclosing, k3base, given_inputs)

    def k3paths(self, layers, k3base):
        used, out = {}, []
        for layer in layers:
            snake = to_snake_case(layer.get("class_name", ""))
            if snake in used:
                used[snake] += 1
                snake = "%s_%d" % (snake, used[snake])
            else:
                used[snake] = 0
            out.append((k3base + "/" if k3base else "") + "layers/" + snake)
        return out

    def sequential(self, layers, enclosing, k3base, given_inputs, c):
        paths = self.k3paths(layers, k3base)
        if not layers:
            raise Refused("the Sequential model has no layers")
        if given_inputs is not None:
            if len(given_inputs) != 1:
                raise Refused("a nested Sequential model receives %d inputs" % len(given_inputs))
            cur = given_inputs[0]
        else:
            first = layers[0]
            fc = first.get("config", {})
            name = fc.get("name") or first.get("name") or "input"
            if first.get("class_name") == "InputLayer":
                cur = self.add_input(name, fc, layers[1] if len(layers) > 1 else None)
            else:
                shape = batch_shape_of(fc) or c.get("build_input_shape") or \
                    (c.get("_build_config") or {}).get("input_shape")
                if shape is None and first.get("class_name") == "Embedding":
                    shape = [None, None]
                if shape is None and first.get("class_name") == "TextVectorization":
                    shape = [None, 1]
                if shape is None:
                    raise Refused("the Sequential model has no InputLayer and its first layer '%s' gives no input "
                                  "shape (batch_input_shape, batch_shape, input_shape or input_dim)" % name)
                cur = self.add_input(name + "_input", dict(fc, batch_input_shape=shape), first)
        for layer, k3 in zip(layers, paths):
            if layer.get("class_name") == "InputLayer":
                continue
            outs = self.layer(layer, [cur], enclosing, k3)
            cur = outs[0] if outs else POISON
        return [cur]

    def functional(self, c, enclosing, k3base, given_inputs):
        layers = c.get("layers", [])
        paths = dict(zip([id(l) for l in layers], self.k3paths(layers, k3base)))
        by_name = {}
        for l in layers:
            by_name[layer_name(l)] = l
        in_refs = normalize_refs(c.get("input_layers"))
        out_refs = normalize_refs(c.get("output_layers"))
        if not out_refs:
            raise Refused("the model config has no output_layers")
        values = {}  # layer name -> [Value per output tensor]
        for i, (name, _, _) in enumerate(in_refs):
            layer = by_name.get(name)
            if layer is None:
                raise Refused("input layer '%s' is not among the model's layers" % name)
            if given_inputs is not None:
                if i >= len(given_inputs):
                    raise Refused("nested model has more inputs than it is called with")
                values[name] = [given_inputs[i]]
            else:
                consumers = [l for l in layers if name in [r[0] for r in inbound_refs(l)[0]]]
                tv = [l for l in consumers if l.get("class_name") == "TextVectorization"]
                if tv and len(consumers) > 1:
                    raise Refused("input '%s' feeds a TextVectorization layer and %d other layer%s: arnn replaces the "
                                  "layer by its tokenizer, so the text input may feed nothing else"
                                  % (name, len(consumers) - 1, "s" if len(consumers) > 2 else ""))
                values[name] = [self.add_input(name, layer.get("config", {}), tv[0] if tv else
                                               consumers[0] if consumers else None,
                                               any(l.get("class_name") == "Embedding" for l in consumers))]
        order = topo_order(layers, by_name)
        for layer in order:
            name = layer.get("name") or layer.get("config", {}).get("name")
            if name in values:
                continue
            if layer.get("class_name") == "InputLayer":
                raise Refused("InputLayer '%s' is not listed in input_layers" % name)
            nodes = layer.get("inbound_nodes") or []
            if len(nodes) > 1:
                self.problems.append((name, layer.get("class_name"),
                                      "is called %d times (a shared layer); arnn runs each layer once, "
                                      "rebuild the model with one layer per call" % len(nodes)))
                values[name] = [POISON] * 8
                continue
            refs, extra = inbound_refs(layer)
            if layer.get("class_name") == "MultiHeadAttention":
                refs, extra = mha_refs(layer, refs, extra)
            ins = []
            for lname, _, t in refs:
                v = values.get(lname)
                ins.append(v[t] if v is not None and t < len(v) else POISON)
            if extra:
                self.problems.append((name, layer.get("class_name"), "is called with tensor arguments %s, which arnn "
                                      "does not support" % ", ".join(sorted(extra))))
                values[name] = [POISON] * 8
                continue
            values[name] = self.layer(layer, ins, enclosing, paths[id(layer)])
        outs = []
        for name, _, t in out_refs:
            v = values.get(name)
            if v is None:
                raise Refused("output layer '%s' is not among the model's layers" % name)
            outs.append(v[t] if t < len(v) else POISON)
        return outs

    def add_input(self, name, lc, next_layer, next_is_embedding=None):
        shape = batch_shape_of(lc)
        if shape is None:
            raise Refused("input '%s' has no shape (batch_input_shape / batch_shape)" % name)
        if next_layer is not None and next_layer.get("class_name") == "TextVectorization":
            return self.add_text_input(name, shape, next_layer)
        dtype = lc.get("dtype")
        dtype = act_name(dtype) if isinstance(dtype, dict) else dtype
        if next_is_embedding is None:
            next_is_embedding = next_layer is not None and next_layer.get("class_name") == "Embedding"
        ids = next_is_embedding or (isinstance(dtype, str) and dtype.startswith("int"))
        per = list(shape[1:])
        gname = clean_name(name, self.used_names)
        if len(self.inputs) >= LIMIT_INPUTS:
            raise Refused("the model has more than %d inputs" % LIMIT_INPUTS)
        if ids:
            if len(per) != 1:
                raise Refused("input '%s' feeds an Embedding but has per-sample shape %s (expected [T])" % (name, per))
        elif len(per) not in (1, 2):
            raise Refused("input '%s' has per-sample shape %s; arnn takes [T, E] or [F]" % (name, per))
        seq = len(per) == 2 or ids
        for d in per[1:] if seq else per:
            if d is None:
                raise Refused("input '%s' has an unknown feature size (shape %s)" % (name, shape))
            if not 1 <= int(d) <= LIMIT_WIDTH:
                raise Refused("input '%s' has %d features (arnn takes 1..%d)" % (name, d, LIMIT_WIDTH))
        if seq:
            st = Steps(gname)
            if per[0] is not None:
                if not 1 <= int(per[0]) <= MAX_STEPS:
                    raise Refused("input '%s' has %d steps (arnn takes 1..%d)" % (name, per[0], MAX_STEPS))
                st.value, st.fixed_by = int(per[0]), "the input shape"
            elif gname in self.preset_steps:
                st.value, st.fixed_by = self.preset_steps[gname]
            self.steps.append(st)
            per[0] = st
        self.inputs.append({"name": gname, "dtype": "ids" if ids else "float32", "shape": per})
        return Value(gname, per, "ids" if ids else "float32")

    def add_text_input(self, name, shape, tv_layer):
        """A string input read by a TextVectorization layer: in the arnn model
        it is the layer's output, token ids [output_sequence_length] (or a
        per-call length), and the layer becomes the model's tokenizer."""
        per = list(shape[1:])
        if per not in ([], [1]):
            raise Refused("input '%s' feeds a TextVectorization layer but has per-sample shape %s (the layer takes "
                          "one string per sample: shape () or (1,))" % (name, per))
        if len(self.inputs) >= LIMIT_INPUTS:
            raise Refused("the model has more than %d inputs" % LIMIT_INPUTS)
        gname = clean_name(name, self.used_names)
        st = Steps(gname)
        osl = (tv_layer.get("config") or {}).get("output_sequence_length")
        if isinstance(osl, int) and not isinstance(osl, bool) and 1 <= osl <= MAX_STEPS:
            st.value, st.fixed_by = osl, "TextVectorization output_sequence_length"
        elif gname in self.preset_steps:
            st.value, st.fixed_by = self.preset_steps[gname]
        self.steps.append(st)
        self.inputs.append({"name": gname, "dtype": "ids", "shape": [st]})
        self.text_inputs[gname] = tv_layer
        return Value(gname, [st], "ids")

    # ---- one layer

    def layer(self, layer, ins, enclosing, k3):
        cls = layer.get("class_name")
        lc = layer.get("config", {}) or {}
        name = lc.get("name") or layer.get("name") or cls
        if cls in MODEL_CLASSES:
            # converted even when its inputs come from a refused layer, so that
            # its own unsupported layers are listed too
            try:
                return self.model_body(layer, enclosing + [name], k3, ins)
            except Refused as e:
                self.problems.append((name, cls, "nested model: %s" % e))
                return [POISON] * 8
        if cls in IDENTITY_LAYERS:
            if len(ins) != 1:
                self.problems.append((name, cls, "has %d inputs" % len(ins)))
                return [POISON]
            self.warn("dropping layer '%s' (%s): identity at inference" % (name, cls))
            return [ins[0]]
        fn = getattr(self, "op_" + cls, None) if cls else None
        if fn is None and cls and not is_builtin(layer) and cls not in ("Lambda", "Merge"):
            stated = self.custom.get(cls)
            fn = lambda ctx: self.custom_attention(ctx, stated)  # noqa: E731
        if fn is None:
            self.problems.append((name, cls, why_unknown(layer)))
            return [POISON] * 8
        gname = clean_name(name, self.used_names)
        ctx = LayerCtx(self, layer, lc, gname, ins, LayerRef(enclosing + [name], k3))
        try:
            outs = fn(ctx)
            for v in outs:
                if any(dim(d) is None for d in v.shape[1:]):
                    self.late_checks.append((name, cls, v))
            return outs
        except Poisoned:
            return [POISON] * 8
        except LayerRefused as e:
            self.problems.append((name, cls, str(e)))
            return [POISON] * 8

    # ---- ops (each returns the layer's output Values)

    def op_TextVectorization(self, x):
        x.one_input()
        v = x.ins[0]
        if v is POISON:
            raise Poisoned()
        if v.ref not in self.text_inputs or self.text_inputs[v.ref] is not x.layer:
            raise LayerRefused("does not read a model input of strings directly (arnn runs it as the model's "
                               "tokenizer, before the model)")
        if self.tokenizer is not None:
            raise LayerRefused("is a second TextVectorization layer (arnn carries one tokenizer per model)")
        self.tokenizer = text_vectorization_description(x.c, self.vocabulary_override,
                                                        getattr(self.weights, "assets", {}), x.ref.k3path)
        return [v]

    def op_Embedding(self, x):
        c = x.c
        x.one_input()
        mask_zero = bool(c.get("mask_zero", False))
        w = x.weights(1)
        x.ready()
        v = x.ins[0]
        if v.dtype != "ids":
            raise LayerRefused("its input is not a token-id input (arnn embeds only the model's ids inputs)")
        E = w[0].shape[1] if w[0].ndim == 2 else None
        if w[0].ndim != 2 or c.get("input_dim", w[0].shape[0]) != w[0].shape[0] or c.get("output_dim", E) != E:
            raise LayerRefused("embeddings weight %s does not match input_dim/output_dim %s/%s"
                               % (w[0].shape, c.get("input_dim"), c.get("output_dim")))
        if w[0].shape[0] > LIMIT_V:
            raise LayerRefused("vocabulary %d exceeds %d" % (w[0].shape[0], LIMIT_V))
        if E > LIMIT_WIDTH:
            raise LayerRefused("embedding size %d exceeds %d" % (E, LIMIT_WIDTH))
        il = c.get("input_length")
        il = il[0] if isinstance(il, list) and il else il
        if il:
            x.fix_steps(v.shape[0], int(il), "Embedding input_length")
        x.emit({"op": "embedding", "mask_zero": mask_zero}, embeddings=w[0])
        return [Value(x.gname, [v.shape[0], E], masked=mask_zero)]

    def op_Masking(self, x):
        x.one_input()
        x.ready()
        v = x.float_input(rank=2)
        x.emit({"op": "masking", "mask_value": float(x.c.get("mask_value", 0.0))})
        return [Value(x.gname, v.shape, masked=True)]

    def rnn_common(self, x, inner_cls, ic, bidirectional, bc=None):
        if inner_cls not in RNN_CLASSES:
            raise LayerRefused("wraps %s; arnn supports LSTM, GRU, SimpleRNN, CuDNNLSTM, CuDNNGRU" % inner_cls)
        for flag in ("return_state", "stateful", "time_major"):
            if ic.get(flag):
                raise LayerRefused("%s has %s=True, which arnn does not support" % (inner_cls, flag))
        cell, G = RNN_CLASSES[inner_cls]
        cudnn = inner_cls.startswith("CuDNN")
        ver = self.version
        if cudnn:
            act = {"name": "tanh"}
            ract = {"name": "sigmoid"}
            reset_after, use_bias = cell == "gru", True
        else:
            act = activation(ic.get("activation", "tanh"), ver, 1, "activation")
            ract = None if cell == "simple" else activation(ic.get("recurrent_activation", "sigmoid"), ver, 1,
                                                            "recurrent_activation")
            for a in (act, ract):
                if a and a["name"] in ("softmax", "prelu"):
                    raise LayerRefused("%s activation %s is not elementwise" % (inner_cls, a["name"]))
            reset_after = bool(ic.get("reset_after", False)) if cell == "gru" else False
            use_bias = bool(ic.get("use_bias", True))
        rs = bool(ic.get("return_sequences", False))
        merge = None
        if bidirectional:
            merge = bc.get("merge_mode", "concat")
            if merge is None:
                raise LayerRefused("Bidirectional merge_mode=None (two separate outputs) is not supported")
            if merge not in ("concat", "sum", "ave", "mul"):
                raise LayerRefused("Bidirectional merge_mode %r is not supported" % merge)
            bl = bc.get("backward_layer")
            if isinstance(bl, dict):
                blc = bl.get("config", {})
                keys = ("units", "activation", "recurrent_activation", "use_bias", "reset_after", "return_sequences")
                if bl.get("class_name") != inner_cls or any(act_name(blc.get(k)) != act_name(ic.get(k))
                                                            for k in keys):
                    raise LayerRefused("its backward_layer differs from the forward layer")
        if bidirectional and rs:
            zero = self.version.modern
        else:
            zero = bool(ic.get("zero_output_for_mask", False)) and self.version.modern
        x.one_input()
        w = x.weights(None)
        x.ready()
        v = x.float_input(rank=2)
        if cudnn and v.masked:
            raise LayerRefused("%s ignores the mask in Keras (it runs cuDNN without one) while arnn would apply it; "
                               "retrain with LSTM/GRU or without the mask" % inner_cls)
        F = x.features(v)
        ndir = 2 if bidirectional else 1
        per = len(w) // ndir if w else 0
        if len(w) % ndir or per not in (2, 3) or (per == 2 and use_bias) or (per == 3 and not use_bias):
            raise LayerRefused("expected %d x %d weights (kernel, recurrent_kernel%s), found %d"
                               % (ndir, 3 if use_bias else 2, ", bias" if use_bias else "", len(w)))
        H = None
        params = {}
        for d in range(ndir):
            side = ("forward", "backward")[d]
            ws = w[d * per:(d + 1) * per]
            k, rk = ws[0], ws[1]
            if rk.ndim != 2 or rk.shape[1] != G * rk.shape[0]:
                raise LayerRefused("%s recurrent_kernel has shape %s, expected [H, %dH]" % (side, rk.shape, G))
            h = rk.shape[0]
            if H is not None and h != H:
                raise LayerRefused("forward and backward layers have different sizes")
            H = h
            if ic.get("units", H) != H:
                raise LayerRefused("units %s does not match the weights (H=%d)" % (ic.get("units"), H))
            if H > LIMIT_UNITS:
                raise LayerRefused("units %d exceed %d" % (H, LIMIT_UNITS))
            if k.shape != (F, G * H):
                raise LayerRefused("%s kernel has shape %s, expected [%d, %d]" % (side, k.shape, F, G * H))
            b = ws[2] if per == 3 else None
            if cudnn:
                if b is None or b.shape != (2 * G * H,):
                    raise LayerRefused("%s CuDNN bias has shape %s, expected [%d]"
                                       % (side, None if b is None else b.shape, 2 * G * H))
                k, rk, b = cudnn_to_plain(k, rk, b, G)
            elif b is not None:
                want = (2, G * H) if reset_after else (G * H,)
                if b.shape != want:
                    raise LayerRefused("%s bias has shape %s, expected %s" % (side, b.shape, list(want)))
            pre = side + "/" if bidirectional else "forward/"
            params[pre + "kernel"] = k
            params[pre + "recurrent_kernel"] = rk
            if b is not None:
                params[pre + "bias"] = b
        out_f = 2 * H if merge == "concat" else H
        x.emit({"op": "rnn", "cell": cell, "units": H, "bidirectional": bidirectional, "merge_mode": merge,
                "return_sequences": rs, "go_backwards": bool(ic.get("go_backwards", False)),
                "activation": act, "recurrent_activation": ract, "reset_after": reset_after, "use_bias": use_bias,
                "zero_output_for_mask": zero}, **params)
        if rs:
            return [Value(x.gname, [v.shape[0], out_f], masked=v.masked)]
        return [Value(x.gname, [out_f])]

    def op_rnn(self, x):
        return self.rnn_common(x, x.cls, x.c, False)

    op_LSTM = op_GRU = op_SimpleRNN = op_CuDNNLSTM = op_CuDNNGRU = op_rnn

    def op_Bidirectional(self, x):
        inner = x.c.get("layer")
        if not isinstance(inner, dict) or "class_name" not in inner:
            raise LayerRefused("has no wrapped layer in its config")
        return self.rnn_common(x, inner["class_name"], inner.get("config", {}), True, x.c)

    def op_Conv1D(self, x):
        c = x.c
        if c.get("data_format", "channels_last") not in ("channels_last", None):
            raise LayerRefused("data_format %r is not supported (channels_last only)" % c.get("data_format"))
        if int(c.get("groups", 1) or 1) != 1:
            raise LayerRefused("groups=%s is not supported (groups=1 only)" % c.get("groups"))
        pad = c.get("padding", "valid")
        if pad not in ("valid", "same", "causal"):
            raise LayerRefused("padding %r is not supported" % pad)
        k = one_int(c.get("kernel_size"), "kernel_size")
        s = one_int(c.get("strides", 1), "strides")
        d = one_int(c.get("dilation_rate", 1), "dilation_rate")
        if s != 1 and d != 1:
            raise LayerRefused("strides > 1 together with dilation_rate > 1 is not supported (Keras refuses it too)")
        x.one_input()
        w = x.weights(None)
        x.ready()
        v = x.float_input(rank=2)
        F = x.features(v)
        act = x.activation(c.get("activation"), 2)
        use_bias = bool(c.get("use_bias", True))
        filters = c.get("filters")
        if len(w) != (2 if use_bias else 1) or w[0].shape != (k, F, filters if filters else w[0].shape[-1]):
            raise LayerRefused("expected kernel [%d, %d, filters]%s, found %s"
                               % (k, F, " and bias" if use_bias else "", [list(a.shape) for a in w]))
        Fo = w[0].shape[2]
        if Fo > LIMIT_WIDTH:
            raise LayerRefused("filters %d exceed %d" % (Fo, LIMIT_WIDTH))
        params = {"kernel": w[0]}
        if use_bias:
            if w[1].shape != (Fo,):
                raise LayerRefused("bias has shape %s, expected [%d]" % (list(w[1].shape), Fo))
            params["bias"] = w[1]
        T = dim(v.shape[0])
        if pad == "valid":
            To = None if T is None else (T - d * (k - 1) - 1) // s + 1
        else:
            To = None if T is None else (T + s - 1) // s
        if To is not None and To < 1:
            raise LayerRefused("input of %d steps is too short for kernel %d, dilation %d" % (T, k, d))
        if To is None and pad != "valid" and s == 1:
            To = v.shape[0]  # same/causal with stride 1 keep the input's steps
        x.emit({"op": "conv1d", "filters": Fo, "kernel_size": k, "strides": s, "padding": pad, "dilation_rate": d,
                "activation": act, "use_bias": use_bias}, **params)
        return [Value(x.gname, [To, Fo])]

    def pool(self, x, mode):
        c = x.c
        if c.get("data_format", "channels_last") not in ("channels_last", None):
            raise LayerRefused("data_format %r is not supported (channels_last only)" % c.get("data_format"))
        p = one_int(c.get("pool_size", 2), "pool_size")
        s = c.get("strides")
        s = p if s is None else one_int(s, "strides")
        pad = c.get("padding", "valid")
        if pad not in ("valid", "same"):
            raise LayerRefused("padding %r is not supported" % pad)
        x.one_input()
        x.ready()
        v = x.float_input(rank=2)
        T = dim(v.shape[0])
        if T is None:
            To = None
        elif pad == "valid":
            To = (T - p) // s + 1
        else:
            To = (T + s - 1) // s
        if To is not None and To < 1:
            raise LayerRefused("input of %d steps is shorter than pool_size %d" % (T, p))
        x.emit({"op": "pool1d", "mode": mode, "pool_size": p, "strides": s, "padding": pad})
        return [Value(x.gname, [To, v.shape[1]])]

    def op_MaxPooling1D(self, x):
        return self.pool(x, "max")

    def op_AveragePooling1D(self, x):
        return self.pool(x, "avg")

    op_MaxPool1D, op_AvgPool1D = op_MaxPooling1D, op_AveragePooling1D

    def global_pool(self, x, mode):
        c = x.c
        if c.get("keepdims"):
            raise LayerRefused("keepdims=True is not supported")
        if c.get("data_format", "channels_last") not in ("channels_last", None):
            raise LayerRefused("data_format %r is not supported (channels_last only)" % c.get("data_format"))
        x.one_input()
        x.ready()
        v = x.float_input(rank=2)
        masked = mode == "avg" and self.version.gap_masked
        x.emit({"op": "global_pool1d", "mode": mode, "masked": masked})
        return [Value(x.gname, [v.shape[1]])]

    def op_GlobalMaxPooling1D(self, x):
        return self.global_pool(x, "max")

    def op_GlobalAveragePooling1D(self, x):
        return self.global_pool(x, "avg")

    op_GlobalMaxPool1D, op_GlobalAvgPool1D = op_GlobalMaxPooling1D, op_GlobalAveragePooling1D

    def op_Flatten(self, x):
        if x.c.get("data_format", "channels_last") not in ("channels_last", None):
            raise LayerRefused("data_format %r is not supported" % x.c.get("data_format"))
        x.one_input()
        x.ready()
        v = x.float_input()
        n = 1
        for d in v.shape:
            if dim(d) is None:
                raise LayerRefused("flattens %s, whose steps are known only per call (give the model a fixed "
                                   "input length)" % shape_str(v.shape))
            n *= dim(d)
        x.emit({"op": "flatten"})
        return [Value(x.gname, [n])]

    def op_Reshape(self, x):
        target = [int(t) for t in as_list(x.c.get("target_shape"))]
        if len(target) not in (1, 2) or sum(1 for t in target if t == -1) > 1 or any(t == 0 or t < -1
                                                                                     for t in target):
            raise LayerRefused("target_shape %s is not supported (1 or 2 dimensions, at most one -1)" % target)
        x.one_input()
        x.ready()
        v = x.float_input()
        n = 1
        for d in v.shape:
            if dim(d) is None:
                raise LayerRefused("reshapes %s, whose steps are known only per call" % shape_str(v.shape))
            n *= dim(d)
        known = 1
        for t in target:
            if t != -1:
                known *= t
        out = [n // known if t == -1 else t for t in target]
        if n % known or int(np.prod(out)) != n:
            raise LayerRefused("cannot reshape %s to %s" % (shape_str(v.shape), target))
        x.emit({"op": "reshape", "target_shape": target})
        return [Value(x.gname, out)]

    def op_Permute(self, x):
        dims = [int(t) for t in as_list(x.c.get("dims"))]
        x.one_input()
        x.ready()
        v = x.float_input()
        if sorted(dims) != list(range(1, len(v.shape) + 1)):
            raise LayerRefused("dims %s do not permute a value of shape %s" % (dims, shape_str(v.shape)))
        if dims == [2, 1]:
            x.emit({"op": "permute", "dims": [1, 0]})
            return [Value(x.gname, [v.shape[1], v.shape[0]])]
        # identity permutation: a reshape to the same shape (drops the mask as Permute does)
        x.emit({"op": "reshape", "target_shape": [dim(d) if dim(d) is not None else -1 for d in v.shape]})
        return [Value(x.gname, v.shape)]

    def op_RepeatVector(self, x):
        n = int(x.c.get("n"))
        x.one_input()
        x.ready()
        v = x.float_input(rank=1)
        if n < 1 or n > MAX_STEPS:
            raise LayerRefused("n=%d outside 1..%d" % (n, MAX_STEPS))
        x.emit({"op": "repeat_vector", "n": n})
        return [Value(x.gname, [n, v.shape[0]])]

    def dense(self, x, c, v):
        act = x.activation(c.get("activation"), len(v.shape))
        use_bias = bool(c.get("use_bias", True))
        w = x.weights(None)
        F = x.features(v)
        if len(w) != (2 if use_bias else 1) or w[0].ndim != 2 or w[0].shape[0] != F:
            raise LayerRefused("expected kernel [%d, units]%s, found %s" % (F, " and bias" if use_bias else "",
                                                                           [list(a.shape) for a in w]))
        units = w[0].shape[1]
        if units > LIMIT_WIDTH:
            raise LayerRefused("units %d exceed %d" % (units, LIMIT_WIDTH))
        if c.get("units", units) != units:
            raise LayerRefused("units %s does not match the kernel %s" % (c.get("units"), list(w[0].shape)))
        params = {"kernel": w[0]}
        if use_bias:
            if w[1].shape != (units,):
                raise LayerRefused("bias has shape %s, expected [%d]" % (list(w[1].shape), units))
            params["bias"] = w[1]
        x.emit({"op": "dense", "units": units, "activation": act, "use_bias": use_bias}, **params)
        return [Value(x.gname, list(v.shape[:-1]) + [units], masked=v.masked)]

    def op_Dense(self, x):
        x.one_input()
        x.ready()
        return self.dense(x, x.c, x.float_input())

    def op_TimeDistributed(self, x):
        inner = x.c.get("layer")
        if not isinstance(inner, dict) or inner.get("class_name") != "Dense":
            raise LayerRefused("wraps %s; arnn supports TimeDistributed(Dense) only"
                               % (inner.get("class_name") if isinstance(inner, dict) else None))
        x.one_input()
        x.ready()
        return self.dense(x, inner.get("config", {}), x.float_input(rank=2))

    def activation_layer(self, x, act):
        x.ready()
        v = x.float_input()
        x.emit({"op": "activation", "activation": act})
        return [Value(x.gname, v.shape, masked=v.masked)]

    def op_Activation(self, x):
        x.one_input()
        x.ready()
        return self.activation_layer(x, x.activation(x.c.get("activation"), len(x.float_input().shape)))

    def op_ReLU(self, x):
        c = x.c
        mv = c.get("max_value")
        act = {"name": "relu", "negative_slope": float(c.get("negative_slope", 0.0) or 0.0),
               "max_value": None if mv is None else float(mv), "threshold": float(c.get("threshold", 0.0) or 0.0)}
        x.one_input()
        return self.activation_layer(x, act)

    def op_LeakyReLU(self, x):
        c = x.c
        alpha = c.get("negative_slope", c.get("alpha", 0.3))
        x.one_input()
        return self.activation_layer(x, {"name": "leaky_relu", "alpha": float(alpha)})

    def op_ELU(self, x):
        x.one_input()
        return self.activation_layer(x, {"name": "elu", "alpha": float(x.c.get("alpha", 1.0))})

    def op_Softmax(self, x):
        axis = x.c.get("axis", -1)
        if isinstance(axis, list):
            if len(axis) != 1:
                raise LayerRefused("softmax over several axes %s is not supported" % axis)
            axis = axis[0]
        x.one_input()
        x.ready()
        v = x.float_input()
        r = len(v.shape)
        a = axis if axis < 0 else axis - 1  # Keras counts the batch axis
        a = a + r if a < 0 else a
        if not 0 <= a < r:
            raise LayerRefused("axis %s outside a value of shape %s" % (axis, shape_str(v.shape)))
        return self.activation_layer(x, {"name": "softmax", "axis": a})

    def op_PReLU(self, x):
        shared = [int(a) for a in as_list(x.c.get("shared_axes"))] if x.c.get("shared_axes") else []
        x.one_input()
        w = x.weights(1)
        x.ready()
        v = x.float_input()
        full = []
        for d in v.shape:
            if dim(d) is None:
                raise LayerRefused("needs a fixed number of steps (its alpha is per step)")
            full.append(dim(d))
        alpha = w[0]
        want = [1 if (i + 1) in shared else n for i, n in enumerate(full)]
        if list(alpha.shape) != want:
            raise LayerRefused("alpha has shape %s, expected %s" % (list(alpha.shape), want))
        x.emit({"op": "activation", "activation": {"name": "prelu"}}, alpha=np.broadcast_to(alpha, full).copy())
        return [Value(x.gname, v.shape, masked=v.masked)]

    def last_axis(self, x, v):
        axis = x.c.get("axis", -1)
        axes = as_list(axis)
        r = len(v.shape) + 1  # with the batch axis
        if len(axes) != 1 or axes[0] not in (-1, r - 1):
            raise LayerRefused("axis %s is not the last axis (arnn normalizes over the features only)" % axis)

    def op_BatchNormalization(self, x):
        c = x.c
        x.one_input()
        w = x.named_weights()
        x.ready()
        v = x.float_input()
        self.last_axis(x, v)
        F = x.features(v)
        scale, center = bool(c.get("scale", True)), bool(c.get("center", True))
        order = (["gamma"] if scale else []) + (["beta"] if center else []) + ["moving_mean", "moving_variance"]
        got = pick_named(w, order)
        if any(a.shape != (F,) for a in got.values()):
            raise LayerRefused("weights %s do not all have shape [%d]" % ({k: list(a.shape) for k, a in got.items()},
                                                                          F))
        got.setdefault("gamma", np.ones(F))
        got.setdefault("beta", np.zeros(F))
        x.emit({"op": "batch_norm", "epsilon": float(c.get("epsilon", 1e-3))}, **got)
        return [Value(x.gname, v.shape, masked=v.masked)]

    def op_LayerNormalization(self, x):
        c = x.c
        if c.get("rms_scaling"):
            raise LayerRefused("rms_scaling=True is not supported")
        x.one_input()
        w = x.named_weights()
        x.ready()
        v = x.float_input()
        self.last_axis(x, v)
        F = x.features(v)
        scale, center = bool(c.get("scale", True)), bool(c.get("center", True))
        got = pick_named(w, (["gamma"] if scale else []) + (["beta"] if center else []))
        if any(a.shape != (F,) for a in got.values()):
            raise LayerRefused("weights do not have shape [%d]" % F)
        got.setdefault("gamma", np.ones(F))
        got.setdefault("beta", np.zeros(F))
        x.emit({"op": "layer_norm", "epsilon": float(c.get("epsilon", 1e-3))}, **got)
        return [Value(x.gname, v.shape, masked=v.masked)]

    def merge(self, x, mode):
        if len(x.ins) < 2:
            raise LayerRefused("needs at least 2 inputs, has %d" % len(x.ins))
        if mode == "subtract" and len(x.ins) != 2:
            raise LayerRefused("Subtract needs exactly 2 inputs")
        x.ready()
        vs = [x.float_input(i) for i in range(len(x.ins))]
        r = len(vs[0].shape)
        if any(len(v.shape) != r for v in vs):
            raise LayerRefused("inputs of different ranks %s" % [shape_str(v.shape) for v in vs])
        masked = any(v.masked for v in vs)
        if mode != "concat":
            for v in vs[1:]:
                if [dim(d) for d in v.shape] != [dim(d) for d in vs[0].shape]:
                    raise LayerRefused("inputs of different shapes %s (arnn does not broadcast)"
                                       % [shape_str(v.shape) for v in vs])
            x.emit({"op": "merge", "mode": mode, "axis": None})
            return [Value(x.gname, vs[0].shape, masked=masked)]
        axis = int(x.c.get("axis", -1))
        a = axis - 1 if axis > 0 else axis + r
        if not 0 <= a < r:
            raise LayerRefused("axis %d outside values of shape %s" % (axis, shape_str(vs[0].shape)))
        out = list(vs[0].shape)
        total = 0
        for v in vs:
            for i in range(r):
                if i != a and dim(v.shape[i]) != dim(out[i]):
                    raise LayerRefused("inputs %s differ outside the concatenation axis"
                                       % [shape_str(u.shape) for u in vs])
            n = dim(v.shape[a])
            total = None if total is None or n is None else total + n
        out[a] = total
        if a == 0 and masked:
            raise LayerRefused("concatenates masked values along the steps axis, which arnn does not support")
        x.emit({"op": "merge", "mode": "concat", "axis": a})
        return [Value(x.gname, out, masked=masked)]

    def op_merge(self, x):
        return self.merge(x, MERGE_CLASSES[x.cls])

    op_Concatenate = op_Add = op_Subtract = op_Multiply = op_Average = op_Maximum = op_Minimum = op_merge

    def op_Dot(self, x):
        if len(x.ins) != 2:
            raise LayerRefused("needs 2 inputs, has %d" % len(x.ins))
        x.ready()
        a, b = x.float_input(0), x.float_input(1)
        axes = x.c.get("axes", -1)
        axes = [axes, axes] if isinstance(axes, int) else [int(t) for t in axes]
        per = []
        for ax, v in zip(axes, (a, b)):
            r = len(v.shape)
            p = ax - 1 if ax > 0 else ax + r
            if not 0 <= p < r:
                raise LayerRefused("axes %s outside the inputs' shapes" % axes)
            per.append(p)
        if dim(a.shape[per[0]]) is None or dim(a.shape[per[0]]) != dim(b.shape[per[1]]):
            raise LayerRefused("contracted dimensions %s and %s differ or are not fixed"
                               % (shape_str(a.shape), shape_str(b.shape)))
        out = [d for i, d in enumerate(a.shape) if i != per[0]] + [d for i, d in enumerate(b.shape) if i != per[1]]
        if not out:
            out = [1]
        if len(out) > 2:
            raise LayerRefused("output rank %d is not supported" % len(out))
        if any(dim(d) is None for d in out[1:]) or (len(out) == 2 and dim(out[0]) is None
                                                      and not isinstance(out[0], Steps)):
            raise LayerRefused("output shape %s is not fixed" % shape_str(out))
        x.emit({"op": "dot", "axes": per, "normalize": bool(x.c.get("normalize", False))})
        return [Value(x.gname, out)]

    # ---- attention

    @staticmethod
    def keras_builtin(layer):
        return bool(re.match(r"(keras|tf_keras|tensorflow)(\.|$)", layer.get("module") or ""))

    def op_Attention(self, x):
        """Keras' dot-product Attention, or a custom layer named Attention
        (the TextAttBiRNN / seed-003 attention pooling): the built-in one is
        recognised by its module (Keras 3) or its config keys (every Keras
        Attention's get_config writes use_scale)."""
        c = x.c
        if self.keras_builtin(x.layer) or any(k in c for k in ("use_scale", "score_mode", "causal")):
            if len(x.ins) not in (2, 3):
                raise LayerRefused("Keras's built-in dot-product Attention needs [query, value] or [query, value, "
                                   "key]; it is called with %d input" % len(x.ins))
            return self.dense_attention(x, "dot")
        if x.cls in self.custom:
            return self.custom_attention(x, self.custom[x.cls])
        if len(x.ins) != 1:
            raise LayerRefused("custom class Attention called on %d inputs is neither the attention pooling (one "
                               "input) nor Keras's Attention (no use_scale in its config)" % len(x.ins))
        w = x.weights(None)
        x.ready()
        v = x.float_input(rank=2)
        return self.attention_pool(x, w, v, None)

    def op_AdditiveAttention(self, x):
        if len(x.ins) not in (2, 3):
            raise LayerRefused("needs [query, value] or [query, value, key]; it is called with %d input"
                               % len(x.ins))
        return self.dense_attention(x, "additive")

    def call_flags(self, x):
        """(causal, return_scores) of an attention layer: the `causal`
        constructor argument of tf.keras <= 2.9 (base_dense_attention.py
        BaseDenseAttention.__init__; tf.keras 2.10+ still pops it from the
        kwargs), and the call's use_causal_mask / return_attention_scores as
        recorded in its inbound node (Keras 2: the kwargs dict of each entry;
        Keras 3: the node's "kwargs")."""
        kw = call_kwargs(x.layer)
        for k in ("use_causal_mask", "return_attention_scores"):
            if k in kw and not isinstance(kw[k], (bool, type(None))):
                raise LayerRefused("call argument %s=%r is not a constant boolean" % (k, kw[k]))
        return bool(x.c.get("causal")) or bool(kw.get("use_causal_mask")), bool(kw.get("return_attention_scores"))

    def dense_attention(self, x, kind):
        """Keras Attention (kind "dot") and AdditiveAttention ("additive"):
        keras/src/layers/attention/attention.py (Keras 3) and
        keras/layers/attention/{attention,additive_attention,base_dense_attention}.py
        (tf.keras 2). Weights in build() order: `scale` (shape () for
        Attention, [dim] for AdditiveAttention) if use_scale, then
        `concat_score_weight` (shape ()) for score_mode concat."""
        c = x.c
        score_mode = c.get("score_mode", "dot") if kind == "dot" else None
        if kind == "dot" and score_mode not in ("dot", "concat"):
            raise LayerRefused("score_mode %r is not supported (dot, concat)" % score_mode)
        use_scale = bool(c.get("use_scale", kind == "additive"))
        causal, scores = self.call_flags(x)
        w = x.weights_or_none()
        x.ready()
        q, v = x.float_input(0, rank=2), x.float_input(1, rank=2)
        k = x.float_input(2, rank=2) if len(x.ins) > 2 else v
        Dq, Dv, Dk = x.features(q), x.features(v), x.features(k)
        if Dq != Dk:
            raise LayerRefused("query features %d and key features %d differ (Keras needs them equal)" % (Dq, Dk))
        if len(x.ins) > 2 and k.masked and not v.masked:
            # Keras reads mask[0] and mask[1] only (the key's mask is ignored);
            # the op hides the keys the key's mask hides
            raise LayerRefused("its key input carries a mask and its value does not: Keras ignores the key's mask, "
                               "arnn would apply it")
        if len(x.ins) > 2 and dim(k.shape[0]) != dim(v.shape[0]):
            raise LayerRefused("value %s and key %s have different steps" % (shape_str(v.shape), shape_str(k.shape)))
        names = (["scale"] if use_scale else []) + (["concat_score_weight"] if score_mode == "concat" else [])
        want = {"scale": (Dq,) if kind == "additive" else (), "concat_score_weight": ()}
        if len(w) != len(names) or any((a.shape != (Dq,)) if kind == "additive" else (a.size != 1)
                                       for a in w):
            raise LayerRefused("expected weights %s, found %s" % (
                ", ".join("%s %s" % (n, list(want[n])) for n in names) or "none", [list(a.shape) for a in w]))
        params = {}
        for n, a in zip(names, w):
            params[n] = a.reshape(-1) if kind == "additive" else a.reshape(1)
        if kind == "dot":
            x.emit({"op": "dot_attention", "score_mode": score_mode, "use_scale": use_scale, "causal": causal,
                    "return_scores": scores}, **params)
        else:
            x.emit({"op": "additive_attention", "use_scale": use_scale, "causal": causal, "return_scores": scores},
                   **params)
        outs = [Value(x.gname, [q.shape[0], Dv], masked=q.masked)]
        if scores:
            outs.append(Value(x.gname + ":1", [q.shape[0], v.shape[0]]))
        return outs

    def op_MultiHeadAttention(self, x):
        """keras/src/layers/attention/multi_head_attention.py (Keras 3) and
        keras/layers/attention/multi_head_attention.py (tf.keras 2): four
        EinsumDense projections built with _build_proj_equation: query
        "abc,cde->abde" kernel [Dq, h, dk] bias [h, dk]; key [Dk, h, dk];
        value [Dv, h, dv]; attention_output "abcd,cde->abe" kernel
        [h, dv, output] bias [output]; weights in that order (q, k, v, output;
        kernel then bias)."""
        c = x.c
        try:
            h, dk = int(c["num_heads"]), int(c["key_dim"])
            dv = int(c.get("value_dim") or dk)
        except (KeyError, TypeError, ValueError):
            raise LayerRefused("num_heads/key_dim/value_dim %r/%r/%r are not integers"
                               % (c.get("num_heads"), c.get("key_dim"), c.get("value_dim")))
        if min(h, dk, dv) < 1 or max(h * dk, h * dv) > LIMIT_WIDTH:
            raise LayerRefused("num_heads %d x key_dim %d / value_dim %d outside 1..%d" % (h, dk, dv, LIMIT_WIDTH))
        use_bias = bool(c.get("use_bias", True))
        axes = c.get("attention_axes")
        if axes is not None and [int(a) for a in as_list(axes)] not in ([1], [-2]):
            raise LayerRefused("attention_axes %s: arnn attends over the steps axis only (None, 1 or -2)" % (axes,))
        oshape = c.get("output_shape")
        if oshape is not None and oshape != []:
            oshape = as_list(oshape)
            if len(oshape) != 1 or not isinstance(oshape[0], int):
                raise LayerRefused("output_shape %s: only one output feature size is supported" % (c["output_shape"],))
        else:
            oshape = None
        if len(x.ins) not in (2, 3):
            raise LayerRefused("needs query and value (and optionally key); it is called with %d tensor%s"
                               % (len(x.ins), "" if len(x.ins) == 1 else "s"))
        causal, scores = self.call_flags(x)
        w = x.named_weights()
        x.ready()
        q, v = x.float_input(0, rank=2), x.float_input(1, rank=2)
        k = x.float_input(2, rank=2) if len(x.ins) > 2 else v
        if len(x.ins) > 2 and dim(k.shape[0]) != dim(v.shape[0]):
            raise LayerRefused("value %s and key %s have different steps" % (shape_str(v.shape), shape_str(k.shape)))
        Dq, Dv, Dk = x.features(q), x.features(v), x.features(k)
        Do = oshape[0] if oshape else Dq
        order = ["query/kernel", "query/bias", "key/kernel", "key/bias", "value/kernel", "value/bias",
                 "output/kernel", "output/bias"]
        if not use_bias:
            order = [n for n in order if n.endswith("kernel")]
        if len(w) != len(order):
            raise LayerRefused("expected %d weights (%s), found %d" % (len(order), ", ".join(order), len(w)))
        if all(n for n, _ in w):
            # Keras 2 names: <mha>/query/kernel:0 ... <mha>/attention_output/bias:0
            rank = {"query": 0, "key": 1, "value": 2, "attention_output": 3, "output": 3}
            def key_of(item):
                parts = re.sub(r":\d+$", "", item[0]).split("/")
                return rank.get(parts[-2], 9) if len(parts) >= 2 else 9
            if all(key_of(i) < 9 for i in w):
                w = sorted(w, key=key_of)  # stable: kernel stays before bias
        arrays = [a for _, a in w]
        want = {"query/kernel": (Dq, h, dk), "query/bias": (h, dk), "key/kernel": (Dk, h, dk), "key/bias": (h, dk),
                "value/kernel": (Dv, h, dv), "value/bias": (h, dv), "output/kernel": (h, dv, Do),
                "output/bias": (Do,)}
        bad = [(n, list(a.shape), list(want[n])) for n, a in zip(order, arrays) if a.shape != want[n]]
        if bad:
            raise LayerRefused("weights do not match num_heads %d, key_dim %d, value_dim %d: %s" % (
                h, dk, dv, "; ".join("%s %s, expected %s" % b for b in bad)))
        if Do > LIMIT_WIDTH:
            raise LayerRefused("output_shape %d exceeds %d" % (Do, LIMIT_WIDTH))
        # A query row with no visible key (a masked query, or every key hidden):
        # the Softmax layer of _masked_softmax adds -1e9 (tf.keras 2, Keras 3
        # before 3.10: uniform weights); Keras 3.10's Softmax multiplies its
        # result by the mask (zero weights). Without return_attention_scores
        # Keras 3 takes ops.dot_product_attention instead (masked logits
        # replaced by a large negative number: uniform).
        zero = self.version.major >= 3 and self.version.tuple >= (3, 10, 0) and scores
        x.emit({"op": "mha", "num_heads": h, "key_dim": dk, "value_dim": dv, "use_bias": use_bias, "output_dim": Do,
                "causal": causal, "return_scores": scores, "empty_rows": "zero" if zero else "uniform"},
               **dict(zip(order, arrays)))
        outs = [Value(x.gname, [q.shape[0], Do], masked=q.masked)]
        if scores:
            Tq = dim(q.shape[0])
            outs.append(Value(x.gname + ":1", [None if Tq is None else h * Tq, v.shape[0]]))
        return outs

    def attention_pool(self, x, w, v, form):
        """The TextAttBiRNN attention pooling (eps form, W [F]) and the seed-003
        layer (softmax form, W [F, 1]): e = tanh(x W + b), weights over the
        steps, context = sum a_t x_t. form: stated with --custom, else from
        the weight shapes (or --attention)."""
        c = x.c
        F = x.features(v)
        if len(w) not in (1, 2):
            raise LayerRefused("expected weights W and optionally b, found %d" % len(w))
        if "bias" in c and bool(c["bias"]) != (len(w) == 2):
            raise LayerRefused("config bias=%s but the file has %d weights" % (c["bias"], len(w)))
        W = w[0]
        seed003 = W.ndim == 2
        if W.ndim == 2 and W.shape[1] == 1:
            W = W[:, 0]
        if W.shape != (F,):
            raise LayerRefused("W has shape %s, expected [%d] (or [%d, 1])" % (list(w[0].shape), F, F))
        params = {"weight": W}
        if c.get("step_dim") is not None:
            x.fix_steps(v.shape[0], int(c["step_dim"]), "Attention step_dim")
        if len(w) == 2:
            b = w[1]
            if b.ndim == 2 and b.shape[1] == 1:
                b = b[:, 0]
            if b.ndim != 1:
                raise LayerRefused("b has shape %s, expected [T]" % (list(w[1].shape),))
            x.fix_steps(v.shape[0], b.shape[0], "the attention bias length")
            params["bias"] = b
        form = form or self.attention_override or ("softmax" if seed003 else "eps")
        if form == "softmax" and v.masked:
            raise LayerRefused("the softmax form of attention pooling does not support masking, but a mask reaches it "
                               "(Keras itself cannot run this model)")
        x.emit({"op": "attention_pool", "form": form, "epsilon": 1e-07, "bias": len(w) == 2}, **params)
        return [Value(x.gname, [v.shape[1]]), Value(x.gname + ":1", [v.shape[0]])]

    def context_attention(self, x, w, v, form):
        """The hierarchical-attention pooling (docs/custom-attention.md):
        u_t = tanh(x_t W + b), e_t = u_t . u, a = softmax(e) or the eps form
        exp(e) m / (sum exp(e) m + 1e-7); weights W [F, A], b [A] (optional),
        u [A] or [A, 1], in the classes' build() order W, b, u."""
        F = x.features(v)
        fit = fit_context(w, F)
        if fit is None:
            raise LayerRefused("weights %s do not fit the context form (W [%d, A], optional b [A], u [A] or [A, 1])"
                               % ([list(a.shape) for a in w], F))
        W, b, u = fit
        if "bias" in x.c and bool(x.c["bias"]) != (b is not None):
            raise LayerRefused("config bias=%s but the file has %d weights" % (x.c["bias"], len(w)))
        params = {"kernel": W}
        if b is not None:
            params["bias"] = b
        params["context"] = u
        x.emit({"op": "context_attention", "form": "eps" if form == "context-eps" else "softmax", "epsilon": 1e-07,
                "use_bias": b is not None}, **params)
        return [Value(x.gname, [v.shape[1]]), Value(x.gname + ":1", [v.shape[0]])]

    def custom_attention(self, x, stated):
        """A custom class (not a Keras layer): one of the attention forms of
        docs/custom-attention.md when its name and weight shapes say so (or
        --custom states the form), else refused by name."""
        form = stated or CONTEXT_CLASSES.get(x.cls)
        w = x.weights_or_none()
        if form is None:
            if len(x.ins) != 1 or not w:
                raise LayerRefused(why_unknown(x.layer))
            if x.ins[0] is POISON:
                n = w[0].shape[0]
                if fit_pool(w, n) or fit_context(w, n):
                    raise Poisoned()
                raise LayerRefused(why_unknown(x.layer))
        x.one_input()
        x.ready()
        v = x.float_input(rank=2)
        F = x.features(v)
        form = stated or CONTEXT_CLASSES.get(x.cls)
        if form in ("eps", "softmax"):
            return self.attention_pool(x, w, v, form if stated else None)
        if form in ("context-eps", "context-softmax"):
            return self.context_attention(x, w, v, form)
        if fit_pool(w, F):
            taken = self.attention_override or ("softmax" if w[0].ndim == 2 else "eps")
            self.warn("layer '%s': custom class %s has the weights of the attention pooling (W %s%s); converted as "
                      "its %s form (docs/custom-attention.md; --custom %s=FORM states it)"
                      % (x.gname, x.cls, list(w[0].shape), ", b %s" % list(w[1].shape) if len(w) > 1 else "", taken,
                         x.cls))
            return self.attention_pool(x, w, v, None)
        if fit_context(w, F):
            raise LayerRefused("custom class %s has the weights of the hierarchical-attention form (W %s ...) but its "
                               "name does not say how it normalises: state it with --custom %s=context-softmax or "
                               "--custom %s=context-eps (docs/custom-attention.md)"
                               % (x.cls, list(w[0].shape), x.cls, x.cls))
        raise LayerRefused(why_unknown(x.layer))


# ---------------------------------------------------------------- TextVectorization

TV_STANDARDIZE = ("lower_and_strip_punctuation", "lower", "strip_punctuation")
TV_SPLIT = ("whitespace", "character")


def vocabulary_lines(data, what):
    """A vocabulary file's tokens as Keras 3 IndexLookup.load_assets reads
    them: str.splitlines() of the text, trailing empty lines dropped."""
    try:
        lines = data.decode("utf-8").splitlines()
    except UnicodeDecodeError as e:
        raise Refused("%s is not UTF-8 text: %s" % (what, e))
    while lines and lines[-1] == "":
        lines.pop()
    return lines


def tv_vocabulary(tokens, max_tokens, what):
    """IndexLookup.set_vocabulary on a list (mask_token "", oov_token
    "[UNK]", num_oov_indices 1): the special tokens may lead the list or be
    left out; a repeated token, or "" anywhere else, is refused; the result is
    get_vocabulary()'s list (index = id)."""
    if not isinstance(tokens, (list, tuple)) or not all(isinstance(t, str) for t in tokens):
        raise LayerRefused("%s is not a list of strings" % what)
    tokens = list(tokens)
    if tokens[:2] == ["", "[UNK]"]:
        tokens = tokens[2:]
    if not tokens:
        raise LayerRefused("%s is empty (Keras: cannot set an empty vocabulary)" % what)
    seen = set()
    for i, t in enumerate(tokens):
        if t in seen:
            raise LayerRefused("%s repeats the token %r (Keras refuses a repeated term)" % (what, t[:40]))
        seen.add(t)
        if t == "":
            raise LayerRefused("%s holds the mask token \"\" past index 0 (Keras refuses it)" % what)
        if len(t.encode("utf-8")) > LIMIT_TOKEN_BYTES or "\0" in t:
            raise LayerRefused("%s: token %d is longer than %d bytes or holds a NUL" % (what, i, LIMIT_TOKEN_BYTES))
    if len(tokens) + 2 > LIMIT_VOCABULARY:
        raise LayerRefused("%s has %d tokens (at most %d)" % (what, len(tokens), LIMIT_VOCABULARY - 2))
    if isinstance(max_tokens, int) and max_tokens and len(tokens) + 2 > max_tokens:
        raise LayerRefused("%s has %d entries with \"\" and [UNK], over max_tokens = %d (Keras refuses it)"
                           % (what, len(tokens) + 2, max_tokens))
    return ["", "[UNK]"] + tokens


def describe_callable(v):
    if isinstance(v, dict):
        c = v.get("config")
        return "%s %s" % (v.get("class_name", "object"), c if isinstance(c, str) else v.get("registered_name", ""))
    return repr(v)[:60]


def text_vectorization_description(c, vocabulary_override, assets, k3path):
    """A TextVectorization layer config (+ its vocabulary) -> the tokenizer
    description arnn's C loader reads (arnn.h, docs/tokenizer.md). The
    semantics are the layer's (keras/src/layers/preprocessing/
    text_vectorization.py); what arnn cannot run exactly is refused."""
    mode = c.get("output_mode", "int")
    if mode != "int":
        raise LayerRefused("output_mode = %r: arnn runs TextVectorization in output_mode \"int\" only (token ids "
                           "into an Embedding); multi_hot / count / tf_idf / one_hot are not supported" % (mode,))
    std = c.get("standardize", "lower_and_strip_punctuation")
    if std is not None and std not in TV_STANDARDIZE:
        raise LayerRefused("standardize is a custom function (%s): arnn cannot run Python code; re-save the layer "
                           "with a built-in standardize, or tokenize outside arnn" % describe_callable(std))
    split = c.get("split", "whitespace")
    if split is not None and split not in TV_SPLIT:
        raise LayerRefused("split is a custom function (%s): arnn cannot run Python code" % describe_callable(split))
    ngrams = c.get("ngrams")
    if ngrams is not None:
        if isinstance(ngrams, int) and not isinstance(ngrams, bool):
            ngrams = list(range(1, ngrams + 1))  # __init__: tuple(range(1, ngrams + 1))
        if not isinstance(ngrams, (list, tuple)) or not ngrams or len(ngrams) > 16 or \
                not all(isinstance(w, int) and not isinstance(w, bool) and 1 <= w <= 64 for w in ngrams):
            raise LayerRefused("ngrams = %r: arnn takes None, an integer or a list of 1 to 16 widths in 1..64"
                               % (c.get("ngrams"),))
        ngrams = list(ngrams)
    osl = c.get("output_sequence_length")
    if osl is not None and (not isinstance(osl, int) or isinstance(osl, bool) or
                            not 1 <= osl <= LIMIT_SEQUENCE_LENGTH):
        raise LayerRefused("output_sequence_length = %r: arnn takes None or 1..%d" % (osl, LIMIT_SEQUENCE_LENGTH))
    enc = c.get("encoding", "utf-8")
    if not isinstance(enc, str) or enc.lower().replace("_", "-") not in ("utf-8", "utf8"):
        raise LayerRefused("encoding = %r: arnn reads UTF-8 text only" % (enc,))
    if c.get("idf_weights") is not None:
        raise LayerRefused("has idf_weights (tf_idf): not supported")
    max_tokens = c.get("max_tokens")
    vocab = c.get("vocabulary")
    if vocabulary_override is not None:
        vocab = tv_vocabulary(vocabulary_override, max_tokens, "the --vocabulary file")
    elif isinstance(vocab, (list, tuple)):
        vocab = tv_vocabulary(vocab, max_tokens, "its config vocabulary")
    elif isinstance(vocab, str):
        raise LayerRefused("its vocabulary is a file on the machine that trained it (%r), not in the model file: "
                           "pass that file with --vocabulary FILE" % vocab[:80])
    elif vocab is None:
        # an adapted layer: Keras 3 writes get_vocabulary() to its assets
        # (IndexLookup.save_assets -> assets/<layer path>/vocabulary.txt, and
        # the same file again for the inner StringLookup, _lookup_layer/)
        data = None
        for path in ("assets/%s/vocabulary.txt" % k3path, "assets/%s/_lookup_layer/vocabulary.txt" % k3path):
            if path in assets:
                data = assets[path]
                break
        if data is None:
            raise LayerRefused("the file holds no vocabulary for this adapted layer (a tf.keras .h5 file does not "
                               "store it; a Keras 3 .keras file keeps it in assets/): pass it with --vocabulary "
                               "FILE, one token per line as layer.get_vocabulary() lists them")
        vocab = tv_vocabulary(vocabulary_lines(data, path), max_tokens, path)
    else:
        raise LayerRefused("its vocabulary is neither a list nor a file name")
    return {"class_name": "TextVectorization",
            "config": {"vocabulary": vocab, "standardize": std, "split": split, "ngrams": ngrams,
                       "output_sequence_length": osl, "output_mode": "int"}}


def fit_pool(w, F):
    """Weights of the attention pooling: W [F] or [F, 1], optional b [T] or [T, 1]."""
    if len(w) not in (1, 2) or w[0].shape not in ((F,), (F, 1)):
        return False
    return len(w) == 1 or w[1].ndim == 1 or (w[1].ndim == 2 and w[1].shape[1] == 1)


def fit_context(w, F):
    """(W [F, A], b [A] or None, u [A]) of the hierarchical-attention form, or None."""
    if len(w) not in (2, 3) or w[0].ndim != 2 or w[0].shape[0] != F:
        return None
    A = w[0].shape[1]
    u = w[-1]
    if u.shape not in ((A,), (A, 1)):
        return None
    if len(w) == 3 and w[1].shape != (A,):
        return None
    return w[0], (w[1] if len(w) == 3 else None), u.reshape(A)


def pick_named(w, order):
    """BatchNormalization/LayerNormalization weights by name when the file has
    names (a nested model lists moving statistics after all trainable weights),
    else in Keras' creation order."""
    if w and all(n for n, _ in w):
        got = {}
        for n, a in w:
            base = re.sub(r":\d+$", "", n.split("/")[-1])
            if base in order:
                got[base] = a
        if sorted(got) != sorted(order):
            raise LayerRefused("weights %s, expected %s" % ([n for n, _ in w], order))
        return got
    if len(w) != len(order):
        raise LayerRefused("expected %d weights (%s), found %d" % (len(order), ", ".join(order), len(w)))
    return {k: a for k, (_, a) in zip(order, w)}


class LayerCtx:
    """One Keras layer being converted: its inputs, weights and emit()."""

    def __init__(self, conv, layer, c, gname, ins, ref):
        self.conv, self.layer, self.c, self.gname, self.ins, self.ref = conv, layer, c, gname, ins, ref
        self.cls = layer.get("class_name")

    def one_input(self):
        if len(self.ins) != 1:
            raise LayerRefused("has %d inputs, expected 1" % len(self.ins))

    def ready(self):
        """Config checks are done; shape checks need the inputs."""
        if any(v is POISON for v in self.ins):
            raise Poisoned()

    def float_input(self, i=0, rank=None):
        v = self.ins[i]
        if v.dtype == "ids":
            raise LayerRefused("receives token ids directly (only an Embedding may read an ids input)")
        if rank is not None and len(v.shape) != rank:
            raise LayerRefused("expects a value of rank %d (%s), got %s"
                               % (rank, "[T, F]" if rank == 2 else "[F]", shape_str(v.shape)))
        return v

    def features(self, v):
        F = dim(v.shape[-1])
        if F is None:
            raise LayerRefused("its input's feature size depends on the call's length (shape %s)"
                               % shape_str(v.shape))
        if F > LIMIT_FEATURES:
            raise LayerRefused("feature size %d is too large" % F)
        return F

    def activation(self, v, rank):
        return activation(v, self.conv.version, rank)

    def weights(self, n):
        w = self.conv.weights.get(self.ref)
        if w is None:
            raise LayerRefused("no weights for it in the weights file")
        w = [a for _, a in w]
        if n is not None and len(w) != n:
            raise LayerRefused("expected %d weight%s, found %d" % (n, "s" if n > 1 else "", len(w)))
        return w

    def weights_or_none(self):
        """The layer's weights; none when the file has no entry for a layer
        that may have no weights."""
        w = self.conv.weights.get(self.ref)
        return [a for _, a in w] if w is not None else []

    def named_weights(self):
        w = self.conv.weights.get(self.ref)
        if w is None:
            raise LayerRefused("no weights for it in the weights file")
        return w

    def fix_steps(self, d, T, why):
        if isinstance(d, Steps):
            if d.value is None:
                if not 1 <= T <= MAX_STEPS:
                    raise LayerRefused("%s = %d is outside 1..%d" % (why, T, MAX_STEPS))
                d.value, d.fixed_by = T, why
                return
            if d.value != T:
                raise LayerRefused("T is inconsistent: %s = %d but %s = %d" % (d.fixed_by, d.value, why, T))
            return
        if d is None:
            raise LayerRefused("%s = %d needs a fixed number of steps here, but they depend on the call's length "
                               "(give the model a fixed input length)" % (why, T))
        if d != T:
            raise LayerRefused("%s = %d but its input has %d steps" % (why, T, d))

    def emit(self, spec, **params):
        for k, a in params.items():
            a = np.asarray(a, dtype=np.float64)
            if not np.all(np.isfinite(a)):
                raise LayerRefused("weight %s contains NaN or inf" % k)
        d = {"name": self.gname, "op": spec.pop("op"), "inputs": [v.ref for v in self.ins]}
        d.update(spec)
        self.conv.layers.append(d)
        for k, a in params.items():
            self.conv.tensors["%s/%s" % (self.gname, k)] = np.asarray(a, dtype=np.float64)
            self.conv.layer_tensors.setdefault(self.gname, []).append("%s/%s" % (self.gname, k))


def cudnn_to_plain(kernel, recurrent, bias, G):
    """Keras's own CuDNN -> plain conversion (keras/engine/saving.py
    _convert_rnn_weights, from_cudnn=True): cuDNN stores each gate's input
    matrix as [H, E] row-major in the memory of the Keras [E, H] block, so each
    block is re-read in that order and transposed; each recurrent [H, H] block
    is transposed. LSTM: input and recurrent bias halves are summed. GRU: the
    bias becomes [2, 3H] (input row, recurrent row) = GRU(reset_after=True)."""
    k = np.hstack([blk.T.reshape(blk.shape, order="F") for blk in np.hsplit(kernel, G)])
    rk = np.hstack([blk.T for blk in np.hsplit(recurrent, G)])
    H = recurrent.shape[0]
    b = bias[:G * H] + bias[G * H:] if G == 4 else bias.reshape(2, G * H)
    return k, rk, b


def why_unknown(layer):
    cls = layer.get("class_name")
    if cls == "Lambda":
        return "Lambda holds Python code, which arnn cannot run (rewrite it with built-in layers)"
    if cls == "Merge":
        return "Keras 1 'Merge' layer (Python-configured merge), not supported; use Concatenate/Add/Multiply/..."
    if cls in ("TFOpLambda", "SlicingOpLambda"):
        return "a TensorFlow op recorded in the model (%s) is not a layer arnn can run" % cls
    if is_builtin(layer):
        return "Keras layer %s is not supported by arnn" % cls
    return ("custom class %s unknown (arnn runs only the Keras layers listed in docs/model-graph.md and the "
            "attention forms of docs/custom-attention.md, which --custom %s=FORM can state)" % (cls, cls))


def is_builtin(layer):
    cls, module = layer.get("class_name"), layer.get("module")
    return cls in KNOWN_KERAS or bool(isinstance(module, str) and re.match(r"(keras|tf_keras)(\.|$)", module))


def batch_shape_of(lc):
    for k in ("batch_input_shape", "batch_shape"):
        if lc.get(k):
            return list(lc[k])
    if lc.get("input_shape"):
        return [None] + list(lc["input_shape"])
    if lc.get("input_dim") is not None and lc.get("class_name") is None and "output_dim" not in lc:
        il = lc.get("input_length")
        return [None, il, lc["input_dim"]] if "input_length" in lc else [None, lc["input_dim"]]
    if "output_dim" in lc and "input_length" in lc:  # Embedding: input_dim is the vocabulary
        il = lc["input_length"]
        return [None, il[0] if isinstance(il, list) else il]
    return None


def normalize_refs(v):
    """input_layers/output_layers: [[name, node, tensor], ...] or one [name, node, tensor]."""
    if not v:
        return []
    if isinstance(v, dict):  # Keras 3 models built on a dict of inputs/outputs: its values, in order
        v = list(v.values())
    if isinstance(v, list) and len(v) == 3 and isinstance(v[0], str):
        v = [v]
    return [(r[0], int(r[1]), int(r[2])) for r in v]


def inbound_refs(layer):
    """([(layer name, node index, tensor index)], names of tensor kwargs) of a
    layer's single call, from either the Keras 2 form [[[name, n, t, {}], ...]]
    or the Keras 3 form [{"args": [...], "kwargs": {...}}]."""
    nodes = layer.get("inbound_nodes") or []
    if not nodes:
        return [], []
    node = nodes[0]
    refs, extra = [], []

    def walk(x, out):
        if isinstance(x, dict):
            cfg = x.get("config")
            if isinstance(cfg, dict) and "keras_history" in cfg:
                h = cfg["keras_history"]
                out.append((h[0], int(h[1]), int(h[2])))
            elif "keras_history" in x:
                h = x["keras_history"]
                out.append((h[0], int(h[1]), int(h[2])))
            else:
                for v in x.values():
                    walk(v, out)
        elif isinstance(x, list):
            for v in x:
                walk(v, out)

    if isinstance(node, dict):
        walk(node.get("args", []), refs)
        for k, v in (node.get("kwargs") or {}).items():
            found = []
            walk(v, found)
            if found and k not in MASK_KWARGS:
                extra.append(k)
    else:
        for entry in node:
            if isinstance(entry, list) and len(entry) >= 3 and isinstance(entry[0], str):
                refs.append((entry[0], int(entry[1]), int(entry[2])))
                kw = entry[3] if len(entry) > 3 and isinstance(entry[3], dict) else {}
                for k, v in kw.items():
                    found = []
                    walk(v, found)
                    if isinstance(v, list) and len(v) >= 3 and isinstance(v[0], str) and k not in MASK_KWARGS:
                        extra.append(k)
                    elif found and k not in MASK_KWARGS:
                        extra.append(k)
    return refs, extra


def call_kwargs(layer):
    """The non-tensor keyword arguments of a layer's first call: Keras 3
    `{"args": ..., "kwargs": {...}}`; Keras 2 repeats the kwargs dict as the
    4th item of every inbound entry."""
    nodes = layer.get("inbound_nodes") or []
    if not nodes:
        return {}
    node = nodes[0]
    if isinstance(node, dict):
        return node.get("kwargs") or {}
    for entry in node:
        if isinstance(entry, list) and len(entry) > 3 and isinstance(entry[3], dict):
            return entry[3]
    return {}


def kwarg_refs(v):
    """The tensor references inside one call argument (Keras 2 [name, node,
    tensor] or Keras 3 __keras_tensor__)."""
    if isinstance(v, list) and len(v) >= 3 and isinstance(v[0], str) and isinstance(v[1], int):
        return [(v[0], int(v[1]), int(v[2]))]
    if isinstance(v, dict):
        cfg = v.get("config")
        h = cfg.get("keras_history") if isinstance(cfg, dict) else v.get("keras_history")
        if h:
            return [(h[0], int(h[1]), int(h[2]))]
        return [r for x in v.values() for r in kwarg_refs(x)]
    if isinstance(v, list):
        return [r for x in v for r in kwarg_refs(x)]
    return []


def mha_refs(layer, refs, extra):
    """MultiHeadAttention is called as mha(query, value[, key]): Keras 2 records
    the query as the inbound entry and value/key among the kwargs
    (base_layer Node.serialize treats every argument after the first as a
    kwarg); Keras 3 keeps positional args positional. Returns ([query, value]
    or [query, value, key], remaining tensor kwargs)."""
    kw = call_kwargs(layer)
    got = {}
    for i, k in enumerate(("query", "value", "key")):
        r = kwarg_refs(kw.get(k)) if k in kw else []
        if r:
            got[k] = r[0]
        elif i < len(refs):
            got[k] = refs[i]
    out = [got[k] for k in ("query", "value") if k in got]
    if "key" in got and got["key"] != got.get("value"):
        out.append(got["key"])
    return out, [e for e in extra if e not in ("query", "value", "key")]


def layer_name(layer):
    return layer.get("name") or (layer.get("config") or {}).get("name")


def deps_of(layer):
    """Names of the layers a layer's call reads (positional and keyword tensors)."""
    names = [d for d, _, _ in inbound_refs(layer)[0]]
    for v in call_kwargs(layer).values():
        names += [d for d, _, _ in kwarg_refs(v)]
    return names


def topo_order(layers, by_name):
    """The layers with every producer before its consumers (Keras lists them
    so already; this makes sure). Iterative: deep models exceed Python's
    recursion limit."""
    order, state = [], {}
    for root in layers:
        if state.get(layer_name(root)) == 2:
            continue
        stack = [(root, iter([by_name[d] for d in deps_of(root) if d in by_name]))]
        state[layer_name(root)] = 1
        while stack:
            layer, deps = stack[-1]
            dep = next(deps, None)
            if dep is None:
                stack.pop()
                state[layer_name(layer)] = 2
                order.append(layer)
                continue
            st = state.get(layer_name(dep))
            if st == 1:
                raise Refused("the layer graph has a cycle at '%s'" % layer_name(dep))
            if st is None:
                state[layer_name(dep)] = 1
                stack.append((dep, iter([by_name[d] for d in deps_of(dep) if d in by_name])))
    return order


# ---------------------------------------------------------------- driver

def convert_config(cfg, weights, version, labels=None, padding=None, attention=None, max_steps=None, warn=None,
                   custom=None, vocabulary=None):
    """Model config + weights reader -> (metadata dict, tensors dict)."""
    # A layer deep in the graph (an attention step_dim or per-step bias) can fix
    # the steps of an input saved without a length; shapes derived before that
    # point were computed as unknown, so such a model is converted again with
    # the length known from the start.
    preset = {}
    for _ in range(3):
        conv = Converter(weights, version, attention, preset, custom, vocabulary)
        try:
            outs = conv.convert_model(cfg)
            err = None
        except Refused as e:
            err = e
        found = {st.input_name: (st.value, st.fixed_by) for st in conv.steps
                 if st.value is not None and st.fixed_by != "the input shape"}
        if not found or found == preset:
            break
        preset = found
    if err is not None:
        raise err
    for m in conv.warnings:
        (warn or (lambda m: None))(m)
    if not outs:
        raise Refused("the model has no outputs")
    out_refs = []
    for v in outs:
        if v.ref is None:
            raise Refused("an output of the model could not be converted")
        if v.ref in [i["name"] for i in conv.inputs]:
            raise Refused("output '%s' is a model input passed through unchanged" % v.ref)
        out_refs.append(v.ref)
    if len(out_refs) > LIMIT_OUTPUTS:
        raise Refused("the model has %d outputs (at most %d)" % (len(out_refs), LIMIT_OUTPUTS))
    # keep only what the outputs need (Keras configs can list unused layers)
    need = {r.split(":")[0] for r in out_refs}
    keep = []
    for layer in reversed(conv.layers):
        if layer["name"] in need:
            keep.append(layer)
            need.update(r.split(":")[0] for r in layer["inputs"])
    keep.reverse()
    if not keep:
        raise Refused("the model has no layers")
    if len(keep) > LIMIT_LAYERS:
        raise Refused("the model has %d layers (at most %d)" % (len(keep), LIMIT_LAYERS))
    tensors = {}
    for layer in keep:
        for k in conv.layer_tensors.get(layer["name"], []):
            tensors[k] = conv.tensors[k]
    # every Keras input stays, in the model's order, so a call passes the same
    # inputs as to Keras even if one of them does not reach an output
    inputs = conv.inputs
    if not any(i["name"] in need for i in inputs):
        raise Refused("no model input reaches the outputs")
    fixed, free = [], False
    for i in inputs:
        if i["shape"] and isinstance(i["shape"][0], Steps):
            if i["shape"][0].value is None:
                free = True
            else:
                fixed.append(i["shape"][0].value)
        i["shape"] = [dim(d) for d in i["shape"]]
    if fixed and max(fixed) > MAX_STEPS:
        raise Refused("the input has %d steps (at most %d)" % (max(fixed), MAX_STEPS))
    if free:
        ms = max_steps or MAX_STEPS
        if fixed and ms < max(fixed):
            raise Refused("--max-steps %d is below an input's fixed length %d" % (ms, max(fixed)))
    else:
        if max_steps and fixed and max_steps != max(fixed):
            raise Refused("--max-steps %d: the model's steps are fixed at %d" % (max_steps, max(fixed)))
        ms = max(fixed) if fixed else 1
    if not 1 <= ms <= MAX_STEPS:
        raise Refused("--max-steps must be 1..%d" % MAX_STEPS)
    graph = {"inputs": inputs, "layers": keep, "outputs": out_refs, "max_steps": ms}
    gjson = json.dumps(graph, separators=(",", ":"), allow_nan=False)
    if len(gjson.encode("utf8")) > LIMIT_GRAPH:
        raise Refused("the graph JSON is larger than 4 MiB")
    meta = {"format": "arnn", "format_version": str(FORMAT_VERSION), "graph": gjson}
    if labels is not None:
        units = outs[0].shape[-1] if outs[0].shape else None
        units = dim(units)
        if units is None or len(labels) != units:
            raise Refused("--labels gives %d names but output 0 has %s units" % (len(labels), units))
        for lab in labels:
            if len(lab.encode("utf8")) > LIMIT_LABEL or "\0" in lab:
                raise Refused("--labels: %r is longer than %d bytes or holds a NUL" % (lab[:40], LIMIT_LABEL))
        meta["labels"] = json.dumps(labels, ensure_ascii=False)
    if conv.tokenizer is not None:
        # TextVectorization pads (and truncates) at the end: RaggedTensor.to_tensor
        if padding == "pre":
            raise Refused("--padding pre: the model's TextVectorization layer pads its ids at the end (post)")
        padding = "post"
        meta["tokenizer"] = json.dumps(conv.tokenizer, ensure_ascii=False, separators=(",", ":"))
        emb = [t for k, t in tensors.items() if k.endswith("/embeddings")]
        n_vocab = len(conv.tokenizer["config"]["vocabulary"])
        if emb and n_vocab > emb[0].shape[0]:
            (warn or (lambda m: None))("the TextVectorization vocabulary has %d entries but the Embedding only %d "
                                       "rows: texts with the last tokens will be refused" % (n_vocab, emb[0].shape[0]))
    elif vocabulary is not None:
        raise Refused("--vocabulary: the model has no TextVectorization layer")
    meta["padding"] = padding or "unknown"
    if version.text:
        meta["keras_version"] = str(version.text)
    return meta, tensors


def parse_custom(items):
    """["Class=form", ...] or {"Class": "form"} -> {"Class": "form"}; Refused on a bad entry."""
    if isinstance(items, dict):
        items = ["%s=%s" % kv for kv in items.items()]
    out = {}
    for it in items or []:
        cls, sep, form = str(it).partition("=")
        cls, form = cls.strip(), form.strip()
        if not sep or not cls or form not in CUSTOM_FORMS:
            raise Refused("--custom %r: expected CLASS=FORM with FORM one of %s" % (it, ", ".join(CUSTOM_FORMS)))
        out[cls] = form
    return out


def convert_file(path, config=None, labels=None, padding=None, attention=None, max_steps=None, warn=None,
                 custom=None, vocabulary=None):
    """Converts a Keras model file (see main()'s help for the kinds) to
    (metadata: dict of str, tensors: dict name -> np.ndarray). Raises Refused.
    custom: {"ClassName": form} (or ["ClassName=form", ...]) states the
    attention form of custom classes (docs/custom-attention.md)."""
    cfg, weights, version, desc = keras_file(path, config)
    if isinstance(vocabulary, (str, bytes)) or hasattr(vocabulary, "__fspath__"):
        with open(vocabulary, "rb") as fh:
            vocabulary = vocabulary_lines(fh.read(LIMIT_VOCABULARY_BYTES + 1), "--vocabulary %s" % vocabulary)
    meta, tensors = convert_config(cfg, weights, version, labels, padding, attention, max_steps, warn,
                                   parse_custom(custom), vocabulary)
    meta["source"] = desc
    return meta, tensors


WEIGHT_TYPES = ("f32", "bf16")


def bf16_bits(a):
    """float32 values -> their bfloat16 bit patterns (uint16), rounded to
    nearest, ties to even; a NaN keeps its sign and top payload bits with the
    quiet bit set. The same function as arnn_bf16_from_f32 in
    kernels/common/bf16-inl.h (tests/bf16-test.c checks every float)."""
    u = np.ascontiguousarray(np.asarray(a, dtype=np.float32)).view(np.uint32).astype(np.uint64)
    rounded = (u + 0x7FFF + ((u >> 16) & 1)) >> 16
    nan = (u & 0x7FFFFFFF) > 0x7F800000
    return np.where(nan, (u >> 16) | 0x40, rounded).astype(np.uint16)


def bf16_values(bits):
    """bfloat16 bit patterns -> float32 (exact)."""
    return (np.asarray(bits, dtype=np.uint16).astype(np.uint32) << 16).view(np.float32)


def bf16_tensor_names(meta):
    """The tensors `--weights bf16` stores as BF16: the kernel and
    recurrent_kernel of every LSTM/GRU layer (docs/model-graph.md)."""
    names = set()
    for layer in json.loads(meta["graph"])["layers"]:
        if layer.get("op") == "rnn" and layer.get("cell") in ("lstm", "gru"):
            for side in ("forward", "backward") if layer.get("bidirectional") else ("forward",):
                names.update("%s/%s/%s" % (layer["name"], side, k) for k in ("kernel", "recurrent_kernel"))
    return names


def safetensors_bytes(meta, tensors, weights="f32"):
    """The arnn file: safetensors with F32 tensors in the given order and the
    header padded with spaces so the data section starts 8-byte aligned.
    weights="bf16" stores the LSTM/GRU kernels (bf16_tensor_names) as BF16,
    rounded to nearest even from float32."""
    if weights not in WEIGHT_TYPES:
        raise Refused("--weights must be one of %s" % ", ".join(WEIGHT_TYPES))
    as_bf16 = bf16_tensor_names(meta) if weights == "bf16" else set()
    header = {"__metadata__": meta}
    blobs, off = [], 0
    for name, t in tensors.items():
        a = np.ascontiguousarray(np.asarray(t, dtype="<f4"))
        dtype = "F32"
        if name in as_bf16:
            a, dtype = bf16_bits(a).astype("<u2"), "BF16"
        raw = a.tobytes()
        header[name] = {"dtype": dtype, "shape": list(a.shape), "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    h = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf8")
    if len(h) > (16 << 20):
        raise Refused("the safetensors header would exceed 16 MiB")
    h += b" " * (-len(h) % 8)
    return len(h).to_bytes(8, "little") + h + b"".join(blobs)


USAGE = """arnn-convert: turn a Keras model into an arnn model file (format version 2, a layer graph).

usage: arnn-convert MODEL [--config MODEL.json] -o OUT.safetensors [--labels a,b,c]
                    [--padding pre|post] [--attention eps|softmax] [--max-steps N]
                    [--custom CLASS=FORM ...] [--vocabulary FILE] [--tokenizer-out FILE]
                    [--weights f32|bf16]

MODEL is one of
  m.h5          tf.keras 2.x / Keras 2.x model.save(), or Keras 3 legacy .h5 (architecture inside)
  w.h5          save_weights() output; needs --config (the model.to_json() text)
  m.keras       Keras 3 model.save() (a zip holding config.json + model.weights.h5)
  m.weights.h5  Keras 3 save_weights(); needs --config (config.json or to_json())

Any Sequential or functional model (nested models are inlined, several inputs
and outputs allowed) built from the layers of docs/model-graph.md: InputLayer,
Embedding, Masking, LSTM/GRU/SimpleRNN/CuDNNLSTM/CuDNNGRU (optionally in
Bidirectional), Conv1D, Max/AveragePooling1D, GlobalMax/AveragePooling1D,
Flatten, Reshape, Permute, RepeatVector, Dense, TimeDistributed(Dense),
Activation/ReLU/LeakyReLU/PReLU/ELU/Softmax, BatchNormalization,
LayerNormalization, Concatenate/Add/Subtract/Multiply/Average/Maximum/Minimum,
Dot, Attention, AdditiveAttention, MultiHeadAttention (over the steps axis)
and the custom attention classes of docs/custom-attention.md (the TextAttBiRNN /
seed-003 attention pooling under any class name, AttentionWithContext/AttLayer
hierarchical attention). Dropout-like layers are dropped. A TextVectorization
layer (output_mode "int") reading the string input becomes the model's
tokenizer, stored in the file: the arnn model takes its token ids
(docs/tokenizer.md).
Every unsupported layer is listed at once (exit status 2). Weights are written
in plain Keras layout (CuDNN layers converted exactly as Keras converts them);
optimizer state is ignored.

Options:
  --config FILE     architecture JSON (model.to_json(), or config.json of a .keras)
  -o, --output FILE the arnn model file to write
  --labels a,b,c    class names for output 0 (as many as its units)
  --padding P       where the training data was padded: pre (Keras pad_sequences
                    default) | post; recorded in the file (default: unknown)
  --attention F     force the TextAttBiRNN attention normalisation: eps | softmax
                    (default: detected from the layer's weights)
  --max-steps N     longest sequence a call may pass when the model's input length
                    is not fixed (default 65536)
  --vocabulary FILE the vocabulary of the model's TextVectorization layer, one token
                    per line as layer.get_vocabulary() lists them (for a tf.keras
                    .h5 file of an adapted layer, which does not store it)
  --tokenizer-out FILE  also write the TextVectorization tokenizer JSON there (the
                    model file carries it anyway; arnn predict --text uses it)
  --custom CLASS=FORM  the attention form of a custom class whose name arnn does not
                    know or that is ambiguous: eps | softmax (attention pooling,
                    W [F] or [F, 1]) | context-softmax | context-eps (hierarchical
                    attention, W [F, A], b [A], u [A]); repeatable.
                    See docs/custom-attention.md
  --weights T       f32 (default) | bf16: store the kernel and recurrent_kernel of
                    every LSTM/GRU layer as bfloat16 (rounded to nearest even):
                    half the bytes, and the recurrent step streams half as much
                    per step. Results differ from f32 by the rounding of those
                    weights (same bits on every ISA); see docs/model-graph.md

Requirements: Python 3 with numpy and h5py.
Exit status: 0 on success, 2 for a usage error or a refused or unreadable model.
"""


def main(argv):
    import argparse
    import os
    import sys
    if any(x in ("-h", "--help") for x in argv):
        sys.stdout.write(USAGE)
        return 0
    p = argparse.ArgumentParser(prog="arnn-convert", add_help=False,
                                usage="arnn-convert MODEL [--config MODEL.json] -o OUT.safetensors [--labels a,b,c] "
                                      "(--help for more)")
    p.add_argument("model")
    p.add_argument("--config")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--labels")
    p.add_argument("--padding", choices=["pre", "post"])
    p.add_argument("--attention", choices=["eps", "softmax"])
    p.add_argument("--max-steps", type=int)
    p.add_argument("--custom", action="append", default=[])
    p.add_argument("--vocabulary")
    p.add_argument("--tokenizer-out")
    p.add_argument("--weights", choices=list(WEIGHT_TYPES), default="f32")
    p.add_argument("-q", "--quiet", action="store_true", help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    warn = (lambda m: None) if a.quiet else (lambda m: sys.stderr.write("arnn-convert: %s\n" % m))
    labels = a.labels.split(",") if a.labels is not None else None
    try:
        if a.max_steps is not None and not 1 <= a.max_steps <= MAX_STEPS:
            raise Refused("--max-steps must be 1..%d" % MAX_STEPS)
        meta, tensors = convert_file(a.model, a.config, labels, a.padding, a.attention, a.max_steps, warn,
                                     a.custom, a.vocabulary)
        data = safetensors_bytes(meta, tensors, a.weights)
        if a.tokenizer_out and "tokenizer" not in meta:
            raise Refused("--tokenizer-out: the model has no TextVectorization layer")
    except Refused as e:
        sys.stderr.write("arnn-convert: %s: %s\n" % (a.model, e))
        return 2
    except (OSError, KeyError, ValueError, TypeError, IndexError, AttributeError) as e:
        sys.stderr.write("arnn-convert: %s: cannot read the model: %s: %s\n" % (a.model, type(e).__name__, e))
        return 2
    tmp = a.output + ".tmp"
    with open(tmp, "wb") as fh:
        fh.write(data)
    os.replace(tmp, a.output)
    if a.tokenizer_out:
        tmp = a.tokenizer_out + ".tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(meta["tokenizer"])
        os.replace(tmp, a.tokenizer_out)
    if "tokenizer" in meta:
        tc = json.loads(meta["tokenizer"])["config"]
        warn("the model carries its TextVectorization as a tokenizer: %d tokens, standardize=%s, split=%s, "
             "output_sequence_length=%s (arnn predict --text uses it)"
             % (len(tc["vocabulary"]), tc["standardize"], tc["split"], tc["output_sequence_length"]))
    g = json.loads(meta["graph"])
    warn("wrote %s (%s; %d layers, inputs %s, outputs %s, %d bytes)"
         % (a.output, meta["source"], len(g["layers"]),
            ", ".join("%s %s%s" % (i["name"], i["dtype"], i["shape"]) for i in g["inputs"]),
            ", ".join(g["outputs"]), len(data)))
    return 0
