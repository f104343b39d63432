/**
 * The domain-conditioned models (PEPNet, M2M, APG, AdaSparse) and the other multi-domain models:
 * every trainable variable gets a non-zero gradient from a batch that covers every domain (loss =
 * BCE + auxiliary logits + the model's own loss term, as in training); a row of an unknown domain
 * (-1) gets logit 0 and sends no gradient; options are validated; AdaSparse's sparsity regulariser
 * and its pruned-share stat appear exactly where they should.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../src/runtime/backend.js';
import { bceWithLogits } from '../../../src/model/loss.js';
import { createZooModel, MODEL_ZOO } from '../../../src/model/zoo/index.js';
import { Rng } from '../../../src/util/rng.js';
import { disposeBatch, SMALL_OPTIONS, toBatch } from './helpers.js';
import { makeDomainSignal } from './domain_signal.js';

const data = makeDomainSignal(4, { rows: 48, domains: 3 });
const rows = Int32Array.from({ length: 48 }, (_, i) => i);
const domains = ['a', 'b', 'c'];

before(async () => {
  await initBackend({ backend: 'cpu' });
});

const CASES: [string, string, Record<string, unknown>][] = Object.entries(MODEL_ZOO)
  .filter(([, e]) => e.kind === 'multi')
  .map(([n]) => [n, n, SMALL_OPTIONS[n]!]);
CASES.push(['pepnet (EPNet only)', 'pepnet', { ...SMALL_OPTIONS.pepnet, ppnet: false }]);
CASES.push(['pepnet (PPNet only)', 'pepnet', { ...SMALL_OPTIONS.pepnet, epnet: false }]);
for (const form of ['scaling', 'binarization', 'fusion']) CASES.push([`adasparse (${form})`, 'adasparse', { ...SMALL_OPTIONS.adasparse, form }]);
CASES.push(['apg (over-parameterised)', 'apg', { ...SMALL_OPTIONS.apg, overparam_dim: 8 }]);
CASES.push(['star + partitioned norm', 'star', { ...SMALL_OPTIONS.star, partitioned_norm: true }]);

test('the gradient batch covers every domain', () => {
  assert.deepEqual([...new Set(data.features.domainId)].sort(), [0, 1, 2]);
});

for (const [label, name, options] of CASES) {
  test(`${label}: every trainable variable gets a non-zero gradient`, () => {
    const model = createZooModel(name, { vocab: data.vocab, domains, seed: 5, options: { ...options, embedding_init_std: 0.1, net_dropout: 0 } });
    const batch = toBatch(data, rows);
    const y = tf.tensor1d(Array.from(rows, (r) => data.labels[r]!));
    const vars = model.trainableVariables();
    const { value, grads } = tf.variableGrads(() => {
      const out = model.forward(batch, { training: true, rng: new Rng(1) });
      let loss = bceWithLogits(out.logits, y);
      for (const a of out.auxLogits ?? []) loss = tf.add(loss, bceWithLogits(a, y));
      if (out.auxLoss) loss = tf.add(loss, out.auxLoss(y));
      return loss;
    }, vars);
    const named = [...model.namedVariables()].filter(([, v]) => v.trainable);
    assert.equal(Object.keys(grads).length, named.length, 'one gradient per trainable variable');
    const zero = named.filter(([, v]) => tf.tidy(() => tf.max(tf.abs(grads[v.name]!)).dataSync()[0]!) === 0).map(([n]) => n);
    assert.deepEqual(zero, [], `${label}: variables without gradient`);
    tf.dispose([value, y, ...Object.values(grads)]);
    disposeBatch(batch);
    model.dispose();
  });
}

for (const name of ['pepnet', 'm2m', 'apg', 'adasparse']) {
  test(`${name}: a row of an unknown domain scores 0 and sends no gradient; heads outside the domains are errors`, () => {
    const model = createZooModel(name, { vocab: data.vocab, domains, seed: 5, options: { ...SMALL_OPTIONS[name], embedding_init_std: 0.1, net_dropout: 0 } });
    const batch = toBatch(data, rows.subarray(0, 6), () => -1);
    // (−0 from 0 · a negative logit counts as 0.)
    assert.deepEqual(tf.tidy(() => Array.from(model.forward(batch, { training: false }).logits.dataSync(), (v) => v + 0)), [0, 0, 0, 0, 0, 0]);
    const { value, grads } = tf.variableGrads(() => tf.sum(model.forward(batch, { training: true }).logits) as tf.Scalar, model.trainableVariables());
    for (const [n, g] of Object.entries(grads)) assert.equal(tf.tidy(() => tf.max(tf.abs(g)).dataSync()[0]), 0, `${name}: ${n} got a gradient from a domain -1 row`);
    // As a known domain (head 1) the same rows are scored.
    assert.ok(tf.tidy(() => Array.from(model.forward(batch, { training: false, head: 1 }).logits.dataSync())).some((v) => v !== 0));
    assert.throws(() => model.forward(batch, { training: false, head: 3 }), /head 3 is not a domain index 0\.\.2/);
    assert.throws(() => model.forward(batch, { training: false, head: 'general' }), /no general network/);
    tf.dispose([value, ...Object.values(grads)]);
    disposeBatch(batch);
    model.dispose();
  });
}

test('options are validated with the key named; defaults follow docs/baselines.md', () => {
  const vocab = data.vocab;
  const make = (name: string, options: Record<string, unknown>) => () => createZooModel(name, { vocab, domains, seed: 1, options, source: 'x.yaml' });
  assert.throws(make('adasparse', { form: 'hard' }), /x\.yaml: key "model\.form"/);
  assert.throws(make('pepnet', { gate_scale: 0 }), /key "model\.gate_scale"/);
  assert.throws(make('pepnet', { epnett: true }), /epnett/);
  assert.throws(make('apg', { rank: 0 }), /key "model\.rank"/);
  assert.throws(make('apg', { rank: 4, overparam_dim: 3 }), /key "model\.overparam_dim".*at least rank \(4\)/);
  assert.throws(make('m2m', { expert_hidden_units: [] }), /key "model\.expert_hidden_units"/);
  assert.throws(make('adasparse', { sparsity_target: 1 }), /key "model\.sparsity_target"/);
  assert.throws(make('adasparse', { sparsity_weight: -0.1 }), /key "model\.sparsity_weight"/);
  assert.throws(make('adasparse', { sparsity_alpha: 0 }), /key "model\.sparsity_alpha"/);
  assert.deepEqual(
    MODEL_ZOO.pepnet!.options.parse({}),
    { embedding_dim: 32, net_dropout: 0.3, batch_norm: false, embedding_init_std: 1e-4, hidden_units: [1024, 512, 256], gate_hidden_units: 128, gate_scale: 2, epnet: true, ppnet: true },
  );
  assert.deepEqual(MODEL_ZOO.adasparse!.options.parse({}), {
    embedding_dim: 32,
    net_dropout: 0.3,
    batch_norm: false,
    embedding_init_std: 1e-4,
    hidden_units: [1024, 512, 256],
    form: 'fusion',
    beta: 2,
    epsilon: 0.25,
    sparsity_weight: 0.1,
    sparsity_target: 0.25,
    sparsity_alpha: 1,
  });
  for (const name of ['pepnet', 'm2m', 'apg', 'adasparse']) assert.match(MODEL_ZOO[name]!.about?.paper ?? '', /^.+ et al\., .+, [A-Za-z]+ 20\d\d$/, name);
});

test('a multi-domain model trained on a single domain works (one-hot of depth 1)', () => {
  for (const name of ['pepnet', 'm2m', 'apg', 'adasparse', 'mmoe']) {
    const model = createZooModel(name, { vocab: data.vocab, domains: ['only'], seed: 2, options: SMALL_OPTIONS[name] });
    const batch = toBatch(data, rows.subarray(0, 4), () => 0);
    const out = tf.tidy(() => Array.from(model.forward(batch, { training: false }).logits.dataSync()));
    assert.ok(out.every(Number.isFinite), name);
    disposeBatch(batch);
    model.dispose();
  }
});

test('adasparse: the sparsity regulariser joins training forwards of the pruning forms only; the pruned share is a stat', () => {
  const batch = toBatch(data, rows);
  const y = tf.zeros([rows.length]) as tf.Tensor1D;
  const run = (options: Record<string, unknown>, training: boolean) => {
    const model = createZooModel('adasparse', { vocab: data.vocab, domains, seed: 5, options: { ...SMALL_OPTIONS.adasparse, net_dropout: 0, ...options } });
    const r = tf.tidy(() => {
      const out = model.forward(batch, { training, rng: new Rng(1) });
      return { reg: out.auxLoss?.(y).dataSync()[0], stats: Object.fromEntries(Object.entries(out.stats ?? {}).map(([k, v]) => [k, v.dataSync()[0]!])) };
    });
    model.dispose();
    return r;
  };
  for (const form of ['fusion', 'binarization']) {
    const on = run({ form }, true);
    assert.ok(Number.isFinite(on.reg) && on.reg !== 0, `${form}: regulariser ${on.reg}`);
    assert.equal(on.stats.sparsity_loss, on.reg);
    assert.ok(on.stats.pruned_fraction! >= 0 && on.stats.pruned_fraction! <= 1);
    assert.equal(run({ form, sparsity_weight: 0 }, true).reg, undefined, `${form}: weight 0 is off`);
    assert.deepEqual(run({ form }, false), { reg: undefined, stats: {} }, `${form}: nothing extra when scoring`);
  }
  const scaling = run({ form: 'scaling' }, true);
  assert.equal(scaling.reg, undefined, 'scaling never prunes, so it has no regulariser');
  assert.equal(scaling.stats.pruned_fraction, 0);
  // The regulariser's sign follows the gap to the target (λ_l = λ̂(2^{α(r − r_l)} − 1), ‖π‖₁ > 0).
  const low = run({ form: 'binarization', sparsity_target: 0 }, true);
  const high = run({ form: 'binarization', sparsity_target: 0.99 }, true);
  assert.ok(low.stats.pruned_fraction! > 0 && high.stats.pruned_fraction! < 0.99, `pruned share ${low.stats.pruned_fraction}`);
  assert.ok(low.reg! < 0 && high.reg! > 0, `target 0: ${low.reg}, target 0.99: ${high.reg}`);
  y.dispose();
  disposeBatch(batch);
});
