"""Float64 NumPy implementation of the Keras layers arnn supports: an
interpreter of a Keras model config (Keras 2.1/2.2 list-form Sequential,
tf.keras 2.x Sequential/Functional, Keras 3 config.json) over the layers'
weights in Keras order.

It is the reference where TensorFlow.js lacks a layer or computes something
else than tf.keras, and for the real Keras files. Every rule that is easy to
get wrong cites the Keras source it follows (paths inside the keras /
tensorflow repositories):

- RNN masking: keras/backend.py rnn() (tf.keras 2.x): at a masked step the
  states are kept and the output is the previous output, or zeros when
  zero_output_for_mask (keras/layers/recurrent.py RNN.__init__:
  `self.zero_output_for_mask = kwargs.pop('zero_output_for_mask', False)`).
- go_backwards: backend.rnn reverses the inputs (and the mask) and returns
  the outputs in processing order, i.e. reversed in time; Bidirectional
  reverses the backward layer's sequence back (wrappers.py Bidirectional.call
  `y_rev = backend.reverse(y_rev, 1)`).
- Bidirectional(return_sequences=True) with a mask: wrappers.py / Keras 3
  layers/rnn/bidirectional.py docstring "When return_sequences is True, the
  output of the masked timestep will be zero regardless of the layer's
  original zero_output_for_mask value" (the wrapper recreates both layers
  with zero_output_for_mask = return_sequences).
- GRU reset_after=True: recurrent.py GRUCell.call: `matrix_inner = dot(h, R)
  + recurrent_bias`, `hh = act(x_h + r * matrix_inner_h)`; bias [2, 3H] =
  input bias, recurrent bias (GRUCell.build bias_shape = (2, 3 * units)).
- hard_sigmoid: Keras 2 backend.hard_sigmoid `clip(0.2 x + 0.5, 0, 1)`;
  Keras 3 activations.hard_sigmoid = ops.hard_sigmoid = `relu6(x + 3) / 6`.
- Conv1D padding='causal': convolutional.py Conv1D.call pads the input on
  the left by `dilation_rate * (kernel_size - 1)` then runs 'valid'.
- GlobalAveragePooling1D with a mask: pooling.py GlobalAveragePooling1D.call
  `mask = cast(mask); mask = expand_dims(mask, 2); inputs *= mask; return
  sum(inputs, axis) / sum(mask, axis)`.
- Softmax layer: advanced_activations.py Softmax.call: masked positions get
  `(1 - mask) * -1e9` added, then backend.softmax(inputs, axis).
- BatchNormalization at inference: (x - moving_mean) / sqrt(moving_var + eps)
  * gamma + beta (normalization/batch_normalization.py, training=False).
- LayerNormalization: mean/variance over the last axis, (x - m) /
  sqrt(v + eps) * gamma + beta.
- AveragePooling1D 'same': TF's avg_pool divides by the number of valid
  (unpadded) elements in the window.
- The TextAttBiRNN attention (docs/model-format.md section 4): eps form
  `a = exp(tanh(x.W + b)) * mask; a /= sum(a) + 1e-7`; the seed-003 form
  (W [F, 1], b [T, 1]): `a = softmax(tanh(x.W + b))` over the steps. Under
  another class name when the dump states the form (doc["custom"]).
- Attention / AdditiveAttention: keras/src/layers/attention/attention.py
  (Keras 3) and keras/layers/attention/base_dense_attention.py (tf.keras 2):
  `_calculate_scores` (dot: `q k^T * scale`; concat: `concat_score_weight *
  sum(tanh(scale * (q + k)))`; additive_attention.py: `sum(scale *
  tanh(q + k))`), `_calculate_score_mask` / `_lower_triangular_mask` (key j
  visible to query i when the value mask keeps it and, causal, j <= i: row
  index >= column index), `_apply_scores` (`scores -= 1e9 * padding_mask`,
  softmax, `matmul(weights, value)`), then `result *= q_mask`; the key's
  own mask is not used (only mask[0] and mask[1] are read); output mask =
  the query's (compute_mask returns mask[0]). Causal from the constructor
  argument `causal` (tf.keras <= 2.9) or the call's `use_causal_mask`.
- `scores - 1e9` in float32: for |s| < 32 it rounds to exactly -1e9, so a
  query row with no visible key gets uniform weights over all Tv keys
  (reproduced here as such); a masked key next to a visible one gets
  exp(-1e9 - max) = 0.
- MultiHeadAttention: keras/src/layers/attention/multi_head_attention.py
  (Keras 3) and keras/layers/attention/multi_head_attention.py (tf.keras 2):
  projections by EinsumDense (query "abc,cde->abde", kernel [D, h, dk],
  bias [h, dk]; output "abcd,cde->abe", kernel [h, dv, out]);
  `_compute_attention`: `query *= 1/sqrt(key_dim)`, scores
  einsum("aecd,abcd->acbe", key, query) = [B, h, Tq, Tv], `_masked_softmax`
  (the Softmax layer: `inputs += (1 - mask) * -1e9`), einsum("acbe,aecd->abcd")
  with the values, output projection. `_compute_attention_mask`: the auto
  mask ANDs query_mask [B, Tq, 1], value_mask [B, 1, Tv], key_mask and the
  causal mask [1, Tq, Tv] (row >= column): a masked query row sees no key
  (uniform weights, not zeroed: MultiHeadAttention does not multiply its
  output by the query mask); output mask = the query's. Keras >= 3.10's
  Softmax (keras/src/layers/activations/softmax.py) multiplies its result by
  the mask, zeroing such a row, on the path that returns the scores; without
  them Keras 3 calls ops.dot_product_attention (masked logits replaced by a
  large negative number: uniform).
- The hierarchical-attention pooling (AttentionWithContext / AttLayer,
  docs/custom-attention.md): `uit = tanh(x W + b)`, `ait = uit . u`;
  eps form `a = exp(ait) * mask / (sum(exp(ait) * mask) + 1e-7)` (the
  classes' `K.exp`, `a *= K.cast(mask)`, `a /= K.sum(a) + K.epsilon()`),
  softmax form `a = softmax(ait)` over the kept steps.
"""
import json
import math

