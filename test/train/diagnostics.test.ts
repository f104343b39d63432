/** Diagnostics helpers: module grouping and gradient norms, per-domain curve points, positive rates, loss terms. */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/runtime/backend.js';
import { curveStats, evalEvents, learningCurveSeries, moduleGradNorms, moduleOf, positiveRates } from '../../src/train/diagnostics.js';
import { lossTerms } from '../../src/train/loss.js';
import { auc, logloss } from '../../src/train/metrics.js';
import type { SplitColumns } from '../../src/data/types.js';

before(async () => {
  await initBackend({ backend: 'cpu' });
});

test('moduleOf groups Uni-CTR variables by branch part and other models by first component', () => {
  assert.equal(moduleOf('dsn.2.ladder.1.down.0.kernel'), 'dsn.2.ladder');
  assert.equal(moduleOf('dsn.0.tower.out.bias'), 'dsn.0.tower');
  assert.equal(moduleOf('general.gate.query'), 'general.gate');
  assert.equal(moduleOf('mlp.0.kernel'), 'mlp');
  assert.equal(moduleOf('domain_embedding'), 'domain_embedding');
});

test('moduleGradNorms is the L2 norm over each module', () => {
  const g = new Map<string, tf.Tensor>([
    ['dsn.0.tower.0.linear.kernel', tf.tensor1d([3, 0])],
    ['dsn.0.tower.out.bias', tf.tensor1d([4])],
    ['general.gate.query', tf.tensor1d([1, 2, 2])],
  ]);
  const n = moduleGradNorms(g);
  assert.deepEqual(Object.keys(n).sort(), ['dsn.0.tower', 'general.gate']);
  assert.ok(Math.abs(n['dsn.0.tower']! - 5) < 1e-6);
  assert.ok(Math.abs(n['general.gate']! - 3) < 1e-6);
  tf.dispose([...g.values()]);
});

test('curveStats and positiveRates split rows by domain; pooled covers all rows', () => {
  const split = { domainId: Int32Array.from([1, 0, 1, 0, 1, 0]), label: Uint8Array.from([1, 0, 0, 1, 1, 1]) } as unknown as SplitColumns;
  const src = { split, rows: Int32Array.from([0, 1, 2, 3, 4, 5]) };
  const p = [0.9, 0.2, 0.4, 0.6, 0.3, 0.7];
  const name = (d: number) => ['a', 'b'][d]!;
  const c = curveStats(src, p, name);
  assert.deepEqual(Object.keys(c), ['a', 'b', 'pooled']);
  assert.equal(c.a!.auc, auc([0, 1, 1], [0.2, 0.6, 0.7]));
  assert.equal(c.b!.logloss, logloss([1, 0, 1], [0.9, 0.4, 0.3]));
  assert.equal(c.pooled!.rows, 6);
  const r = positiveRates(src, name);
  assert.deepEqual(r, { a: { rows: 3, positive_rate: 2 / 3 }, b: { rows: 3, positive_rate: 2 / 3 }, all: { rows: 6, positive_rate: 4 / 6 } });
  const ev = evalEvents(
    [
      JSON.stringify({ event: 'step', step: 1 }),
      JSON.stringify({ event: 'eval', model: null, step: 5, train: { pooled: c.pooled }, valid: c }),
      JSON.stringify({ event: 'eval', model: null, step: 10, train: { pooled: c.pooled }, valid: c }),
    ].join('\n'),
  );
  const s = learningCurveSeries(ev, 'auc');
  assert.deepEqual(s.map((x) => x.name), ['valid a', 'valid b', 'valid pooled', 'train pooled (sample)']);
  assert.deepEqual(s[0]!.points, [[5, c.a!.auc], [10, c.a!.auc]]);
});

test('lossTerms: total = own + general weight × each auxiliary term', () => {
  const labels = tf.tensor1d([1, 0, 1]);
  const out = { logits: tf.tensor1d([2, -1, 0.5]), auxLogits: [tf.tensor1d([0.1, 0.2, -0.3])] };
  const t = lossTerms(out, labels, 0.25);
  const own = t.own.dataSync()[0]!;
  const aux = t.aux[0]!.dataSync()[0]!;
  const bce = (z: number[], y: number[]) => z.reduce((a, zi, i) => a - (y[i]! * Math.log(1 / (1 + Math.exp(-zi))) + (1 - y[i]!) * Math.log(1 - 1 / (1 + Math.exp(-zi)))), 0) / z.length;
  assert.ok(Math.abs(own - bce([2, -1, 0.5], [1, 0, 1])) < 1e-6);
  assert.ok(Math.abs(aux - bce([0.1, 0.2, -0.3], [1, 0, 1])) < 1e-6);
  assert.ok(Math.abs(t.total.dataSync()[0]! - (own + 0.25 * aux)) < 1e-6);
  tf.dispose([labels, out.logits, ...out.auxLogits, t.total, t.own, ...t.aux]);
});
