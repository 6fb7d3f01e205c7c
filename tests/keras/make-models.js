#!/usr/bin/env node
// Builds the reference models with TensorFlow.js (pure JS CPU backend), gives
// them seeded weights, runs a fixed batch through them and dumps, per model,
// OUTDIR/<name>.json:
//   config   the Keras model config (model.toJSON(null, false): Keras 2 form;
//            write-keras.py turns it into exactly what tf.keras / Keras 3 write)
//   weights  every weight in its layer's weight order: layer, its tf.keras
//            2.x name (keras_name), param (kernel, forward/bias, ...),
//            shape, float32 values
//   inputs   the batch (B = 3), int32 ids or float32 values
//   tfjs     tfjs' predictions for every output (float32), when tfjs can run
//            the model as Keras would
//   ref      "tfjs" or "numpy": which implementation is the reference
//   layouts  the Keras file layouts write-keras.py produces for it
// Models whose Keras semantics tfjs lacks (GRU reset_after=True, causal
// Conv1D, the custom attention layer) are built in tfjs with a stand-in of
// the same shapes (reset_after=False GRU, 'same' Conv1D, a global pooling
// layer), then their config and weights are patched into the Keras form;
// numpy_ref.py computes their reference.
//
// usage: node make-models.js OUTDIR [--only NAME,...]
'use strict';
const fs = require('fs');
const path = require('path');

// tfjs prints a banner about tfjs-node when its backend starts: console.log
// and console.warn stay muted, the report goes to stdout directly.
console.log = console.warn = () => {};
const tf = require('@tensorflow/tfjs');
tf.setBackend('cpu');

const B = 3;

// ---------------------------------------------------------------- seeded random

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6D2B79F5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Rng {
  constructor(seed) { this.u = mulberry32(seed * 7919 + 17); }
  uniform(lo, hi) { return lo + (hi - lo) * this.u(); }
  normal(mu, sd) {
    const u1 = Math.max(this.u(), 1e-12), u2 = this.u();
    return mu + sd * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }
  int(lo, hi) { return lo + Math.floor(this.u() * (hi - lo)); }  // [lo, hi)
}

const prod = (a) => a.reduce((x, y) => x * y, 1);

// Values for one weight, by its Keras name. Scales keep pre-activations
// around 1 so that no gate or activation saturates (a saturated reference
// would hide errors in the formulas).
function weightValues(rng, wname, shape, scale) {
  const n = prod(shape);
  const base = wname.split('/').pop();
  const out = new Float32Array(n);
  const fanIn = shape.length >= 2 ? prod(shape.slice(0, -1)) : shape[0];
  for (let i = 0; i < n; i++) {
    let v;
    switch (base) {
      case 'embeddings': v = rng.normal(0, 0.8); break;
      case 'kernel': v = rng.normal(0, (scale || 1.0) / Math.sqrt(fanIn)); break;
      case 'recurrent_kernel': v = rng.normal(0, 0.9 / Math.sqrt(shape[0])); break;
      case 'bias': v = rng.normal(0, 0.3); break;
      case 'gamma': v = 1 + rng.uniform(-0.3, 0.3); break;
      case 'beta': v = rng.normal(0, 0.2); break;
      case 'moving_mean': v = rng.normal(0, 0.3); break;
      case 'moving_variance': v = rng.uniform(0.5, 1.5); break;
      case 'alpha': v = rng.uniform(0.05, 0.4); break;
      default: v = rng.normal(0, 0.5);
    }
    out[i] = v;
  }
  return out;
}

// tfjs names a Bidirectional's weights bi/forward_<inner>/kernel; Keras
// names are rebuilt by write-keras.py from the layer class, so only the
// last component (the parameter) and the direction are kept here.
function kerasParam(wname) {
  const parts = wname.split('/');
  const p = parts[parts.length - 1];
  if (parts.some((s) => s.startsWith('forward_'))) return 'forward/' + p;
  if (parts.some((s) => s.startsWith('backward_'))) return 'backward/' + p;
  return p;
}

// ---------------------------------------------------------------- inputs

// ids [B, T] in [1, V) with padding zeros: sample 0 front-padded, sample 1
// back-padded, sample 2 unpadded (mask_zero models see both paddings).
function idsInput(rng, T, V, pad) {
  const d = new Int32Array(B * T);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      let v = rng.int(1, V);
      if (pad && b === 0 && t < 2) v = 0;
      if (pad && b === 1 && t >= T - 2) v = 0;
      if (pad && b === 2 && t === Math.floor(T / 2)) v = 0;  // a hole inside the sequence
      d[b * T + t] = v;
    }
  }
  return d;
}

// float [B, ...shape]; with maskSteps, whole steps are zeros (Masking's
// mask_value 0) in front of sample 0 and at the end of sample 1.
function floatInput(rng, shape, maskSteps, sd) {
  const per = prod(shape);
  const d = new Float32Array(B * per);
  const T = shape[0], F = per / T;
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      for (let f = 0; f < F; f++) {
        let v = rng.normal(0, sd || 1.0);
        if (maskSteps && ((b === 0 && t < 2) || (b === 1 && t >= T - 2))) v = 0;
        d[(b * T + t) * F + f] = v;
      }
    }
  }
  return d;
}