import numpy as np

IDENTITY = {"Dropout", "SpatialDropout1D", "SpatialDropout2D", "GaussianNoise", "GaussianDropout", "AlphaDropout",
            "ActivityRegularization"}


# ---------------------------------------------------------------- activations

def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _erf(x):
    return np.vectorize(math.erf, otypes=[np.float64])(x)


def act_name(a):
    if a is None:
        return "linear"
    if isinstance(a, dict):  # Keras 3 may serialize an activation as an object
        a = a.get("config", {}).get("name") or a.get("class_name")
    return {"hardSigmoid": "hard_sigmoid"}.get(a, a)


def activation(name, x, keras_major, axis=-1):
    name = act_name(name)
    if name == "linear":
        return x
    if name == "relu":
        return np.maximum(x, 0)
    if name == "relu6":
        return np.clip(x, 0, 6)
    if name == "elu":
        return np.where(x > 0, x, np.expm1(x))
    if name == "selu":
        return 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * np.expm1(x))
    if name == "gelu":
        return 0.5 * x * (1 + _erf(x / math.sqrt(2)))
    if name in ("swish", "silu"):
        return x * _sigmoid(x)
    if name == "tanh":
        return np.tanh(x)
    if name == "sigmoid":
        return _sigmoid(x)
    if name == "hard_sigmoid":
        if keras_major >= 3:
            return np.clip(x / 6.0 + 0.5, 0, 1)
        return np.clip(0.2 * x + 0.5, 0, 1)
    if name == "softplus":
        return np.logaddexp(0, x)
    if name == "softsign":
        return x / (1 + np.abs(x))
    if name == "exponential":
        return np.exp(x)
    if name == "softmax":
        return softmax(x, axis)
    raise NotImplementedError("activation %r" % name)


def softmax(x, axis):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


# ---------------------------------------------------------------- recurrent layers

def rnn_forward(cls, c, w, x, mask, keras_major, go_backwards, zero_output):
    """One direction. x [B, T, F]; returns (sequence [B, T, H] in processing
    order, last output [B, H])."""
    act = c.get("activation", "tanh")
    ract = c.get("recurrent_activation", "sigmoid" if keras_major >= 3 else "hard_sigmoid")
    use_bias = c.get("use_bias", True)
    K, R = w[0], w[1]
    b = w[2] if use_bias and len(w) > 2 else None
    Bn, T, _ = x.shape
    H = R.shape[0]
    if go_backwards:
        x = x[:, ::-1]
        mask = mask[:, ::-1] if mask is not None else None
    h = np.zeros((Bn, H))
    cst = np.zeros((Bn, H))
    prev_out = np.zeros((Bn, H))
    outs = np.zeros((Bn, T, H))
    reset_after = c.get("reset_after", keras_major >= 3)
    for t in range(T):
        xt = x[:, t]
        if cls in ("LSTM", "CuDNNLSTM"):
            z = xt @ K + h @ R + (b if b is not None else 0)
            i = activation(ract, z[:, :H], keras_major)
            f = activation(ract, z[:, H:2 * H], keras_major)
            cc = activation(act, z[:, 2 * H:3 * H], keras_major)
            o = activation(ract, z[:, 3 * H:], keras_major)
            c_new = f * cst + i * cc
            h_new = o * activation(act, c_new, keras_major)
        elif cls in ("GRU", "CuDNNGRU"):
            if reset_after:
                bi = b[0] if b is not None else 0
                br = b[1] if b is not None else 0
                xz = xt @ K + bi
                rz = h @ R + br
                z = activation(ract, xz[:, :H] + rz[:, :H], keras_major)
                r = activation(ract, xz[:, H:2 * H] + rz[:, H:2 * H], keras_major)
                hh = activation(act, xz[:, 2 * H:] + r * rz[:, 2 * H:], keras_major)
            else:
                xz = xt @ K + (b if b is not None else 0)
                z = activation(ract, xz[:, :H] + h @ R[:, :H], keras_major)
                r = activation(ract, xz[:, H:2 * H] + h @ R[:, H:2 * H], keras_major)
                hh = activation(act, xz[:, 2 * H:] + (r * h) @ R[:, 2 * H:], keras_major)
            h_new = z * h + (1 - z) * hh
            c_new = cst
        elif cls == "SimpleRNN":
            h_new = activation(act, xt @ K + h @ R + (b if b is not None else 0), keras_major)
            c_new = cst
        else:
            raise NotImplementedError(cls)
        if mask is not None:
            m = mask[:, t][:, None]
            h = np.where(m, h_new, h)
            cst = np.where(m, c_new, cst)
            out = np.where(m, h_new, 0.0 if zero_output else prev_out)
        else:
            h, cst, out = h_new, c_new, h_new
        outs[:, t] = out
        prev_out = out
    return outs, prev_out


