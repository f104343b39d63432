/**
 * The multi-domain models must use the domain: on data whose user × brand interaction flips sign
 * between domains (domain_signal.ts), each beats a domain-blind shared DNN (the `dnn` model with
 * one domain that every row is mapped to) on held-out AUC by a stated margin. Same seeds, data,
 * optimizer and budget for all. Runs on wasm (faster than cpu for these small ops). SAR-Net and
 * DFFM have the same check in domain_signal.test.ts.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../../src/runtime/backend.js';
import { MODEL_ZOO } from '../../../src/model/zoo/index.js';
import { makeDomainSignal } from './domain_signal.js';
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../../../src/util/rng.js';
import { auc, disposeBatch, predict, SMALL_OPTIONS, toBatch, train } from './helpers.js';

const MARGIN = 0.05;
const data = makeDomainSignal(21, { rows: 6000, domains: 3 });
const all = Int32Array.from({ length: data.features.size }, (_, i) => i);
const trainRows = all.subarray(0, 5000);
const testRows = all.subarray(5000);
const labels = Array.from(testRows, (r) => data.labels[r]!);
const budget = { epochs: 4, batchSize: 256, lr: 0.02, seed: 11 };
let blindAuc = NaN;

before(async () => {
  await initBackend({ backend: 'wasm' });
  const blind = MODEL_ZOO.dnn!.create({ vocab: data.vocab, domains: ['all'], seed: 3, options: { ...SMALL_OPTIONS.dnn, general_network: false } });
  const everyRow = () => 0;
  train(blind, data, trainRows, { ...budget, domainIndex: everyRow });
  blindAuc = auc(predict(blind, data, testRows, undefined, everyRow), labels);
  blind.dispose();
  console.log(`domain-blind DNN: AUC ${blindAuc.toFixed(3)}`);
});

const MODELS = ['shared_bottom', 'mmoe', 'ple', 'star', 'dnn', 'pepnet', 'm2m', 'apg', 'adasparse'];
const CASES: [string, string, Record<string, unknown>][] = MODELS.map((n) => [n, n, SMALL_OPTIONS[n]!]);
CASES.push(['pepnet (EPNet only)', 'pepnet', { ...SMALL_OPTIONS.pepnet, ppnet: false }]);
CASES.push(['pepnet (PPNet only)', 'pepnet', { ...SMALL_OPTIONS.pepnet, epnet: false }]);
CASES.push(['apg (over-parameterised)', 'apg', { ...SMALL_OPTIONS.apg, overparam_dim: 16 }]);
CASES.push(['adasparse (scaling)', 'adasparse', { ...SMALL_OPTIONS.adasparse, form: 'scaling' }]);
CASES.push(['adasparse (binarization)', 'adasparse', { ...SMALL_OPTIONS.adasparse, form: 'binarization' }]);

test('the domain-blind DNN learns the shared part but not the domain-specific one', () => {
  assert.ok(blindAuc > 0.6 && blindAuc < 0.85, `blind AUC ${blindAuc.toFixed(3)}`);
});

for (const [label, name, options] of CASES) {
  test(`${label} beats the domain-blind DNN by ≥ ${MARGIN} held-out AUC`, () => {
    const t0 = Date.now();
    const model = MODEL_ZOO[name]!.create({ vocab: data.vocab, domains: ['d0', 'd1', 'd2'], seed: 3, options });
    train(model, data, trainRows, budget);
    const a = auc(predict(model, data, testRows), labels);
    model.dispose();
    console.log(`${label}: AUC ${a.toFixed(3)} (blind ${blindAuc.toFixed(3)}) in ${Date.now() - t0} ms`);
    assert.ok(a >= blindAuc + MARGIN, `${label}: AUC ${a.toFixed(3)} < blind ${blindAuc.toFixed(3)} + ${MARGIN}`);
  });
}

test('adasparse: the sparsity target steers the share of pruned neurons', () => {
  const pruned = (target: number) => {
    const options = { ...SMALL_OPTIONS.adasparse, sparsity_target: target, sparsity_weight: 0.5 };
    const model = MODEL_ZOO.adasparse!.create({ vocab: data.vocab, domains: ['d0', 'd1', 'd2'], seed: 3, options });
    train(model, data, trainRows, budget);
    const a = auc(predict(model, data, testRows), labels);
    const batch = toBatch(data, trainRows.subarray(0, 1000));
    const share = tf.tidy(() => model.forward(batch, { training: true, rng: new Rng(1) }).stats!.pruned_fraction!.dataSync()[0]!);
    disposeBatch(batch);
    model.dispose();
    console.log(`adasparse target ${target}: pruned ${share.toFixed(3)}, AUC ${a.toFixed(3)}`);
    return share;
  };
  const [low, high] = [pruned(0.1), pruned(0.75)];
  assert.ok(Math.abs(low - 0.1) < 0.15 && Math.abs(high - 0.75) < 0.15, `pruned ${low.toFixed(3)} (target 0.1), ${high.toFixed(3)} (target 0.75)`);
  assert.ok(high > low + 0.3, `pruned ${low.toFixed(3)} → ${high.toFixed(3)}`);
});