// ---------------------------------------------------------------- model specs

const L = tf.layers;
const SPECS = [];
// Every model as a tf.keras 2.x model.save .h5; the models that cover a
// layout's naming rules (RNN cells, Bidirectional, nested models, merges, the
// custom attention) in all four layouts. Each file costs one converter run,
// and the suite has to stay within its time budget.
const ALL = ['tf2_h5'];
const WITH_K3 = ['tf2_h5', 'tf2_weights', 'k3_keras', 'k3_weights'];

// spec(name, opts, build): build(spec) returns {model, inputs: [{kind, ...}]}
function spec(name, opts, build) { SPECS.push(Object.assign({ name, build, layouts: ALL, ref: 'tfjs' }, opts)); }

function seqIds(name, T, V, E, maskZero, layers, extra) {
  const m = tf.sequential({ name });
  m.add(L.embedding({ name: 'emb', inputDim: V, outputDim: E, inputLength: T, maskZero, ...(extra || {}) }));
  layers.forEach((l) => m.add(l));
  return { model: m, inputs: [{ kind: 'ids', T, V, pad: true }] };
}

function seqFloat(name, shape, layers, maskSteps) {
  const m = tf.sequential({ name });
  m.add(L.inputLayer({ name: 'in', inputShape: shape }));
  layers.forEach((l) => m.add(l));
  return { model: m, inputs: [{ kind: 'float', shape, maskSteps: !!maskSteps }] };
}

// tfjs defaults recurrent_activation to hard_sigmoid (Keras 2.2's default);
// tf.keras 2.x and Keras 3 default to sigmoid, so the models say which.
const lstm = (o) => L.lstm(Object.assign({ recurrentActivation: 'sigmoid' }, o));
const gru = (o) => L.gru(Object.assign({ recurrentActivation: 'sigmoid' }, o));
const RNN = { lstm, gru, simple: L.simpleRNN };
function rnn(cell, o) {
  const a = Object.assign({}, o);
  if (cell === 'simple') delete a.recurrentActivation;
  return RNN[cell](a);
}

// -- recurrent layers: cells x return_sequences x go_backwards x masks
let seed = 1;
for (const cell of ['lstm', 'gru', 'simple']) {
  for (const rs of [false, true]) {
    for (const gb of [false, true]) {
      const T = 6 + (seed % 4), H = [3, 5, 17, 7][seed % 4], E = [4, 9, 16, 6][seed % 4];
      // with return_sequences the next layer gets the mask: a TimeDistributed-free Dense keeps it
      spec(`${cell}-rs${rs ? 1 : 0}-gb${gb ? 1 : 0}-mask`, { seed: seed++, layouts: gb ? ALL : WITH_K3 }, (s) =>
        seqIds(s.name, T, 23, E, true, [rnn(cell, { name: 'rnn', units: H, returnSequences: rs, goBackwards: gb }),
          L.dense({ name: 'out', units: 2, activation: 'linear' })]));
    }
  }
  spec(`${cell}-nomask-float`, { seed: seed++ }, (s) =>
    seqFloat(s.name, [7, 5], [rnn(cell, { name: 'rnn', units: 4, returnSequences: true }),
      L.dense({ name: 'out', units: 3, activation: 'tanh' })]));
}
// cell and recurrent activations, use_bias=False
const ACTS = ['tanh', 'relu', 'sigmoid', 'hardSigmoid', 'linear'];
for (const cell of ['lstm', 'gru', 'simple']) {
  ACTS.forEach((act, i) => {
    const ract = ACTS[(i + 2) % ACTS.length];
    const useBias = i !== 1;
    spec(`${cell}-act-${act}-ract-${cell === 'simple' ? 'none' : ract}${useBias ? '' : '-nobias'}`.replace(/hardSigmoid/g, 'hsig'),
      { seed: seed++, layouts: (act === 'hardSigmoid' || ract === 'hardSigmoid') ? WITH_K3 : ALL }, (s) =>
        seqIds(s.name, 7, 19, 5, i % 2 === 0, [rnn(cell, { name: 'rnn', units: 6, activation: act, recurrentActivation: ract,
          useBias, returnSequences: false }), L.dense({ name: 'out', units: 1, activation: 'sigmoid' })]));
  });
}
// Bidirectional merge modes (return_sequences=False: tfjs and Keras agree with a mask)
for (const cell of ['lstm', 'gru', 'simple']) {
  for (const mm of ['concat', 'sum', 'ave', 'mul']) {
    spec(`bi-${cell}-${mm}`, { seed: seed++, layouts: mm === 'concat' ? WITH_K3 : ALL }, (s) =>
      seqIds(s.name, 8, 29, 6, true, [L.bidirectional({ name: 'bi', mergeMode: mm,
        layer: rnn(cell, { name: cell, units: 5, returnSequences: false }) }),
      L.dense({ name: 'out', units: 3, activation: 'softmax' })]));
  }
}
// Bidirectional return_sequences without a mask (with a mask: see the numpy models)
for (const mm of ['concat', 'sum', 'ave', 'mul']) {
  spec(`bi-lstm-rs-${mm}-nomask`, { seed: seed++ }, (s) =>
    seqIds(s.name, 7, 17, 5, false, [L.bidirectional({ name: 'bi', mergeMode: mm,
      layer: lstm({ name: 'lstm', units: 4, returnSequences: true }) }),
    L.dense({ name: 'out', units: 2, activation: 'linear' })]));
}
spec('bi-gru-gb-nomask', { seed: seed++ }, (s) =>
  seqFloat(s.name, [6, 4], [L.bidirectional({ name: 'bi', mergeMode: 'concat',
    layer: gru({ name: 'gru', units: 3, goBackwards: true, returnSequences: true }) }),
  L.flatten({ name: 'flat' }), L.dense({ name: 'out', units: 2 })]));