def rnn_layer(cls, c, w, x, mask, keras_major, zero_output=None):
    zo = c.get("zero_output_for_mask", False) if zero_output is None else zero_output
    seq, last = rnn_forward(cls, c, w, x, mask, keras_major, c.get("go_backwards", False), zo)
    if c.get("return_sequences", False):
        return seq, mask
    return last, None


def bidirectional(c, w, x, mask, keras_major):
    inner = c["layer"]
    cls, ic = inner["class_name"], inner["config"]
    n = len(w) // 2
    rs = ic.get("return_sequences", False)
    fw, bw_w = w[:n], w[n:]
    bc = dict(ic)
    bc["go_backwards"] = not ic.get("go_backwards", False)
    yf, _ = rnn_layer(cls, ic, fw, x, mask, keras_major, zero_output=rs)
    yb, _ = rnn_layer(cls, bc, bw_w, x, mask, keras_major, zero_output=rs)
    if rs:
        yb = yb[:, ::-1]
    mm = c.get("merge_mode", "concat")
    if mm == "concat":
        y = np.concatenate([yf, yb], axis=-1)
    elif mm == "sum":
        y = yf + yb
    elif mm == "ave":
        y = (yf + yb) / 2
    elif mm == "mul":
        y = yf * yb
    else:
        raise NotImplementedError("merge_mode %r" % mm)
    return y, (mask if rs else None)


# ---------------------------------------------------------------- conv / pooling

def _ints(v):
    return v[0] if isinstance(v, (list, tuple)) else v


