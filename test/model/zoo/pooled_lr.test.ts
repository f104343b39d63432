/**
 * pooled_lr: trained by the project's trainer (fit) it learns a planted linear signal in the
 * pooled states plus a per-domain offset; unseen domains get the neutral (mean) domain embedding;
 * options are validated through the registry.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../src/runtime/backend.js';
import { createModel, modelKind } from '../../../src/model/registry.js';
import { PooledLr, PooledLrOptions } from '../../../src/model/zoo/pooled_lr.js';
import { fit, predictRows, type RowSource } from '../../../src/train/fit.js';
import { TrainConfigSchema } from '../../../src/train/train_config.js';
import { auc } from '../../../src/train/metrics.js';
import type { SplitColumns } from '../../../src/data/types.js';
import type { Backbone } from '../../../src/model/backbone/types.js';
import type { BatchTensors, TokenStates } from '../../../src/model/types.js';
import { Rng } from '../../../src/util/rng.js';

before(async () => {
  await initBackend({ backend: 'cpu' });
});

const D = 12;
const T = 6;

/** Token states whose masked mean carries the signal w·mean + offset[domain]; padding holds junk. */
function synthetic(seed: number, n: number, domains: number) {
  const rng = new Rng(seed);
  const w = Array.from({ length: D }, (_, j) => (j < 4 ? 1 : 0));
  const offset = [1.5, -1.5, 0];
  const states = new Float32Array(n * T * D);
  const mask = new Float32Array(n * T);
  const domainId = new Int32Array(n);
  const label = new Uint8Array(n);
  for (let r = 0; r < n; r++) {
    const len = 1 + rng.int(T);
    domainId[r] = rng.int(domains);
    const mean = new Float64Array(D);
    for (let t = 0; t < T; t++) {
      for (let j = 0; j < D; j++) {
        const v = t < len ? rng.normal() : 50 * rng.normal();
        states[(r * T + t) * D + j] = v;
        if (t < len) mean[j] += v / len;
      }
      if (t < len) mask[r * T + t] = 1;
    }
    const z = 2 * mean.reduce((a, v, j) => a + v * w[j]!, 0) + offset[domainId[r]!]!;
    label[r] = rng.next() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
  }
  const zeros = () => new Int32Array(n);
  const split = {
    rows: n, domainId, domain: Array.from(domainId, (d) => `d${d}`), label, userId: zeros(), itemId: zeros(), brandId: zeros(), titleId: zeros(), priceBucket: zeros(), history: new Int32Array(n * 5),
  } as unknown as SplitColumns;
  const statesOf = (rows: Int32Array): TokenStates => {
    const s = new Float32Array(rows.length * T * D);
    const m = new Float32Array(rows.length * T);
    rows.forEach((r, i) => {
      s.set(states.subarray(r * T * D, (r + 1) * T * D), i * T * D);
      m.set(mask.subarray(r * T, (r + 1) * T), i * T);
    });
    return { layers: [tf.tensor3d(s, [rows.length, T, D])], mask: tf.tensor2d(m, [rows.length, T]) };
  };
  return { split, statesOf };
}

const fakeBackbone = { hiddenSize: D, numLayers: 2 } as Backbone;

test('pooled_lr is registered as a states baseline; its options are validated', () => {
  assert.equal(modelKind('pooled_lr'), 'states');
  const m = createModel({ name: 'pooled_lr', hidden_units: [8] }, { domains: ['a', 'b'], vocab: {} as never, seed: 1, backbone: fakeBackbone, source: 'x.yaml' });
  assert.deepEqual((m as PooledLr).stateLayers, [2]);
  assert.equal([...m.namedVariables().keys()].join(','), 'domain_embedding,mlp.0.kernel,mlp.0.bias,mlp.1.kernel,mlp.1.bias');
  m.dispose();
  const args = { domains: ['a'], vocab: {} as never, seed: 1, backbone: fakeBackbone, source: 'x.yaml' };
  assert.throws(() => createModel({ name: 'pooled_lr', hidden: [8] }, args), /x\.yaml.*model\.hidden/);
  assert.throws(() => createModel({ name: 'pooled_lr', hidden_units: [8, 4] }, args), /x\.yaml.*model\.hidden_units/);
  assert.throws(() => createModel({ name: 'pooled_lr' }, { ...args, live: true }), /tuning "frozen"/);
  assert.throws(() => createModel({ name: 'pooled_lr' }, { ...args, backbone: undefined }), /needs a backbone/);
});