// Masking layer -> recurrent (float inputs with all-zero steps)
spec('masking-lstm', { seed: seed++, layouts: WITH_K3 }, (s) =>
  seqFloat(s.name, [8, 5], [L.masking({ name: 'mask', maskValue: 0 }),
    lstm({ name: 'lstm', units: 6 }), L.dense({ name: 'out', units: 2, activation: 'softmax' })], true));
spec('masking-bigru-sum', { seed: seed++ }, (s) =>
  seqFloat(s.name, [9, 3], [L.masking({ name: 'mask', maskValue: 0 }),
    L.bidirectional({ name: 'bi', mergeMode: 'sum', layer: gru({ name: 'gru', units: 4 }) }),
    L.dense({ name: 'out', units: 1, activation: 'sigmoid' })], true));
// stacked recurrent layers, 2 and 3 deep
spec('stacked-lstm-2', { seed: seed++, layouts: WITH_K3 }, (s) =>
  seqIds(s.name, 9, 31, 8, true, [lstm({ name: 'l1', units: 7, returnSequences: true }),
    lstm({ name: 'l2', units: 5 }), L.dense({ name: 'out', units: 1, activation: 'sigmoid' })]));
spec('stacked-mixed-3', { seed: seed++ }, (s) =>
  seqIds(s.name, 10, 31, 6, true, [gru({ name: 'g1', units: 5, returnSequences: true }),
    L.simpleRNN({ name: 's2', units: 4, returnSequences: true, goBackwards: true }),
    lstm({ name: 'l3', units: 3 }), L.dense({ name: 'out', units: 2, activation: 'softmax' })]));
spec('stacked-bilstm-2-nomask', { seed: seed++ }, (s) =>
  seqIds(s.name, 8, 25, 6, false, [L.bidirectional({ name: 'bi1', layer: lstm({ name: 'l1', units: 4, returnSequences: true }) }),
    L.bidirectional({ name: 'bi2', layer: lstm({ name: 'l2', units: 3 }) }),
    L.dense({ name: 'out', units: 1, activation: 'sigmoid' })]));
spec('stacked-bi-3-nomask', { seed: seed++ }, (s) =>
  seqIds(s.name, 6, 25, 5, false, [L.bidirectional({ name: 'bi1', mergeMode: 'sum', layer: gru({ name: 'g1', units: 4, returnSequences: true }) }),
    L.bidirectional({ name: 'bi2', mergeMode: 'ave', layer: lstm({ name: 'l2', units: 5, returnSequences: true }) }),
    L.bidirectional({ name: 'bi3', mergeMode: 'concat', layer: L.simpleRNN({ name: 's3', units: 3 }) }),
    L.dense({ name: 'out', units: 2, activation: 'softmax' })]));

// whole models: TextBiRNN and stacked BiLSTM
spec('textbirnn', { seed: seed++, layouts: WITH_K3 }, (s) =>
  seqIds(s.name, 12, 40, 16, true, [L.bidirectional({ name: 'bi', layer: lstm({ name: 'lstm', units: 16 }) }),
    L.dense({ name: 'out', units: 1, activation: 'sigmoid' })]));
spec('textbirnn-nomask-h17', { seed: seed++ }, (s) =>
  seqIds(s.name, 11, 40, 10, false, [L.bidirectional({ name: 'bi', layer: lstm({ name: 'lstm', units: 17 }) }),
    L.dense({ name: 'out', units: 4, activation: 'softmax' })]));
spec('stacked-bilstm-mask', { seed: seed++, layouts: WITH_K3 }, (s) =>
  seqIds(s.name, 10, 40, 8, true, [L.bidirectional({ name: 'bi1', layer: lstm({ name: 'l1', units: 6, returnSequences: true }) }),
    L.bidirectional({ name: 'bi2', layer: lstm({ name: 'l2', units: 5 }) }),
    L.dense({ name: 'out', units: 1, activation: 'sigmoid' })]));

