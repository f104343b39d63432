/**
 * MMoE / PLE: each domain's tower is fed its own gate's mixture of the experts, and the gates are
 * distinct per domain (the reference implementation reused the first gate for every tower).
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../src/runtime/backend.js';
import { MMoE, MMoEOptions } from '../../../src/model/zoo/mmoe.js';
import { PLE, PLEOptions } from '../../../src/model/zoo/ple.js';
import type { Gate } from '../../../src/model/layers/experts.js';
import { disposeBatch, flatFeatures as features, makeSynthetic, toBatch } from './helpers.js';

const data = makeSynthetic(5, { rows: 24, domains: 3 });
const rows = Int32Array.from({ length: 24 }, (_, i) => i);
const eval_ = { training: false };

before(async () => {
  await initBackend({ backend: 'cpu' });
});

function close(a: tf.Tensor, b: tf.Tensor, msg: string, tol = 1e-5): void {
  const d = tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
  assert.ok(d < tol, `${msg}: max |diff| ${d}`);
}

function maxDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
}

/** Independent mixture: softmax(x·K + b) weighted sum of the given expert outputs. */
function manualMix(x: tf.Tensor2D, gate: Gate, experts: tf.Tensor2D[]): tf.Tensor2D {
  const w = tf.softmax(tf.add(tf.matMul(x, gate.kernel as tf.Tensor2D), gate.bias)) as tf.Tensor2D;
  const cols = tf.split(w, experts.length, 1);
  return tf.addN(experts.map((e, i) => tf.mul(e, cols[i]!))) as tf.Tensor2D;
}

/** Give every gate its own strong preference, so that shared gates would be caught. */
function skewGates(gates: Gate[]): void {
  gates.forEach((g, k) => {
    const n = g.bias.shape[0]!;
    g.bias.assign(tf.tensor1d(Array.from({ length: n }, (_, e) => (e === k % n ? 3 : -1))));
  });
}

test('MMoE: tower k reads gate k mixture; samples use their own domain tower', () => {
  const model = new MMoE({ vocab: data.vocab, domains: ['a', 'b', 'c'], seed: 2 }, MMoEOptions.parse({ embedding_dim: 4, num_experts: 3, expert_hidden_units: [6], tower_hidden_units: [5], embedding_init_std: 0.5 }));
  skewGates(model.gates);
  const batch = toBatch(data, rows);
  tf.tidy(() => {
    const x = features(model, batch);
    const experts = model.experts.apply(x, eval_);
    const mixtures = model.mixtures(batch, eval_);
    const expected = model.gates.map((g) => manualMix(x, g, experts));
    for (let k = 0; k < 3; k++) {
      close(mixtures[k]!, expected[k]!, `mixture of domain ${k}`);
      for (let j = 0; j < 3; j++) if (j !== k) assert.ok(maxDiff(mixtures[k]!, expected[j]!) > 1e-3, `mixture ${k} equals gate ${j}'s`);
    }
    // Tower outputs on the expected mixtures, then each sample's own one.
    const towerOut = tf.concat(model.towers.towers.map((t, k) => t.apply(expected[k]!, eval_)), 1);
    const own = tf.sum(tf.mul(towerOut, tf.oneHot(batch.domainIndex as tf.Tensor1D, 3)), 1);
    close(model.forward(batch, eval_).logits, own, 'own-domain logits');
    for (let k = 0; k < 3; k++) close(model.forward(batch, { training: false, head: k }).logits, tf.reshape(tf.slice(towerOut, [0, k], [-1, 1]), [-1]), `head ${k}`);
  });
  disposeBatch(batch);
  model.dispose();
});