test('pooled_lr trained by fit learns the planted signal and the domain offsets', async () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'pooled-lr-'));
  try {
    const train = synthetic(3, 1500, 2);
    const valid = synthetic(4, 400, 2);
    const model = new PooledLr({ domains: ['a', 'b'], seed: 5, hiddenSize: D, numLayers: 2 }, PooledLrOptions.parse({}));
    const all = (n: number) => Int32Array.from({ length: n }, (_, i) => i);
    const src = (s: ReturnType<typeof synthetic>, n: number): RowSource => ({ split: s.split, rows: all(n), states: s.statesOf });
    const config = TrainConfigSchema.parse({
      epochs: 6, batch_size: 64, optimizer: 'adam', weight_decay: 0, schedule: { type: 'constant' }, lr: 0.02, patience: 0, bootstrap: 1,
    });
    const res = await fit({
      model, train: src(train, 1500), valid: src(valid, 400), towerOf: (d) => d, config, seed: 7,
      checkpointDir: path.join(tmp, 'ck'), logFile: path.join(tmp, 'log.jsonl'),
    });
    assert.equal(res.history.length, 6, 'patience 0 runs every epoch');
    const v = src(valid, 400);
    const scores = await predictRows(model, v, (d) => d, 256);
    const labels = Array.from(v.rows, (r) => valid.split.label[r]!);
    const a = auc(labels, scores);
    // Labels are drawn from the planted probabilities, so even the true score stays well below 1.
    assert.ok(a > 0.8, `held-out AUC ${a.toFixed(3)}`);
    // The learned domain offset has the planted sign: domain a scores above domain b for the same states.
    const asA = await predictRows(model, v, (d) => d, 256, 0);
    const asB = await predictRows(model, v, (d) => d, 256, 1);
    assert.ok(asA.every((p, i) => p > asB[i]!), 'head a scores every row above head b');
    model.dispose();
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('an unseen domain and head "general" use the mean of the training domain embeddings', () => {
  const model = new PooledLr({ domains: ['a', 'b', 'c'], seed: 2, hiddenSize: D, numLayers: 2 }, PooledLrOptions.parse({ domain_embedding_dim: 3 }));
  const s = synthetic(9, 5, 3);
  const rows = Int32Array.from([0, 1, 2, 3, 4]);
  const states = s.statesOf(rows);
  const batch = (domainIndex: number[]): BatchTensors =>
    ({ size: 5, domainIndex: tf.tensor1d(domainIndex, 'int32'), states }) as unknown as BatchTensors;
  const logits = (b: BatchTensors, head?: number | 'general') => Array.from(model.forward(b, { training: false, head }).logits.dataSync());
  const unseen = logits(batch([-1, -1, -1, -1, -1]));
  const general = logits(batch([0, 1, 2, 0, 1]), 'general');
  // By hand: w_x · mean-pool + w_e · mean(table) + b.
  const v = model.namedVariables();
  const kernel = v.get('mlp.0.kernel')!.dataSync();
  const bias = v.get('mlp.0.bias')!.dataSync()[0]!;
  const table = v.get('domain_embedding')!.arraySync() as number[][];
  const pooled = (tf.div(tf.sum(tf.mul(states.layers[0]!, tf.expandDims(states.mask, 2)), 1), tf.sum(states.mask, 1, true)).arraySync()) as number[][];
  const byHand = (emb: number[]) => pooled.map((p) => p.reduce((a, x, j) => a + x * kernel[j]!, 0) + emb.reduce((a, x, j) => a + x * kernel[D + j]!, 0) + bias);
  const neutral = [0, 1, 2].map((j) => (table[0]![j]! + table[1]![j]! + table[2]![j]!) / 3);
  byHand(neutral).forEach((x, i) => {
    assert.ok(Math.abs(unseen[i]! - x) < 1e-5, `unseen row ${i}`);
    assert.ok(Math.abs(general[i]! - x) < 1e-5, `general row ${i}`);
  });
  const own = logits(batch([0, 1, 2, 0, 1]));
  const mixed = byHand(table[0]!).map((x, i) => [x, byHand(table[1]!)[i]!, byHand(table[2]!)[i]!][[0, 1, 2, 0, 1][i]!]!);
  own.forEach((x, i) => assert.ok(Math.abs(x - mixed[i]!) < 1e-5, `own-domain row ${i}`));
  tf.dispose([states.layers[0]!, states.mask]);
  model.dispose();
});

test('fit with diagnostics: positive rates, learning-curve points every N steps, output bias at the prior', async () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'pooled-lr-diag-'));
  try {
    const train = synthetic(3, 640, 2);
    const valid = synthetic(4, 200, 2);
    const model = new PooledLr({ domains: ['a', 'b'], seed: 5, hiddenSize: D, numLayers: 2 }, PooledLrOptions.parse({}));
    const all = (n: number) => Int32Array.from({ length: n }, (_, i) => i);
    const config = TrainConfigSchema.parse({
      epochs: 1, batch_size: 64, optimizer: 'adam', weight_decay: 0, schedule: { type: 'constant' }, lr: 1e-9, patience: 0, bootstrap: 1,
      eval_every_steps: 4, eval_train_rows: 100, output_bias_init: 'prior',
    });
    const logFile = path.join(tmp, 'log.jsonl');
    await fit({
      model, train: { split: train.split, rows: all(640), states: train.statesOf }, valid: { split: valid.split, rows: all(200), states: valid.statesOf },
      towerOf: (d) => d, config, seed: 7, checkpointDir: path.join(tmp, 'ck'), logFile, domainName: (d) => ['a', 'b'][d]!,
    });
    const events = readFileSync(logFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const data = events.find((e) => e.event === 'data');
    const prior = train.split.label.reduce((a: number, y: number) => a + y, 0) / 640;
    assert.ok(Math.abs(data.positive_rate.train.all.positive_rate - prior) < 1e-12);
    assert.deepEqual(Object.keys(data.positive_rate.valid), ['a', 'b', 'all']);
    const evals = events.filter((e) => e.event === 'eval');
    assert.deepEqual(evals.map((e) => e.step), [4, 8]);
    assert.deepEqual(Object.keys(evals[0].valid), ['a', 'b', 'pooled']);
    assert.equal(evals[0].train.pooled.rows, 100);
    assert.deepEqual(Object.keys(evals[0].grad_norms).sort(), ['domain_embedding', 'mlp']);
    // lr 1e-9: the output bias is still the log-odds of the training prior.
    const bias = model.outputBiases()[0]!.dataSync()[0]!;
    assert.ok(Math.abs(bias - Math.log(prior / (1 - prior))) < 1e-4, `bias ${bias}`);
    model.dispose();
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