// -- convolution and pooling
const CONV = [
  ['valid', 1, 1, 'relu'], ['same', 1, 1, 'linear'], ['valid', 2, 1, 'tanh'], ['same', 2, 1, 'elu'],
  ['valid', 1, 2, 'sigmoid'], ['same', 1, 3, 'selu'], ['same', 3, 1, 'swish'], ['valid', 1, 1, 'softplus'],
];
CONV.forEach(([pad, st, dil, act], i) => {
  spec(`conv1d-${pad}-s${st}-d${dil}-${act}`, { seed: seed++, layouts: i < 2 ? WITH_K3 : ALL }, (s) =>
    seqFloat(s.name, [11, 4], [L.conv1d({ name: 'conv', filters: 5, kernelSize: 3, strides: st, dilationRate: dil,
      padding: pad, activation: act, useBias: i !== 3 }), L.flatten({ name: 'flat' })]));
});
for (const [cls, fn] of [['max', L.maxPooling1d], ['avg', L.averagePooling1d]]) {
  for (const [pad, ps, st] of [['valid', 2, 2], ['same', 3, 2], ['valid', 3, 1], ['same', 2, 3]]) {
    spec(`pool1d-${cls}-${pad}-p${ps}-s${st}`, { seed: seed++ }, (s) =>
      seqFloat(s.name, [10, 3], [fn({ name: 'pool', poolSize: ps, strides: st, padding: pad }), L.flatten({ name: 'flat' })]));
  }
}
spec('global-pools', { seed: seed++, layouts: WITH_K3 }, (s) => {
  const x = tf.input({ name: 'x', shape: [7, 4] });
  const a = L.globalMaxPooling1d({ name: 'gmax' }).apply(x);
  const b = L.globalAveragePooling1d({ name: 'gavg' }).apply(x);
  return { model: tf.model({ name: s.name, inputs: x, outputs: [a, b] }), inputs: [{ kind: 'float', shape: [7, 4] }] };
});

// -- dense, activations, shape layers
const DENSE_ACTS = ['linear', 'relu', 'relu6', 'elu', 'selu', 'gelu', 'swish', 'tanh', 'sigmoid', 'hardSigmoid',
  'softplus', 'softsign', 'softmax'];
DENSE_ACTS.forEach((act, i) => {
  spec(`dense-${act}`.replace('hardSigmoid', 'hsig'), { seed: seed++, layouts: act === 'hardSigmoid' || i % 4 === 0 ? WITH_K3 : ALL },
    (s) => seqFloat(s.name, [6], [L.dense({ name: 'd', units: 7, activation: act, kernelInitializer: 'zeros' })]));
});
spec('dense-3d-nobias', { seed: seed++ }, (s) =>
  seqFloat(s.name, [5, 4], [L.dense({ name: 'd', units: 3, useBias: false, activation: 'tanh' })]));
spec('timedistributed-dense', { seed: seed++ }, (s) =>
  seqFloat(s.name, [6, 5], [L.timeDistributed({ name: 'td', layer: L.dense({ name: 'inner', units: 4, activation: 'relu' }) })]));
spec('act-layers', { seed: seed++, layouts: WITH_K3 }, (s) => {
  const x = tf.input({ name: 'x', shape: [5, 6] });
  const h = L.dense({ name: 'd', units: 6 }).apply(x);
  const outs = [
    L.activation({ name: 'a_tanh', activation: 'tanh' }).apply(h),
    L.reLU({ name: 'relu' }).apply(h),
    L.reLU({ name: 'relu_max', maxValue: 0.5 }).apply(h),
    L.leakyReLU({ name: 'leaky', alpha: 0.2 }).apply(h),
    L.prelu({ name: 'prelu' }).apply(h),
    L.elu({ name: 'elu' }).apply(h),  // tfjs' ELU layer takes only alpha = 1
    L.softmax({ name: 'softmax', axis: -1 }).apply(h),  // tfjs' default axis is 1, Keras' -1
  ];
  return { model: tf.model({ name: s.name, inputs: x, outputs: outs }), inputs: [{ kind: 'float', shape: [5, 6] }] };
});
spec('norms', { seed: seed++, layouts: WITH_K3 }, (s) =>
  seqFloat(s.name, [6, 5], [L.batchNormalization({ name: 'bn', epsilon: 1e-3 }),
    L.layerNormalization({ name: 'ln', epsilon: 1e-5 }), L.dense({ name: 'd', units: 3 })]));
spec('batchnorm-2d', { seed: seed++ }, (s) =>
  seqFloat(s.name, [7], [L.batchNormalization({ name: 'bn', epsilon: 0.01 }), L.dense({ name: 'd', units: 2 })]));
spec('shape-layers', { seed: seed++, layouts: WITH_K3 }, (s) => {
  const x = tf.input({ name: 'x', shape: [6, 4] });
  const p = L.permute({ name: 'perm', dims: [2, 1] }).apply(x);                 // [4, 6]
  const r = L.reshape({ name: 'resh', targetShape: [3, 8] }).apply(p);          // [3, 8]
  const f = L.flatten({ name: 'flat' }).apply(r);                               // [24]
  const d = L.dense({ name: 'd', units: 5 }).apply(f);
  const rv = L.repeatVector({ name: 'rep', n: 3 }).apply(d);                    // [3, 5]
  const r1 = L.reshape({ name: 'resh1', targetShape: [-1, 3] }).apply(rv);  // [5, 3]
  return { model: tf.model({ name: s.name, inputs: x, outputs: [r, rv, r1] }), inputs: [{ kind: 'float', shape: [6, 4] }] };
});