def conv1d(c, w, x, keras_major):
    k = _ints(c["kernel_size"])
    s = _ints(c.get("strides", 1))
    d = _ints(c.get("dilation_rate", 1))
    pad = c.get("padding", "valid")
    K = w[0]
    Bn, T, F = x.shape
    span = d * (k - 1) + 1
    if pad == "causal":
        x = np.concatenate([np.zeros((Bn, d * (k - 1), F)), x], axis=1)
    elif pad == "same":
        out_len = -(-T // s)
        total = max((out_len - 1) * s + span - T, 0)
        left = total // 2
        x = np.concatenate([np.zeros((Bn, left, F)), x, np.zeros((Bn, total - left, F))], axis=1)
    Tp = x.shape[1]
    out_len = (Tp - span) // s + 1
    y = np.zeros((Bn, out_len, K.shape[2]))
    for t in range(out_len):
        for j in range(k):
            y[:, t] += x[:, t * s + j * d] @ K[j]
    if c.get("use_bias", True) and len(w) > 1:
        y = y + w[1]
    return activation(c.get("activation"), y, keras_major)


def pool1d(cls, c, x):
    p = _ints(c.get("pool_size", 2))
    s = _ints(c.get("strides") or p)
    pad = c.get("padding", "valid")
    Bn, T, F = x.shape
    if pad == "same":
        out_len = -(-T // s)
        total = max((out_len - 1) * s + p - T, 0)
        left = total // 2
    else:
        out_len = (T - p) // s + 1
        left = 0
    y = np.zeros((Bn, out_len, F))
    for t in range(out_len):
        lo = t * s - left
        a, b = max(lo, 0), min(lo + p, T)
        win = x[:, a:b]
        y[:, t] = win.max(axis=1) if cls.startswith("Max") else win.mean(axis=1)
    return y


# ---------------------------------------------------------------- merges

def merge(cls, c, xs, masks):
    if cls == "Concatenate":
        ax = c.get("axis", -1)
        y = np.concatenate(xs, axis=ax)
    elif cls == "Add":
        y = sum(xs[1:], xs[0])
    elif cls == "Subtract":
        y = xs[0] - xs[1]
    elif cls == "Multiply":
        y = xs[0]
        for v in xs[1:]:
            y = y * v
    elif cls == "Average":
        y = sum(xs[1:], xs[0]) / len(xs)
    elif cls == "Maximum":
        y = np.maximum.reduce(xs)
    elif cls == "Minimum":
        y = np.minimum.reduce(xs)
    else:
        raise NotImplementedError(cls)
    if all(m is None for m in masks):
        return y, None
    m = None
    for mk, v in zip(masks, xs):
        mk = np.ones(v.shape[:2], dtype=bool) if mk is None else mk
        m = mk if m is None else (np.concatenate([m, mk], axis=1) if cls == "Concatenate" and c.get("axis", -1) in (1, -2)
                                  else (m & mk))
    return y, m


def dot(c, xs):
    a, b = xs
    axes = c["axes"]
    if isinstance(axes, int):
        axes = [axes, axes]
    ax = [v if v >= 0 else v + x.ndim for v, x in zip(axes, (a, b))]
    if c.get("normalize", False):
        a = a / np.maximum(np.sqrt(np.sum(a * a, axis=ax[0], keepdims=True)), 1e-12)
        b = b / np.maximum(np.sqrt(np.sum(b * b, axis=ax[1], keepdims=True)), 1e-12)
    out = np.stack([np.tensordot(a[i], b[i], axes=([ax[0] - 1], [ax[1] - 1])) for i in range(a.shape[0])])
    if out.ndim == 1:  # Keras batch_dot keeps a feature axis of size 1
        out = out[:, None]
    return out


# ---------------------------------------------------------------- the interpreter

def _inbound(layer):
    """[(layer name, node index, tensor index)] of the layer's first call,
    for the Keras 2 list form and the Keras 3 args form."""
    nodes = layer.get("inbound_nodes") or []
    if not nodes:
        return []
    node = nodes[0]
    out = []
    if isinstance(node, dict):  # Keras 3
        def walk(v):
            if isinstance(v, dict):
                if v.get("class_name") == "__keras_tensor__":
                    h = v["config"]["keras_history"]
                    out.append((h[0], h[1], h[2]))
                    return
                for x in v.values():
                    walk(x)
            elif isinstance(v, list):
                for x in v:
                    walk(x)
        walk(node.get("args", []))
        return out
    for e in node:
        out.append((e[0], e[1], e[2]))
    return out


def inbound_all(layer):
    """_inbound plus, for MultiHeadAttention(query, value, key), the value and
    key Keras 2 records among the kwargs (Node.serialize treats every
    argument after the first as a kwarg) or Keras 3 passes by keyword;
    key dropped when it is the value tensor."""
    refs = _inbound(layer)
    if layer.get("class_name") != "MultiHeadAttention":
        return refs
    kw = _call_kwargs(layer)
    got = {}
    for i, k in enumerate(("query", "value", "key")):
        r = _tensor_ref(kw.get(k)) if k in kw else None
        if r is not None:
            got[k] = r
        elif i < len(refs):
            got[k] = refs[i]
    out = [got["query"], got["value"]]
    if "key" in got and got["key"] != got["value"]:
        out.append(got["key"])
    return out


def _call_kwargs(layer):
    """The keyword arguments of the layer's first call (Keras 2: the dict of
    every inbound entry; Keras 3: the node's kwargs)."""
    nodes = layer.get("inbound_nodes") or []
    if not nodes:
        return {}
    node = nodes[0]
    if isinstance(node, dict):
        return node.get("kwargs") or {}
    for e in node:
        if len(e) > 3 and isinstance(e[3], dict):
            return e[3]
    return {}


def _tensor_ref(v):
    """A tensor call argument -> (layer, node, tensor), or None."""
    if isinstance(v, list) and len(v) >= 3 and isinstance(v[0], str):
        return (v[0], v[1], v[2])
    if isinstance(v, dict) and v.get("class_name") == "__keras_tensor__":
        h = v["config"]["keras_history"]
        return (h[0], h[1], h[2])
    return None


def _refs(v):
    """output_layers / input_layers: [name, node, tensor] or a list of them."""
    if v and isinstance(v[0], str):
        return [tuple(v)]
    return [tuple(x) for x in v]


class Model:
    def __init__(self, cfg, weights, keras_major, custom=None, version=None):
        """cfg: {'class_name', 'config'}; weights: layer name -> [arrays]
        (a nested model's entry holds all its layers' weights in order);
        custom: custom class name -> attention form (eps, softmax,
        context-eps, context-softmax)."""
        self.cfg = cfg
        self.weights = weights
        self.km = keras_major
        self.custom = dict(custom or {})
        self.version = tuple(version) if version else (keras_major, 6 if keras_major >= 3 else 15, 0)

    def layer_list(self):
        c = self.cfg["config"]
        return c if isinstance(c, list) else c["layers"]

    def run(self, inputs):
        """inputs: list of arrays (ids int or float). Returns list of outputs."""
        outs, _ = self.call(inputs, [None] * len(inputs))
        return outs

    def call(self, inputs, in_masks):
        cls = self.cfg["class_name"]
        layers = self.layer_list()
        if cls == "Sequential":
            x, m = inputs[0], in_masks[0]
            for L in layers:
                if L["class_name"] == "InputLayer":
                    continue
                ys, ms = self.apply(L, [x], [m])
                x, m = ys[0], ms[0]
            return [x], [m]
        vals = {}
        in_refs = _refs(self.cfg["config"]["input_layers"])
        for (name, _, _), v, mk in zip(in_refs, inputs, in_masks):
            vals[(name, 0)] = (v, mk)
        for L in layers:
            name = L.get("name") or L["config"]["name"]
            if L["class_name"] == "InputLayer":
                continue
            ins = [vals[(n, t)] for n, _, t in inbound_all(L)]
            ys, ms = self.apply(L, [v for v, _ in ins], [mk for _, mk in ins])
            for k, (y, mk) in enumerate(zip(ys, ms)):
                vals[(name, k)] = (y, mk)
        outs = [vals[(n, t)] for n, _, t in _refs(self.cfg["config"]["output_layers"])]
        return [v for v, _ in outs], [mk for _, mk in outs]

    def apply(self, L, xs, masks):
        cls, c = L["class_name"], L.get("config", {})
        name = c.get("name") or L.get("name")
        w = self.weights.get(name, [])
        km = self.km
        x, m = xs[0], masks[0]
        if cls in IDENTITY:
            return [x], [m]
        if cls in ("Sequential", "Model", "Functional"):
            sub = Model(L, nested_weights(L, w), km, self.custom, self.version)
            ys, ms = sub.call(xs, masks)
            return ys, ms
        if cls == "Embedding":
            ids = np.asarray(x).astype(np.int64)
            return [w[0][ids]], [(ids != 0) if c.get("mask_zero") else None]
        if cls == "Masking":
            mv = c.get("mask_value", 0.0)
            keep = np.any(x != mv, axis=-1)
            return [x * keep[..., None]], [keep]
        if cls in ("LSTM", "GRU", "SimpleRNN"):
            y, mo = rnn_layer(cls, c, w, x, m, km)
            return [y], [mo]
        if cls == "Bidirectional":
            y, mo = bidirectional(c, w, x, m, km)
            return [y], [mo]
        if cls == "Conv1D":
            return [conv1d(c, w, x, km)], [None]
        if cls in ("MaxPooling1D", "AveragePooling1D", "MaxPool1D", "AvgPool1D"):
            return [pool1d(cls, c, x)], [None]
        if cls in ("GlobalMaxPooling1D", "GlobalMaxPool1D"):
            return [x.max(axis=1)], [None]
        if cls in ("GlobalAveragePooling1D", "GlobalAvgPool1D"):
            if m is not None:
                mf = m[..., None].astype(np.float64)
                return [(x * mf).sum(axis=1) / mf.sum(axis=1)], [None]
            return [x.mean(axis=1)], [None]
        if cls == "Flatten":
            return [x.reshape(x.shape[0], -1)], [None]
        if cls == "Reshape":
            return [x.reshape((x.shape[0],) + tuple(-1 if v is None else v for v in c["target_shape"]))], [None]
        if cls == "Permute":
            return [np.transpose(x, [0] + list(c["dims"]))], [None]
        if cls == "RepeatVector":
            return [np.repeat(x[:, None, :], c["n"], axis=1)], [None]
        if cls == "Dense":
            y = x @ w[0] + (w[1] if c.get("use_bias", True) and len(w) > 1 else 0)
            return [activation(c.get("activation"), y, km)], [m]
        if cls == "TimeDistributed":
            inner = c["layer"]
            ys, _ = self.apply_inner(inner, w, x, m)
            return [ys], [m]
        if cls == "Activation":
            return [activation(c.get("activation"), x, km)], [m]
        if cls == "ReLU":
            mv = c.get("max_value")
            th = c.get("threshold", 0.0) or 0.0
            ns = c.get("negative_slope", 0.0) or 0.0
            y = np.where(x >= th, x, ns * (x - th))
            if mv is not None:
                y = np.where(x >= mv, mv, y)
            return [y], [m]
        if cls == "LeakyReLU":
            a = c.get("negative_slope", c.get("alpha", 0.3))
            return [np.where(x >= 0, x, a * x)], [m]
        if cls == "PReLU":
            return [np.where(x >= 0, x, w[0] * x)], [m]
        if cls == "ELU":
            a = c.get("alpha", 1.0)
            return [np.where(x > 0, x, a * np.expm1(x))], [m]
        if cls == "Softmax":
            ax = c.get("axis", -1)
            ax = ax[0] if isinstance(ax, list) else ax
            xin = x
            if m is not None and x.ndim == 3 and ax in (1, -2):
                xin = x + (1.0 - m[..., None]) * -1e9
            return [softmax(xin, ax)], [m]
        if cls == "BatchNormalization":
            eps = c.get("epsilon", 1e-3)
            center, scale = c.get("center", True), c.get("scale", True)
            ws = list(w)
            gamma = ws.pop(0) if scale else 1.0
            beta = ws.pop(0) if center else 0.0
            mean, var = ws
            return [(x - mean) / np.sqrt(var + eps) * gamma + beta], [m]
        if cls == "LayerNormalization":
            eps = c.get("epsilon", 1e-3)
            mu = x.mean(axis=-1, keepdims=True)
            var = x.var(axis=-1, keepdims=True)
            y = (x - mu) / np.sqrt(var + eps)
            ws = list(w)
            if c.get("scale", True):
                y = y * ws.pop(0)
            if c.get("center", True):
                y = y + ws.pop(0)
            return [y], [m]
        if cls in ("Concatenate", "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"):
            y, mo = merge(cls, c, xs, masks)
            return [y], [mo]
        if cls == "Dot":
            return [dot(c, xs)], [None]
        if cls in self.custom:
            form = self.custom[cls]
            if form.startswith("context-"):
                return list(context_attention(w, x, m, form[len("context-"):])), [None, None]
            return list(attention(c, w, x, m, form, both=True)), [None, None]
        if cls == "Attention" and "use_scale" not in c and "score_mode" not in c and len(xs) == 1:
            return [attention(c, w, x, m)], [None]
        if cls in ("Attention", "AdditiveAttention"):
            ys = dense_attention(L, c, w, xs, masks, "additive" if cls == "AdditiveAttention" else "dot")
            return ys, [m] + [None] * (len(ys) - 1)
        if cls == "MultiHeadAttention":
            ys = multi_head_attention(L, c, w, xs, masks, self.version)
            return ys, [m] + [None] * (len(ys) - 1)
        raise NotImplementedError("layer class %s" % cls)

    def apply_inner(self, inner, w, x, m):
        L = dict(inner)
        L["config"] = dict(inner["config"])
        name = "__inner__"
        L["config"]["name"] = name
        saved = self.weights
        self.weights = {name: w}
        try:
            ys, ms = self.apply(L, [x], [m])
        finally:
            self.weights = saved
        return ys[0], ms[0]


def weight_count(L):
    """How many weights a layer of the config has, in Keras order."""
    cls, c = L["class_name"], L.get("config", {})
    if cls in ("Sequential", "Model", "Functional"):
        layers = c if isinstance(c, list) else c["layers"]
        return sum(weight_count(x) for x in layers)
    if cls == "Embedding":
        return 1
    if cls in ("LSTM", "GRU", "SimpleRNN"):
        return 3 if c.get("use_bias", True) else 2
    if cls == "Bidirectional":
        return 2 * weight_count(c["layer"])
    if cls in ("Conv1D", "Dense"):
        return 2 if c.get("use_bias", True) else 1
    if cls == "TimeDistributed":
        return weight_count(c["layer"])
    if cls == "PReLU":
        return 1
    if cls == "BatchNormalization":
        return 2 + int(c.get("center", True)) + int(c.get("scale", True))
    if cls == "LayerNormalization":
        return int(c.get("center", True)) + int(c.get("scale", True))
    if cls == "Attention" and ("use_scale" in c or "score_mode" in c):
        return int(bool(c.get("use_scale"))) + int(c.get("score_mode") == "concat")
    if cls == "Attention":
        return 2 if c.get("bias", True) else 1
    if cls == "AdditiveAttention":
        return int(bool(c.get("use_scale", True)))
    if cls == "MultiHeadAttention":
        return 8 if c.get("use_bias", True) else 4
    return 0


def nested_weights(L, flat):
    c = L["config"]
    layers = c if isinstance(c, list) else c["layers"]
    out, i = {}, 0
    for x in layers:
        n = weight_count(x)
        out[x.get("config", {}).get("name") or x.get("name")] = flat[i:i + n]
        i += n
    return out


def attention(c, w, x, mask, form=None, both=False):
    Bn, T, F = x.shape
    W = w[0].reshape(F)
    e = x @ W
    if len(w) > 1:
        e = e + w[1].reshape(T)
    e = np.tanh(e)
    form = form or ("softmax" if w[0].ndim == 2 else "eps")
    if form == "softmax":  # the seed-003 layer: softmax over the steps, no mask
        a = softmax(e, 1)
    else:
        a = np.exp(e)
        if mask is not None:
            a = a * mask
        a = a / (a.sum(axis=1, keepdims=True) + 1e-7)
    out = (x * a[..., None]).sum(axis=1)
    return (out, a) if both else out


def context_attention(w, x, mask, form):
    """AttentionWithContext / AttLayer (weights W [F, A], b [A], u [A] or
    [A, 1], or W, u without bias): uit = tanh(x W + b); ait = uit . u."""
    W = w[0]
    b = w[1] if len(w) == 3 else 0.0
    u = w[-1].reshape(-1)
    e = np.tanh(x @ W + b) @ u
    if form == "eps":
        a = np.exp(e)
        if mask is not None:
            a = a * mask
        a = a / (a.sum(axis=1, keepdims=True) + 1e-7)
    else:
        keep = np.ones(e.shape, bool) if mask is None else mask.astype(bool)
        z = np.where(keep, e, -np.inf)
        a = np.exp(z - z.max(axis=1, keepdims=True)) * keep
        a = a / a.sum(axis=1, keepdims=True)
    return (x * a[..., None]).sum(axis=1), a


def _score_mask(Bn, Tq, Tv, v_mask, causal):
    """[B, Tq, Tv] visibility: the value mask (Attention._calculate_score_mask
    expands it to [B, 1, Tv]) AND the lower-triangular causal mask
    (row index >= column index, cumsum of ones in both axes)."""
    m = np.ones((Bn, Tq, Tv), bool)
    if v_mask is not None:
        m &= v_mask.astype(bool)[:, None, :]
    if causal:
        m &= np.tril(np.ones((Tq, Tv), bool))[None]
    return m


def masked_softmax(s, m):
    """Softmax over the last axis with hidden positions at `s - 1e9` as
    float32 Keras computes it: exactly 0 where another position is visible,
    uniform over the whole row when none is (see the module docstring)."""
    none = ~m.any(axis=-1, keepdims=True)
    z = np.where(m | none, np.where(none, 0.0, s), -np.inf)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def dense_attention(L, c, w, xs, masks, kind):
    """Keras Attention ("dot") / AdditiveAttention ("additive"); returns
    [output] or [output, scores] (return_attention_scores)."""
    q, v = xs[0], xs[1]
    k = xs[2] if len(xs) > 2 else v
    q_mask, v_mask = masks[0], masks[1]
    kw = _call_kwargs(L)
    causal = bool(c.get("causal", False)) or bool(kw.get("use_causal_mask", False))
    ws = list(w)
    use_scale = c.get("use_scale", kind == "additive")
    qk = q[:, :, None, :] + k[:, None, :, :]
    if kind == "dot":
        scale = ws.pop(0).reshape(()) if use_scale else None
        if c.get("score_mode", "dot") == "dot":
            s = q @ np.transpose(k, (0, 2, 1))
            if scale is not None:
                s = s * scale
        else:
            cw = ws.pop(0).reshape(())
            s = cw * np.tanh(qk if scale is None else scale * qk).sum(axis=-1)
    else:
        scale = ws.pop(0).reshape(-1) if use_scale else 1.0
        s = (scale * np.tanh(qk)).sum(axis=-1)
    a = masked_softmax(s, _score_mask(q.shape[0], q.shape[1], v.shape[1], v_mask, causal))
    out = a @ v
    if q_mask is not None:
        out = out * q_mask[..., None]
    return [out, a] if kw.get("return_attention_scores", False) else [out]


def multi_head_attention(L, c, w, xs, masks, version=(2, 15, 0)):
    """Keras MultiHeadAttention over the steps axis; returns [output] or
    [output, scores [B, h, Tq, Tv]]. A query row with no visible key gets
    uniform weights, or zero weights in Keras >= 3.10 when the scores are
    returned (its Softmax layer multiplies the result by the mask; without
    scores Keras 3 calls ops.dot_product_attention, which replaces masked
    logits by a large negative number: uniform)."""
    q, v = xs[0], xs[1]
    k = xs[2] if len(xs) > 2 else v
    q_mask, v_mask = masks[0], masks[1]
    k_mask = masks[2] if len(xs) > 2 else None
    kw = _call_kwargs(L)
    h, dk = c["num_heads"], c["key_dim"]
    use_bias = c.get("use_bias", True)
    ws = list(w)

    def proj(x):
        kern = ws.pop(0)
        y = np.einsum("btd,dhk->bthk", x, kern)
        return y + ws.pop(0) if use_bias else y
    Q = proj(q) / math.sqrt(float(dk))
    K = proj(k)
    V = proj(v)
    s = np.einsum("bshk,bthk->bhts", K, Q)
    Bn, Tq, Tv = q.shape[0], q.shape[1], v.shape[1]
    m = _score_mask(Bn, Tq, Tv, v_mask, bool(kw.get("use_causal_mask", False)))
    if q_mask is not None:
        m &= q_mask.astype(bool)[:, :, None]
    if k_mask is not None:
        m &= k_mask.astype(bool)[:, None, :]
    a = masked_softmax(s, m[:, None])
    if tuple(version) >= (3, 10, 0) and kw.get("return_attention_scores", False):
        a = a * m[:, None].any(axis=-1, keepdims=True)
    o = np.einsum("bhts,bshv->bthv", a, V)
    out = np.einsum("bthv,hvo->bto", o, ws.pop(0))
    if use_bias:
        out = out + ws.pop(0)
    return [out, a] if kw.get("return_attention_scores", False) else [out]


def keras_major_of(version, default=2):
    try:
        return int(str(version).split(".")[0])
    except ValueError:
        return default


def layer_list_of(cfg):
    c = cfg["config"]
    return c if isinstance(c, list) else c["layers"]


def _attr_strings(g, name):
    v = g.attrs.get(name)
    if v is None:
        return []
    return [x.decode("utf8") if isinstance(x, bytes) else str(x) for x in v]


def _snake(name):
    import re
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def _k3_vars(g):
    if "vars" not in g:
        return []
    v = g["vars"]
    return [np.asarray(v[k], dtype=np.float64) for k in sorted(v.keys(), key=int)]


def _k3_weights(root, cfg):
    """Keras 3 weights file: layers/<snake_case class>[_k] in model.layers
    order (saving_lib.py _save_state / _walk_saveable)."""
    out = {}
    used = {}
    for L in layer_list_of(cfg):
        cls = L["class_name"]
        if cls == "InputLayer" and cfg["class_name"] == "Sequential":
            continue
        s = _snake(cls)
        if s in used:
            used[s] += 1
            s = "%s_%d" % (s, used[s])
        else:
            used[s] = 0
        if s not in root["layers"]:
            continue
        g = root["layers"][s]
        if cls == "Bidirectional":
            ws = []
            for side in ("forward_layer", "backward_layer"):
                sg = g[side]
                ws += _k3_vars(sg["cell"] if "cell" in sg else sg)
        elif "cell" in g:
            ws = _k3_vars(g["cell"])
        elif cls == "MultiHeadAttention":
            ws = [a for sub in ("query_dense", "key_dense", "value_dense", "output_dense") for a in _k3_vars(g[sub])]
        else:
            ws = _k3_vars(g)
        out[L["config"]["name"]] = ws
    return out


def load_keras_file(path):
    """(config, layer name -> weights in Keras order, Keras major version)
    of a Keras model.save file: .h5 (Keras 2.x, or Keras 3's legacy h5) or
    a Keras 3 .keras zip."""
    import io
    import zipfile
    import h5py
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            cfg = json.loads(z.read("config.json"))
            meta = json.loads(z.read("metadata.json")) if "metadata.json" in z.namelist() else {}
            with h5py.File(io.BytesIO(z.read("model.weights.h5")), "r") as f:
                return cfg, _k3_weights(f, cfg), keras_major_of(meta.get("keras_version", "3"), 3)
    with h5py.File(path, "r") as f:
        mc = f.attrs["model_config"]
        cfg = json.loads(mc.decode("utf8") if isinstance(mc, bytes) else mc)
        kv = f.attrs.get("keras_version", b"2")
        major = keras_major_of(kv.decode() if isinstance(kv, bytes) else kv, 2)
        g = f["model_weights"] if "model_weights" in f else f
        weights = {}
        for name in _attr_strings(g, "layer_names"):
            lg = g[name]
            weights[name] = [np.asarray(lg[n], dtype=np.float64) for n in _attr_strings(lg, "weight_names")]
        return cfg, weights, major


def run_dump(doc, keras_major):
    """A make-models.js dump -> list of outputs (float64)."""
    weights = {}
    for wd in doc["weights"]:
        weights.setdefault(wd["layer"], []).append(
            np.asarray(wd["data"], dtype=np.float32).astype(np.float64).reshape(wd["shape"]))
    inputs = []
    for x in doc["inputs"]:
        a = np.asarray(x["data"]).reshape(x["shape"])
        inputs.append(a.astype(np.int64) if x["dtype"] == "int32" else a.astype(np.float32).astype(np.float64))
    version = None
    if keras_major >= 3 and doc.get("k3_version"):
        version = [int(v) for v in doc["k3_version"].split(".")[:3]]
    return Model(doc["config"], weights, keras_major, doc.get("custom"), version).run(inputs)


if __name__ == "__main__":
    import sys
    d = json.load(open(sys.argv[1]))
    for o in run_dump(d, 2):
        print(o.shape, o.ravel()[:8])
