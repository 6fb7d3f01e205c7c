#!/usr/bin/env node
// Runs TensorFlow.js on models given as dumps (the format of make-models.js:
// a Keras 2 form config, weights per layer in Keras order, inputs) and writes
// its predictions into each dump's "tfjs" field. Used for the real Keras
// files: real-dumps.py writes their dumps from the files' own config and
// weights; a model tfjs cannot build or run keeps "tfjs": null (numpy_ref.py
// is then its reference).
//
// usage: node predict-dumps.js DUMP.json...
'use strict';
const fs = require('fs');

console.log = console.warn = () => {};  // tfjs' banner about tfjs-node
const tf = require('@tensorflow/tfjs');
tf.setBackend('cpu');

async function predict(doc) {
  const model = await tf.models.modelFromJSON({ modelTopology: doc.config });
  const byLayer = {};
  for (const w of doc.weights) (byLayer[w.layer] = byLayer[w.layer] || []).push(w);
  for (const layer of model.layers) {
    const ws = byLayer[layer.name] || [];
    if (ws.length !== layer.weights.length) {
      throw new Error(`layer ${layer.name}: ${ws.length} weights in the file, tfjs expects ${layer.weights.length}`);
    }
    if (ws.length) layer.setWeights(ws.map((w) => tf.tensor(Float32Array.from(w.data), w.shape)));
  }
  const xs = doc.inputs.map((x) => tf.tensor(x.data, x.shape, x.dtype));
  let ys = model.predict(xs.length === 1 ? xs[0] : xs);
  if (!Array.isArray(ys)) ys = [ys];
  return ys.map((t) => ({ shape: t.shape, data: Array.from(t.dataSync()) }));
}

async function main() {
  for (const p of process.argv.slice(2)) {
    const doc = JSON.parse(fs.readFileSync(p, 'utf8'));
    try {
      doc.tfjs = await predict(doc);
      process.stdout.write(`predict-dumps: ${doc.name}: tfjs reference\n`);
    } catch (e) {
      doc.tfjs = null;
      doc.tfjs_error = String(e.message).split('\n')[0];
      process.stdout.write(`predict-dumps: ${doc.name}: tfjs cannot run it (${doc.tfjs_error}); numpy_ref only\n`);
    }
    fs.writeFileSync(p, JSON.stringify(doc));
  }
}

main().catch((e) => { process.stderr.write(String(e.stack) + '\n'); process.exit(1); });