// -- merges and multi-input / multi-output functional models
spec('merges', { seed: seed++, layouts: WITH_K3 }, (s) => {
  const a = tf.input({ name: 'a', shape: [5, 4] });
  const b = tf.input({ name: 'b', shape: [5, 4] });
  const outs = [
    L.concatenate({ name: 'cat_f', axis: -1 }).apply([a, b]),
    L.concatenate({ name: 'cat_t', axis: 1 }).apply([a, b]),
    L.add({ name: 'add' }).apply([a, b]),
    L.multiply({ name: 'mul' }).apply([a, b]),
    L.average({ name: 'avg' }).apply([a, b]),
    L.maximum({ name: 'max' }).apply([a, b]),
    L.minimum({ name: 'min' }).apply([a, b]),
  ];
  return { model: tf.model({ name: s.name, inputs: [a, b], outputs: outs }),
    inputs: [{ kind: 'float', shape: [5, 4] }, { kind: 'float', shape: [5, 4] }] };
});
// tfjs has no Subtract layer: built as Add, patched to Subtract
spec('merge-subtract', { seed: seed++, ref: 'numpy', layouts: WITH_K3, patch: { className: { sub: 'Subtract' } } }, (s) => {
  const a = tf.input({ name: 'a', shape: [5, 4] });
  const b = tf.input({ name: 'b', shape: [5, 4] });
  const d = L.add({ name: 'sub' }).apply([a, b]);
  return { model: tf.model({ name: s.name, inputs: [a, b], outputs: L.dense({ name: 'd', units: 3 }).apply(d) }),
    inputs: [{ kind: 'float', shape: [5, 4] }, { kind: 'float', shape: [5, 4] }] };
});
spec('merge-three', { seed: seed++ }, (s) => {
  const a = tf.input({ name: 'a', shape: [6] });
  const b = L.dense({ name: 'db', units: 6 }).apply(a);
  const c = L.dense({ name: 'dc', units: 6, activation: 'tanh' }).apply(a);
  const m = L.add({ name: 'add3' }).apply([a, b, c]);
  const n = L.concatenate({ name: 'cat3' }).apply([a, b, c]);
  return { model: tf.model({ name: s.name, inputs: a, outputs: [m, n] }), inputs: [{ kind: 'float', shape: [6] }] };
});
spec('dots', { seed: seed++ }, (s) => {
  const a = tf.input({ name: 'a', shape: [5, 4] });
  const b = tf.input({ name: 'b', shape: [5, 4] });
  const v = tf.input({ name: 'v', shape: [4] });
  const w = L.dense({ name: 'dw', units: 4 }).apply(v);
  const outs = [
    L.dot({ name: 'dot_tt', axes: [1, 1] }).apply([a, b]),        // [4, 4]
    L.dot({ name: 'dot_ff', axes: [2, 2] }).apply([a, b]),        // [5, 5]
    L.dot({ name: 'dot_vv', axes: 1 }).apply([v, w]),             // [1]
    L.dot({ name: 'dot_vv_n', axes: 1, normalize: true }).apply([v, w]),
    L.dot({ name: 'dot_av', axes: [2, 1] }).apply([a, v]),        // [5]
  ];
  return { model: tf.model({ name: s.name, inputs: [a, b, v], outputs: outs }),
    inputs: [{ kind: 'float', shape: [5, 4] }, { kind: 'float', shape: [5, 4] }, { kind: 'float', shape: [4] }] };
});
// tfjs' predict fails on merged masks (a broadcast error): numpy reference
spec('masked-merge-rnn', { seed: seed++, ref: 'numpy', layouts: WITH_K3 }, (s) => {
  // two embeddings of the same ids: the masks AND; the RNN sees the merged mask
  const ids = tf.input({ name: 'ids', shape: [8], dtype: 'int32' });
  const e1 = L.embedding({ name: 'e1', inputDim: 20, outputDim: 5, maskZero: true }).apply(ids);
  const e2 = L.embedding({ name: 'e2', inputDim: 20, outputDim: 5, maskZero: false }).apply(ids);
  const m = L.add({ name: 'add' }).apply([e1, e2]);
  const c = L.concatenate({ name: 'cat' }).apply([e1, e2]);
  const r1 = lstm({ name: 'l1', units: 4 }).apply(m);
  const r2 = gru({ name: 'g2', units: 3 }).apply(c);
  const o = L.concatenate({ name: 'cat_out' }).apply([r1, r2]);
  return { model: tf.model({ name: s.name, inputs: ids, outputs: L.dense({ name: 'out', units: 2 }).apply(o) }),
    inputs: [{ kind: 'ids', T: 8, V: 20, pad: true }] };
});
spec('multi-output', { seed: seed++, layouts: WITH_K3 }, (s) => {
  const ids = tf.input({ name: 'ids', shape: [9], dtype: 'int32' });
  const e = L.embedding({ name: 'emb', inputDim: 30, outputDim: 6 }).apply(ids);
  const r = lstm({ name: 'lstm', units: 5, returnSequences: true }).apply(e);
  const g = L.globalMaxPooling1d({ name: 'gmp' }).apply(r);
  const o1 = L.dense({ name: 'cls', units: 3, activation: 'softmax' }).apply(g);
  const o2 = L.dense({ name: 'reg', units: 1 }).apply(g);
  const o3 = L.timeDistributed({ name: 'tag', layer: L.dense({ name: 'tagd', units: 2, activation: 'sigmoid' }) }).apply(r);
  return { model: tf.model({ name: s.name, inputs: ids, outputs: [o1, o2, o3] }), inputs: [{ kind: 'ids', T: 9, V: 30, pad: false }] };
});
spec('nested-sequential', { seed: seed++, layouts: WITH_K3 }, (s) => {
  const inner = tf.sequential({ name: 'head' });
  inner.add(L.dense({ name: 'h1', units: 6, activation: 'relu', inputShape: [8] }));
  inner.add(L.dense({ name: 'h2', units: 2, activation: 'softmax' }));
  const x = tf.input({ name: 'x', shape: [7, 3] });
  const r = gru({ name: 'gru', units: 8 }).apply(x);
  const y = inner.apply(r);
  return { model: tf.model({ name: s.name, inputs: x, outputs: [y, r] }), inputs: [{ kind: 'float', shape: [7, 3] }] };
});
// the seed-003 shape without its attention (tfjs has everything else)
function seed003(s, T, V, E, H, cell, att) {
  const ids = tf.input({ name: 'ids', shape: [T], dtype: 'int32' });
  const e = L.embedding({ name: 'emb', inputDim: V, outputDim: E }).apply(ids);
  const d = L.spatialDropout1d({ name: 'sdrop', rate: 0.2 }).apply(e);
  const r = L.bidirectional({ name: 'bigru', layer: RNN[cell]({ name: cell, units: H, returnSequences: true }) }).apply(d);
  const c = L.conv1d({ name: 'conv', filters: 8, kernelSize: 3, activation: 'relu' }).apply(r);
  const branches = [L.globalAveragePooling1d({ name: 'gap' }).apply(c), L.globalMaxPooling1d({ name: 'gmp' }).apply(r)];
  // the attention stand-in: same output shape [2H], patched into the custom layer
  if (att) branches.unshift(L.globalAveragePooling1d({ name: 'attention' }).apply(r));
  const m = L.concatenate({ name: 'cat' }).apply(branches);
  const h = L.dense({ name: 'fc', units: 12, activation: 'relu' }).apply(m);
  const o = L.dense({ name: 'out', units: 3, activation: 'softmax' }).apply(h);
  return { model: tf.model({ name: s.name, inputs: ids, outputs: o }), inputs: [{ kind: 'ids', T, V, pad: false }] };
}
spec('seed003-noatt', { seed: seed++, layouts: WITH_K3 }, (s) => seed003(s, 12, 50, 10, 6, 'gru', false));

