/**
 * Every baseline learns a planted user × brand affinity: AUC ≥ 0.8 on held-out rows after a short
 * training. Single-domain models see only their domain's rows (the trainer's rowsOfDomains), which a
 * spy on forward checks. Runs on wasm: several times faster than the cpu backend for these small ops.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../src/runtime/backend.js';
import { MODEL_ZOO } from '../../../src/model/zoo/index.js';
import { rowsOfDomains } from '../../../src/train/batches.js';
import type { SplitColumns } from '../../../src/data/types.js';
import { auc, makeSynthetic, predict, SMALL_OPTIONS as OPTIONS, train } from './helpers.js';

const data = makeSynthetic(7, { rows: 6000, users: 30, items: 30, brands: 4, domains: 2, flip: 0.05 });
const all = Int32Array.from({ length: data.features.size }, (_, i) => i);
const trainRows = all.subarray(0, 5000);
const testRows = all.subarray(5000);

/** Rows of domain 0 among `rows` (positions of the synthetic data), as the trainer selects them. */
function domain0(rows: Int32Array): Int32Array {
  const sub = { rows: rows.length, domainId: Int32Array.from(rows, (r) => data.features.domainId[r]!) } as SplitColumns;
  return Int32Array.from(rowsOfDomains(sub, [0]), (i) => rows[i]!);
}

before(async () => {
  await initBackend({ backend: 'wasm' });
});

test('every registered baseline has learnability options here', () => {
  assert.deepEqual(Object.keys(OPTIONS).sort(), Object.keys(MODEL_ZOO).sort());
});

const CASES: [string, string, Record<string, unknown>][] = Object.keys(MODEL_ZOO).map((n) => [n, n, OPTIONS[n]!]);
CASES.push(['star + partitioned norm', 'star', { ...OPTIONS.star, partitioned_norm: true }]);

for (const [label, name, options] of CASES) {
  const entry = MODEL_ZOO[name]!;
  test(`${label} reaches AUC ≥ 0.8 on held-out rows`, () => {
    const t0 = Date.now();
    const before = tf.memory().numTensors;
    const domains = entry.kind === 'single' ? ['d0'] : ['d0', 'd1'];
    const model = entry.create({ vocab: data.vocab, domains, seed: 3, options });
    // Single-domain: train and score on domain 0 only.
    const tr = entry.kind === 'single' ? domain0(trainRows) : trainRows;
    const te = entry.kind === 'single' ? domain0(testRows) : testRows;
    if (entry.kind === 'single') {
      const forward = model.forward.bind(model);
      model.forward = (batch, opts) => {
        const seen = new Set(batch.domainIndex.dataSync());
        assert.deepEqual([...seen], [0], `${name} was fed rows of domains ${[...seen]}`);
        return forward(batch, opts);
      };
    }
    train(model, data, Int32Array.from(tr), { epochs: 4, batchSize: 256, lr: 0.02, seed: 11 });
    const scores = predict(model, data, Int32Array.from(te));
    const labels = Array.from(te, (r) => data.labels[r]!);
    const a = auc(scores, labels);
    model.dispose();
    console.log(`${label}: AUC ${a.toFixed(3)} in ${Date.now() - t0} ms`);
    assert.ok(a >= 0.8, `${name}: held-out AUC ${a.toFixed(3)} < 0.8`);
    assert.equal(tf.memory().numTensors, before, `${name}: tensors leaked during training`);
  });
}
