/**
 * DeLong's test and the paired t-test against an independent NumPy/SciPy implementation
 * (test/fixtures/significance/reference.json, made by scripts/significance_reference.py).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../helpers/cli.js';
import { delongTest, pairedTTest } from '../../src/eval/significance.js';
import { betaInc, normalTwoSidedP } from '../../src/eval/distributions.js';

interface Fixture {
  delong: { name: string; labels: number[]; scores1: number[]; scores2: number[]; expected: Record<string, number> }[];
  ttest_rel: { name: string; a: number[]; b: number[]; t: number; p: number }[];
}
const fx = JSON.parse(readFileSync(path.join(ROOT, 'test/fixtures/significance/reference.json'), 'utf8')) as Fixture;

const close = (got: number, want: number, tol: number, what: string) =>
  assert.ok(Math.abs(got - want) <= tol * Math.max(1, Math.abs(want)), `${what}: got ${got}, want ${want}`);

test('DeLong statistics and p-values equal the independent reference', () => {
  assert.ok(fx.delong.length >= 4);
  for (const c of fx.delong) {
    const r = delongTest(c.labels, c.scores1, c.scores2);
    for (const k of ['auc1', 'auc2', 'diff', 'se', 'z', 'p'] as const) close(r[k], c.expected[k]!, 1e-10, `${c.name} ${k}`);
  }
});

test('DeLong is antisymmetric and gives p = 1 for identical scores', () => {
  const c = fx.delong[0]!;
  const ab = delongTest(c.labels, c.scores1, c.scores2);
  const ba = delongTest(c.labels, c.scores2, c.scores1);
  close(ba.z, -ab.z, 1e-12, 'z');
  close(ba.p, ab.p, 1e-12, 'p');
  assert.equal(delongTest(c.labels, c.scores1, c.scores1).p, 1);
  assert.throws(() => delongTest([1, 0], [0.1], [0.2, 0.3]), /2 labels but 1 and 2 scores/);
});

test('paired t-test equals scipy.stats.ttest_rel', () => {
  for (const c of fx.ttest_rel) {
    const r = pairedTTest(c.a, c.b);
    close(r.t, c.t, 1e-10, `${c.name} t`);
    close(r.p, c.p, 1e-10, `${c.name} p`);
  }
  assert.ok(Number.isNaN(pairedTTest([0.7], [0.6]).p), 'one seed has no test');
});

test('tail probabilities at known points', () => {
  close(normalTwoSidedP(1.959963984540054), 0.05, 1e-12, 'normal 97.5% quantile');
  close(normalTwoSidedP(0), 1, 1e-15, 'z = 0');
  close(betaInc(0.5, 2, 2), 0.5, 1e-14, 'symmetric beta');
});