// -- numpy-referenced models (tfjs lacks the Keras semantics)
// patch: {reset_after: [layerNames]} etc., applied after the tfjs build.
spec('gru-reset-after', { seed: seed++, ref: 'numpy', layouts: WITH_K3, patch: { resetAfter: ['rnn'] } }, (s) =>
  seqIds(s.name, 8, 21, 6, true, [gru({ name: 'rnn', units: 5, returnSequences: false }),
    L.dense({ name: 'out', units: 1, activation: 'sigmoid' })]));
spec('bigru-reset-after-rs-mask', { seed: seed++, ref: 'numpy', layouts: WITH_K3, patch: { resetAfter: ['bi'] } }, (s) =>
  seqIds(s.name, 9, 21, 6, true, [L.bidirectional({ name: 'bi', layer: gru({ name: 'gru', units: 4, returnSequences: true }) }),
    gru({ name: 'g2', units: 3, returnSequences: true, goBackwards: true }),
    L.dense({ name: 'out', units: 2 })]));
spec('conv1d-causal', { seed: seed++, ref: 'numpy', layouts: WITH_K3, patch: { causal: ['conv', 'conv2'] } }, (s) =>
  seqFloat(s.name, [9, 3], [L.conv1d({ name: 'conv', filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }),
    L.conv1d({ name: 'conv2', filters: 3, kernelSize: 2, dilationRate: 2, padding: 'same' })]));
for (const mm of ['concat', 'sum', 'ave', 'mul']) {
  spec(`bi-lstm-rs-${mm}-mask`, { seed: seed++, ref: 'numpy', layouts: mm === 'concat' ? WITH_K3 : ALL }, (s) =>
    seqIds(s.name, 7, 17, 5, true, [L.bidirectional({ name: 'bi', mergeMode: mm,
      layer: lstm({ name: 'lstm', units: 4, returnSequences: true }) }),
    L.dense({ name: 'out', units: 2, activation: 'linear' })]));
}
spec('gap-masked', { seed: seed++, ref: 'numpy', layouts: WITH_K3 }, (s) =>
  seqIds(s.name, 8, 20, 5, true, [lstm({ name: 'lstm', units: 4, returnSequences: true }),
    L.globalAveragePooling1d({ name: 'gap' }), L.dense({ name: 'out', units: 2 })]));
// tfjs' softmax takes only the last axis: built on it, patched to axis 1 (steps)
spec('softmax-axis-steps', { seed: seed++, ref: 'numpy', patch: { config: { sm: { axis: 1 } } } }, (s) =>
  seqFloat(s.name, [6, 4], [L.dense({ name: 'd', units: 3 }), L.softmax({ name: 'sm', axis: -1 })]));
