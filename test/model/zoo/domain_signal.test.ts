/**
 * SAR-Net and DFFM use the domain: on data whose user × brand interaction flips sign between
 * domains (domain_signal.ts), each beats a domain-blind shared DNN (the `dnn` model with one
 * domain that every row is mapped to) by at least 0.05 held-out AUC. Seeded; runs on wasm.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../../src/runtime/backend.js';
import { MODEL_ZOO } from '../../../src/model/zoo/index.js';
import { auc, predict, SMALL_OPTIONS, train } from './helpers.js';
import { makeDomainSignal } from './domain_signal.js';

const MARGIN = 0.05;
const data = makeDomainSignal(21, { rows: 6000, domains: 3 });
const all = Int32Array.from({ length: data.features.size }, (_, i) => i);
const trainRows = all.subarray(0, 5000);
const testRows = all.subarray(5000);
const labels = Array.from(testRows, (r) => data.labels[r]!);
const fit = { epochs: 4, batchSize: 256, lr: 0.02, seed: 11 };
let blindAuc = NaN;

before(async () => {
  await initBackend({ backend: 'wasm' });
  const everyRow = () => 0;
  const blind = MODEL_ZOO.dnn!.create({ vocab: data.vocab, domains: ['all'], seed: 3, options: { ...SMALL_OPTIONS.dnn, general_network: false } });
  train(blind, data, trainRows, { ...fit, domainIndex: everyRow });
  blindAuc = auc(predict(blind, data, testRows, undefined, everyRow), labels);
  blind.dispose();
  console.log(`domain-blind dnn: AUC ${blindAuc.toFixed(3)}`);
});

test('the domain-blind DNN learns the shared part only', () => {
  assert.ok(blindAuc > 0.6 && blindAuc < 0.85, `blind AUC ${blindAuc.toFixed(3)}`);
});

for (const name of ['sarnet', 'dffm']) {
  test(`${name} beats the domain-blind DNN by ≥ ${MARGIN} held-out AUC`, () => {
    const model = MODEL_ZOO[name]!.create({ vocab: data.vocab, domains: ['d0', 'd1', 'd2'], seed: 3, options: SMALL_OPTIONS[name] });
    train(model, data, trainRows, fit);
    const a = auc(predict(model, data, testRows), labels);
    model.dispose();
    console.log(`${name}: AUC ${a.toFixed(3)} (blind ${blindAuc.toFixed(3)})`);
    assert.ok(a >= blindAuc + MARGIN, `${name}: AUC ${a.toFixed(3)} < blind ${blindAuc.toFixed(3)} + ${MARGIN}`);
  });
}