test('PLE: tower k reads gate k mixture of its specific experts and the shared ones', () => {
  const model = new PLE({ vocab: data.vocab, domains: ['a', 'b', 'c'], seed: 4 }, PLEOptions.parse({ embedding_dim: 4, expert_hidden_units: [6], tower_hidden_units: [5], embedding_init_std: 0.5 }));
  const level = model.levels[0]!;
  skewGates(level.gates);
  const batch = toBatch(data, rows);
  tf.tidy(() => {
    const x = features(model, batch);
    const shared = level.shared.apply(x, eval_);
    const expected = level.gates.map((g, k) => manualMix(x, g, [...level.specific[k]!.apply(x, eval_), ...shared]));
    const mixtures = model.mixtures(batch, eval_);
    for (let k = 0; k < 3; k++) {
      close(mixtures[k]!, expected[k]!, `mixture of domain ${k}`);
      for (let j = 0; j < 3; j++) if (j !== k) assert.ok(maxDiff(mixtures[k]!, expected[j]!) > 1e-3, `mixture ${k} equals domain ${j}'s`);
    }
    const towerOut = tf.concat(model.towers.towers.map((t, k) => t.apply(expected[k]!, eval_)), 1);
    const own = tf.sum(tf.mul(towerOut, tf.oneHot(batch.domainIndex as tf.Tensor1D, 3)), 1);
    close(model.forward(batch, eval_).logits, own, 'own-domain logits');
  });
  disposeBatch(batch);
  model.dispose();
});

test('a sample of an unknown domain (-1) gets logit 0 and no gradient into any tower', () => {
  const model = new MMoE({ vocab: data.vocab, domains: ['a', 'b'], seed: 2 }, MMoEOptions.parse({ embedding_dim: 4, expert_hidden_units: [6], tower_hidden_units: [5] }));
  const batch = toBatch(data, rows.subarray(0, 4), () => -1);
  const logits = tf.tidy(() => model.forward(batch, eval_).logits.arraySync());
  assert.deepEqual(logits, [0, 0, 0, 0]);
  // Domain 0 only: tower 1 must get an all-zero gradient.
  const b0 = toBatch(data, rows.subarray(0, 4), () => 0);
  const tower1 = model.namedVariables().get('tower.1.0.kernel')!;
  const tower0 = model.namedVariables().get('tower.0.0.kernel')!;
  const { grads } = tf.variableGrads(() => tf.sum(model.forward(b0, { training: true }).logits) as tf.Scalar, [tower0, tower1]);
  assert.equal(tf.tidy(() => tf.max(tf.abs(grads[tower1.name]!)).dataSync()[0]), 0);
  assert.ok(tf.tidy(() => tf.max(tf.abs(grads[tower0.name]!)).dataSync()[0]!) > 0);
  tf.dispose(Object.values(grads));
  disposeBatch(batch);
  disposeBatch(b0);
  model.dispose();
});

test('every multi-domain model scores each sample with its own tower (= head k on domain-k rows)', async () => {
  const { MODEL_ZOO } = await import('../../../src/model/zoo/index.js');
  const { SMALL_OPTIONS } = await import('./helpers.js');
  const d3 = makeSynthetic(8, { rows: 30, domains: 3 });
  const batch = toBatch(d3, Int32Array.from({ length: 30 }, (_, i) => i));
  const dom = Array.from(batch.domainIndex.dataSync());
  for (const [name, entry] of Object.entries(MODEL_ZOO)) {
    if (entry.kind !== 'multi') continue;
    const model = entry.create({ vocab: d3.vocab, domains: ['a', 'b', 'c'], seed: 6, options: { ...SMALL_OPTIONS[name], embedding_init_std: 0.5 } });
    const own = tf.tidy(() => model.forward(batch, eval_).logits.arraySync());
    const heads = [0, 1, 2].map((k) => tf.tidy(() => model.forward(batch, { training: false, head: k }).logits.arraySync()));
    own.forEach((v, i) => assert.ok(Math.abs(v - heads[dom[i]!]![i]!) < 1e-5, `${name}: row ${i} (domain ${dom[i]}) not scored by its own tower`));
    // The towers really differ, so the check above could fail.
    assert.ok(heads[0]!.some((v, i) => Math.abs(v - heads[1]![i]!) > 1e-4), `${name}: towers 0 and 1 agree everywhere`);
    assert.throws(() => model.forward(batch, { training: false, head: 3 }), /head 3/);
    model.dispose();
  }
  disposeBatch(batch);
});