spec('textattbirnn-eps', { seed: seed++, ref: 'numpy', layouts: WITH_K3, patch: { attention: { name: 'attention', form: 'eps', bias: true } } }, (s) => {
  const ids = tf.input({ name: 'ids', shape: [10], dtype: 'int32' });
  const e = L.embedding({ name: 'emb', inputDim: 40, outputDim: 8, maskZero: true }).apply(ids);
  const r = L.bidirectional({ name: 'bi', layer: lstm({ name: 'lstm', units: 6, returnSequences: true }) }).apply(e);
  const a = L.globalAveragePooling1d({ name: 'attention' }).apply(r);
  const o = L.dense({ name: 'out', units: 1, activation: 'sigmoid' }).apply(a);
  return { model: tf.model({ name: s.name, inputs: ids, outputs: o }), inputs: [{ kind: 'ids', T: 10, V: 40, pad: true }] };
});
spec('textattbirnn-eps-nobias-gru', { seed: seed++, ref: 'numpy', patch: { attention: { name: 'attention', form: 'eps', bias: false }, resetAfter: ['bi'] } }, (s) => {
  const ids = tf.input({ name: 'ids', shape: [9], dtype: 'int32' });
  const e = L.embedding({ name: 'emb', inputDim: 40, outputDim: 7, maskZero: true }).apply(ids);
  const r = L.bidirectional({ name: 'bi', layer: gru({ name: 'gru', units: 5, returnSequences: true }) }).apply(e);
  const a = L.globalAveragePooling1d({ name: 'attention' }).apply(r);
  const o = L.dense({ name: 'out', units: 3, activation: 'softmax' }).apply(a);
  return { model: tf.model({ name: s.name, inputs: ids, outputs: o }), inputs: [{ kind: 'ids', T: 9, V: 40, pad: true }] };
});
spec('seed003', { seed: seed++, ref: 'numpy', layouts: WITH_K3,
  patch: { attention: { name: 'attention', form: 'softmax', bias: true }, resetAfter: ['bigru'] } },
(s) => seed003(s, 12, 50, 10, 6, 'gru', true));

// ---------------------------------------------------------------- patches

function findLayerConfigs(cfg, name) {
  const out = [];
  const walk = (o) => {
    if (Array.isArray(o)) { o.forEach(walk); return; }
    if (o && typeof o === 'object') {
      if (o.class_name && o.config && o.config.name === name) out.push(o);
      Object.values(o).forEach(walk);
    }
  };
  walk(cfg);
  return out;
}

function applyPatches(s, cfg, weights, rng) {
  const p = s.patch || {};
  for (const lname of p.resetAfter || []) {
    for (const lc of findLayerConfigs(cfg, lname)) {
      const inner = lc.class_name === 'Bidirectional' ? lc.config.layer : lc;
      inner.config.reset_after = true;
    }
    // the GRU bias becomes [2, 3H]: input bias row, recurrent bias row
    for (const w of weights) {
      if (w.layer === lname && w.param.endsWith('bias')) {
        const n = w.shape[0];
        const v = new Float32Array(2 * n);
        for (let i = 0; i < 2 * n; i++) v[i] = rng.normal(0, 0.3);
        w.shape = [2, n];
        w.data = v;
      }
    }
  }
  for (const lname of p.causal || []) {
    for (const lc of findLayerConfigs(cfg, lname)) lc.config.padding = 'causal';
  }
  for (const [lname, cls] of Object.entries(p.className || {})) {
    for (const lc of findLayerConfigs(cfg, lname)) lc.class_name = cls;
  }
  for (const [lname, kv] of Object.entries(p.config || {})) {
    for (const lc of findLayerConfigs(cfg, lname)) Object.assign(lc.config, kv);
  }
  if (p.attention) {
    const a = p.attention;
    const lcs = findLayerConfigs(cfg, a.name);
    const lc = lcs[0];
    // the TextAttBiRNN layer's config (eps form) / the seed-003 layer's (softmax form)
    const T = s.attentionT, F = s.attentionF;
    lc.class_name = 'Attention';
    if (a.form === 'eps') {
      lc.config = { name: a.name, trainable: true, W_regularizer: null, b_regularizer: null, W_constraint: null,
        b_constraint: null, bias: a.bias, step_dim: T };
    } else {
      lc.config = { name: a.name, trainable: true };
    }
    const W = weightValues(rng, 'attention/kernel', [F, 1], 1.5);
    const ws = [{ layer: a.name, param: 'W', shape: a.form === 'eps' ? [F] : [F, 1], data: W }];
    if (a.bias) ws.push({ layer: a.name, param: 'b', shape: a.form === 'eps' ? [T] : [T, 1], data: weightValues(rng, 'b', [T], 1) });
    const at = weights.findIndex((w) => w.layer === 'out' || w.layer === 'fc');
    weights.splice(at, 0, ...ws);
    s.attentionForm = a.form;
  }
}

// ---------------------------------------------------------------- Keras names

