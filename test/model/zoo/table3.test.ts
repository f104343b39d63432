/**
 * SAR-Net, DFFM, IntTower and DIEN (with its auxiliary loss): every trainable variable gets a
 * non-zero gradient from the training loss on a batch covering all domains; DIEN's auxiliary loss
 * enters the loss, is weighted by α, and switching it off changes the loss; IntTower's CIR needs
 * positives.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../src/runtime/backend.js';
import { MODEL_ZOO } from '../../../src/model/zoo/index.js';
import { DIEN, DIENOptions } from '../../../src/model/zoo/dien.js';
import { bceWithLogits } from '../../../src/model/loss.js';
import { totalLoss } from '../../../src/train/loss.js';
import { Rng } from '../../../src/util/rng.js';
import { disposeBatch, makeSynthetic, SMALL_OPTIONS, toBatch } from './helpers.js';

before(async () => {
  await initBackend({ backend: 'cpu' });
});

const DOMAINS = ['a', 'b', 'c'];

for (const name of ['sarnet', 'dffm', 'inttower', 'dien']) {
  test(`${name}: every trainable variable receives a non-zero gradient`, () => {
    const entry = MODEL_ZOO[name]!;
    const multi = entry.kind === 'multi';
    const data = makeSynthetic(4, { rows: 48, domains: multi ? 3 : 1 });
    const batch = toBatch(data, Int32Array.from({ length: 48 }, (_, i) => i));
    if (multi) assert.deepEqual([...new Set(batch.domainIndex.dataSync())].sort(), [0, 1, 2], 'batch covers every domain');
    const labels = tf.tensor1d(data.labels);
    const model = entry.create({ vocab: data.vocab, domains: multi ? DOMAINS : ['a'], seed: 2, options: { ...SMALL_OPTIONS[name], net_dropout: 0, embedding_init_std: 0.3 } });
    const vars = model.trainableVariables();
    const { value, grads } = tf.variableGrads(() => totalLoss(model.forward(batch, { training: true, rng: new Rng(3) }), labels), vars);
    assert.ok(Number.isFinite(value.dataSync()[0]!), 'finite loss');
    const names = new Map([...model.namedVariables()].map(([k, v]) => [v.name, k]));
    for (const v of vars) {
      const g = grads[v.name]!;
      const m = tf.tidy(() => tf.max(tf.abs(g)).dataSync()[0]!);
      assert.ok(Number.isFinite(m) && m > 0, `${name}: variable ${names.get(v.name)} gets gradient ${m}`);
    }
    tf.dispose([value, labels, ...Object.values(grads)]);
    disposeBatch(batch);
    model.dispose();
  });
}

function dienWith(options: Record<string, unknown>, data: ReturnType<typeof makeSynthetic>): DIEN {
  return new DIEN({ vocab: data.vocab, domains: ['a'], seed: 5 }, DIENOptions.parse({ embedding_dim: 4, gru_units: 4, hidden_units: [5], net_dropout: 0, embedding_init_std: 0.5, ...options }));
}

test('dien: the training loss is BCE + α·L_aux for the sampled negatives; aux_loss: false removes it', () => {
  const data = makeSynthetic(12, { rows: 32 });
  const batch = toBatch(data, Int32Array.from({ length: 32 }, (_, i) => i));
  const labels = tf.tensor1d(data.labels);
  const alpha = 0.5;
  const on = dienWith({ aux_loss_weight: alpha }, data);
  const off = dienWith({ aux_loss: false }, data);
  // Same seed → same weights: the switch changes only the loss.
  const [lossOn, bceOn, expectedAux, lossOff, bceOff] = tf.tidy(() => {
    const outOn = on.forward(batch, { training: true, rng: new Rng(9) });
    // The negatives the forward pass drew (no dropout, so the rng feeds only the sampler).
    const aux = on.auxiliaryLoss(batch, on.sampleNegatives(batch.history, new Rng(9)));
    const outOff = off.forward(batch, { training: true, rng: new Rng(9) });
    assert.equal(outOff.auxLoss, undefined);
    assert.equal(on.forward(batch, { training: false }).auxLoss, undefined, 'no auxiliary loss when scoring');
    return [totalLoss(outOn, labels), bceWithLogits(outOn.logits, labels), aux, totalLoss(outOff, labels), bceWithLogits(outOff.logits, labels)].map((t) => t.dataSync()[0]!);
  });
  assert.ok(expectedAux! > 0.1, `L_aux ${expectedAux}`);
  assert.ok(Math.abs(lossOn! - (bceOn! + alpha * expectedAux!)) < 1e-5, `${lossOn} ≠ ${bceOn} + ${alpha}·${expectedAux}`);
  assert.ok(Math.abs(lossOff! - bceOff!) < 1e-6);
  assert.ok(Math.abs(bceOn! - bceOff!) < 1e-6, 'the switch does not change the scoring path');
  assert.ok(Math.abs(lossOn! - lossOff!) > 0.05, 'switching the auxiliary loss off changes the loss');
  tf.dispose(labels);
  disposeBatch(batch);
  on.dispose();
  off.dispose();
});

test('dien: negatives are real item ids other than the positive; histories without pairs add 0', () => {
  const data = makeSynthetic(13, { rows: 64, items: 6 });
  const batch = toBatch(data, Int32Array.from({ length: 64 }, (_, i) => i));
  const model = dienWith({}, data);
  const rng = new Rng(1);
  const hist = batch.history.arraySync();
  for (let draw = 0; draw < 20; draw++) {
    const neg = tf.tidy(() => model.sampleNegatives(batch.history, rng).arraySync());
    neg.forEach((row, r) =>
      row.forEach((v, t) => {
        assert.ok(v >= 1 && v < data.vocab.item, `negative ${v} outside the items`);
        if (hist[r]![t + 1]! > 0) assert.notEqual(v, hist[r]![t + 1], 'negative equals its positive');
      }),
    );
  }
  // Rows with at most one history item have no (t, t+1) pair.
  data.features.history.fill(0);
  for (let r = 0; r < 64; r++) data.features.history[r * 5] = 1 + (r % 5);
  const single = toBatch(data, Int32Array.from({ length: 64 }, (_, i) => i));
  const zero = tf.tidy(() => model.auxiliaryLoss(single, model.sampleNegatives(single.history, rng)).dataSync()[0]!);
  assert.equal(zero, 0);
  disposeBatch(batch);
  disposeBatch(single);
  model.dispose();
});

test('dien: aux_loss with gru_units ≠ embedding_dim is a configuration error', () => {
  assert.throws(
    () => MODEL_ZOO.dien!.create({ vocab: makeSynthetic(1, { rows: 2 }).vocab, domains: ['a'], seed: 1, options: { embedding_dim: 8, gru_units: 4 }, source: 'x.yaml' }),
    /gru_units \(4\) must equal embedding_dim \(8\)/,
  );
});

test('inttower: CIR is 0 without positives and positive with them; cir_weight 0 switches it off', () => {
  const data = makeSynthetic(14, { rows: 16 });
  const batch = toBatch(data, Int32Array.from({ length: 16 }, (_, i) => i));
  const opts = { ...SMALL_OPTIONS.inttower, net_dropout: 0, embedding_init_std: 0.3 };
  const model = MODEL_ZOO.inttower!.create({ vocab: data.vocab, domains: ['a'], seed: 2, options: opts });
  const offModel = MODEL_ZOO.inttower!.create({ vocab: data.vocab, domains: ['a'], seed: 2, options: { ...opts, cir_weight: 0 } });
  const [none, some] = tf.tidy(() => {
    const out = model.forward(batch, { training: true });
    return [out.auxLoss!(tf.zeros([16]) as tf.Tensor1D), out.auxLoss!(tf.ones([16]) as tf.Tensor1D)].map((t) => t.dataSync()[0]!);
  });
  assert.ok(none === 0, `CIR without positives: ${none}`);
  assert.ok(some! > 0);
  tf.tidy(() => {
    assert.equal(offModel.forward(batch, { training: true }).auxLoss, undefined);
  });
  disposeBatch(batch);
  model.dispose();
  offModel.dispose();
});