// The name tf.keras 2.x gives a weight (the `weight_names` of its .h5 files):
// '<layer>/<cell class>/<param>:0' for a recurrent layer's cell,
// '<bidirectional>/<forward|backward>_<inner layer>/<cell>_<1|2>/<param>:0',
// an inner layer's own name inside a nested model or TimeDistributed, and
// '<layer>/<layer>_W:0' for the TextAttBiRNN attention's add_weight names.
const RNN_CELL = { LSTM: 'lstm_cell', GRU: 'gru_cell', SimpleRNN: 'simple_rnn_cell' };
function kerasName(layerCfg, w) {
  const cls = layerCfg.class_name, c = layerCfg.config, name = c.name, p = w.param;
  if (RNN_CELL[cls]) return `${name}/${RNN_CELL[cls]}/${p}:0`;
  if (cls === 'Bidirectional') {
    const [side, param] = p.split('/');
    const inner = c.layer;
    return `${name}/${side}_${inner.config.name}/${RNN_CELL[inner.class_name]}_${side === 'forward' ? 1 : 2}/${param}:0`;
  }
  if (cls === 'Sequential' || cls === 'Model' || cls === 'Functional') return `${w.tfjs_name}:0`;
  if (cls === 'TimeDistributed') return `${name}/${c.layer.config.name}/${p}:0`;
  if (cls === 'Attention') return `${name}/${name}_${p}:0`;
  return `${name}/${p}:0`;
}

function topLayers(cfg) {
  const c = cfg.config;
  return Array.isArray(c) ? c : c.layers;
}

// ---------------------------------------------------------------- main

function toList(t) { return Array.from(t.dataSync()); }

function main() {
  const args = process.argv.slice(2);
  const outdir = args[0];
  if (!outdir) { console.error('usage: node make-models.js OUTDIR [--only NAME,...]'); process.exit(2); }
  const oi = args.indexOf('--only');
  const only = oi >= 0 ? new Set(args[oi + 1].split(',')) : null;
  fs.mkdirSync(outdir, { recursive: true });
  const names = [];
  for (const s of SPECS) {
    if (only && !only.has(s.name)) continue;
    const rng = new Rng(s.seed);
    const built = s.build(s);
    const model = built.model;
    // seeded weights, layer by layer, in each layer's weight order
    const weights = [];
    for (const layer of model.layers) {
      const ws = layer.weights;
      if (!ws.length) continue;
      const vals = ws.map((w) => {
        const scale = /softmax|sigmoid|hard/.test(JSON.stringify(layer.getConfig().activation || '')) ? 1.5 : 1.0;
        return weightValues(rng, w.originalName, w.shape, scale);
      });
      layer.setWeights(vals.map((v, i) => tf.tensor(v, ws[i].shape)));
      ws.forEach((w, i) => weights.push({ layer: layer.name, param: kerasParam(w.originalName), tfjs_name: w.originalName,
        shape: w.shape, data: vals[i] }));
    }
    const inputs = built.inputs.map((d) => {
      if (d.kind === 'ids') return { dtype: 'int32', shape: [B, d.T], data: idsInput(rng, d.T, d.V, d.pad) };
      return { dtype: 'float32', shape: [B, ...d.shape], data: floatInput(rng, d.shape, d.maskSteps) };
    });
    const tIn = inputs.map((x) => tf.tensor(x.data, x.shape, x.dtype));
    let pred = [], tfjsOut = null;
    try {
      pred = model.predict(tIn.length === 1 ? tIn[0] : tIn);
      if (!Array.isArray(pred)) pred = [pred];
      tfjsOut = pred.map((t) => ({ shape: t.shape, data: toList(t) }));
    } catch (e) {
      if (s.ref === 'tfjs') throw e;
      process.stdout.write(`make-models: ${s.name}: tfjs cannot run it (${e.message.split('\n')[0]}); numpy reference only\n`);
    }
    const cfg = model.toJSON(null, false);
    if (s.patch && s.patch.attention) {
      const T = built.inputs[0].T;
      s.attentionT = T;
      const att = model.getLayer(s.patch.attention.name);
      s.attentionF = att.inputSpec && att.inputSpec[0] && att.inputSpec[0].shape ? att.inputSpec[0].shape[2] : null;
      if (!s.attentionF) {
        const inb = att.inboundNodes[0].inputTensors[0];
        s.attentionF = inb.shape[2];
      }
    }
    applyPatches(s, cfg, weights, rng);
    const byName = {};
    for (const lc of topLayers(cfg)) byName[lc.config.name] = lc;
    for (const w of weights) w.keras_name = kerasName(byName[w.layer], w);
    const doc = {
      name: s.name, ref: s.ref, layouts: s.layouts, seed: s.seed, config: cfg,
      weights: weights.map((w) => ({ layer: w.layer, keras_name: w.keras_name, param: w.param, shape: w.shape,
        data: Array.from(w.data) })),
      inputs: inputs.map((x) => ({ dtype: x.dtype, shape: x.shape, data: Array.from(x.data) })),
      // tfjs' own answer; for numpy-referenced models it is the stand-in's (or
      // tfjs' differing) answer, kept to list the disagreements
      tfjs: s.patch ? null : tfjsOut,
      output_names: model.outputNames,
    };
    fs.writeFileSync(path.join(outdir, s.name + '.json'), JSON.stringify(doc));
    names.push(s.name);
    tf.dispose(tIn);
    tf.dispose(pred);
  }
  fs.writeFileSync(path.join(outdir, 'models.json'), JSON.stringify(names, null, 1));
  process.stdout.write(`make-models: ${names.length} models written to ${outdir}\n`);
}

main();
