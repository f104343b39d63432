import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, mkdtempSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  auc,
  bootstrapAucCi,
  bootstrapAucCiDetailed,
  gauc,
  gaucDetailed,
  logloss,
  percentileSorted,
  relaImpr,
  summarize,
  summarizeByGroup,
} from '../../src/train/metrics.js';
import { DataError } from '../../src/util/errors.js';
import { Rng } from '../../src/util/rng.js';
import { needSklearn } from '../helpers/cli.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const fixtureDir = path.join(root, 'test/fixtures/metrics');
const script = path.join(root, 'scripts/make_metric_fixtures.py');
const SYSTEM_PYTHON = '/usr/bin/python3';
const TOL = 1e-9;

interface Fixture {
  name: string;
  description: string;
  made_with: string;
  labels: number[];
  scores: number[];
  user_ids?: (string | number)[];
  expected: {
    auc: number | null;
    logloss?: number;
    gauc?: number | null;
    gauc_users?: number;
    gauc_skipped_users?: number;
    bootstrap?: { iterations: number; alpha: number; seed: number; ci: [number, number]; redrawn: number };
  };
}

function loadFixtures(dir: string): Map<string, Fixture> {
  const out = new Map<string, Fixture>();
  for (const f of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    out.set(f, JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as Fixture);
  }
  return out;
}

const fixtures = loadFixtures(fixtureDir);

function close(actual: number, expected: number | null, what: string, tol = TOL): void {
  if (expected === null) {
    assert.ok(Number.isNaN(actual), `${what}: expected undefined (NaN), got ${actual}`);
    return;
  }
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: got ${actual}, expected ${expected} (diff ${actual - expected})`);
}

test('fixtures exist and cover ties, sizes 5..5000, users, bootstrap and extreme probabilities', () => {
  assert.ok(fixtures.size >= 10, `only ${fixtures.size} fixtures in ${fixtureDir}`);
  const sizes = [...fixtures.values()].map((f) => f.labels.length);
  assert.equal(Math.min(...sizes), 5);
  assert.equal(Math.max(...sizes), 5000);
  assert.ok([...fixtures.values()].some((f) => f.user_ids));
  assert.ok([...fixtures.values()].some((f) => f.expected.bootstrap));
});

for (const [file, fx] of fixtures) {
  test(`matches scikit-learn on ${file} (${fx.description})`, () => {
    const e = fx.expected;
    close(auc(fx.labels, fx.scores), e.auc, `${fx.name} auc`);
    // Typed arrays must give the same answer as plain arrays.
    close(auc(Int8Array.from(fx.labels), Float64Array.from(fx.scores)), e.auc, `${fx.name} auc (typed)`);
    if (e.logloss !== undefined) close(logloss(fx.labels, fx.scores), e.logloss, `${fx.name} logloss`);
    if (fx.user_ids) {
      const g = gaucDetailed(fx.labels, fx.scores, fx.user_ids);
      close(g.gauc, e.gauc ?? null, `${fx.name} gauc`);
      assert.equal(g.users, e.gauc_users);
      assert.equal(g.skippedUsers, e.gauc_skipped_users);
    }
    if (e.bootstrap) {
      const b = bootstrapAucCiDetailed(fx.labels, fx.scores, e.bootstrap);
      close(b.ci[0], e.bootstrap.ci[0], `${fx.name} bootstrap lo`);
      close(b.ci[1], e.bootstrap.ci[1], `${fx.name} bootstrap hi`);
      assert.equal(b.redrawn, e.bootstrap.redrawn, 'one-class resamples redrawn');
    }
  });
}

test('committed fixtures are what scripts/make_metric_fixtures.py makes now', (t) => {
  if (!needSklearn(t)) return;
  const tmp = mkdtempSync(path.join(tmpdir(), 'metric-fixtures-'));
  try {
    const run = spawnSync(SYSTEM_PYTHON, [script, '--out', tmp], { encoding: 'utf8' });
    assert.equal(run.status, 0, `fixture script failed: ${run.stderr}`);
    const fresh = loadFixtures(tmp);
    assert.deepEqual([...fresh.keys()], [...fixtures.keys()], 'fixture file names');
    for (const [file, f] of fresh) {
      const committed = fixtures.get(file)!;
      // Inputs must be identical; expected values may move by an ulp across sklearn builds.
      assert.deepEqual(f.labels, committed.labels, `${file}: labels are stale`);
      assert.deepEqual(f.scores, committed.scores, `${file}: scores are stale`);
      assert.deepEqual(f.user_ids, committed.user_ids, `${file}: user ids are stale`);
      const flat = (e: unknown, prefix = ''): [string, unknown][] =>
        e !== null && typeof e === 'object'
          ? Object.entries(e).flatMap(([k, v]) => flat(v, prefix ? `${prefix}.${k}` : k))
          : [[prefix, e]];
      const a = flat(f.expected);
      const b = flat(committed.expected);
      assert.deepEqual(a.map(([k]) => k), b.map(([k]) => k), `${file}: expected keys are stale`);
      for (let i = 0; i < a.length; i++) {
        const [k, va] = a[i]!;
        const vb = b[i]![1];
        if (typeof va === 'number' && typeof vb === 'number') close(vb, va, `${file}: ${k} is stale`, 1e-12);
        else assert.deepEqual(vb, va, `${file}: ${k} is stale`);
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

/** O(n²) pair counting: the definition of AUC, independent of the rank-based code. */
function pairAuc(y: ArrayLike<number>, s: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < y.length; i++) {
    if (y[i] !== 1) continue;
    for (let j = 0; j < y.length; j++) {
      if (y[j] !== 0) continue;
      den++;
      num += s[i]! > s[j]! ? 1 : s[i] === s[j] ? 0.5 : 0;
    }
  }
  return num / den;
}

test('auc equals pair counting on random tied vectors', () => {
  const rng = new Rng(11);
  for (let trial = 0; trial < 30; trial++) {
    const n = 2 + rng.int(60);
    const y = Array.from({ length: n }, () => (rng.next() < 0.4 ? 1 : 0));
    y[0] = 1;
    y[1] = 0;
    const s = Array.from({ length: n }, () => rng.int(5) - 2);
    assert.equal(auc(y, s), pairAuc(y, s));
  }
});

test('auc treats -0 and +0 as a tie and depends only on order', () => {
  assert.equal(auc([1, 0], [0, -0]), 0.5);
  const y = [0, 1, 1, 0, 1, 0];
  const s = [0.1, 0.7, 0.3, 0.3, 0.9, 0.2];
  assert.equal(auc(y, s), auc(y, s.map((v) => Math.log(v / (1 - v)))));
});

test('undefined and invalid inputs', () => {
  assert.ok(Number.isNaN(auc([], [])));
  assert.ok(Number.isNaN(auc([0, 0, 0], [0.1, 0.2, 0.3])));
  assert.ok(Number.isNaN(logloss([], [])));
  assert.ok(Number.isNaN(gauc([1, 1, 0], [0.1, 0.2, 0.3], ['a', 'a', 'b'])));
  assert.deepEqual(bootstrapAucCi([1, 1], [0.2, 0.4]), [NaN, NaN]);
  assert.throws(() => auc([0, 2], [0.1, 0.2]), (e: unknown) => e instanceof DataError && /labels\[1\] is 2/.test(e.message));
  assert.throws(() => auc([0, 1], [0.1]), (e: unknown) => e instanceof DataError && /2 rows.*1/.test(e.message));
  assert.throws(() => auc([0, 1], [0.1, NaN]), (e: unknown) => e instanceof DataError && /scores\[1\] is NaN/.test(e.message));
  assert.throws(() => logloss([0, 1], [0.1, 1.5]), (e: unknown) => e instanceof DataError && /probs\[1\] is 1.5/.test(e.message));
  assert.throws(() => bootstrapAucCi([0, 1], [0.1, 0.2], { iterations: 0 }), DataError);
});

test('logloss eps option clips like sklearn with an explicit eps', () => {
  // sklearn: log_loss([1, 0], [0, 1], eps=1e-7) = -log(1e-7).
  close(logloss([1, 0], [0, 1], { eps: 1e-7 }), -Math.log(1e-7), 'eps 1e-7', 1e-9);
});

test('relaImpr reproduces the spec table (Uni-CTR over PNN, Fashion)', () => {
  close(relaImpr(0.7523, 0.6979), ((0.2523 / 0.1979) - 1) * 100, 'formula');
  // 27.49% as one would report it from the published AUCs.
  assert.equal(relaImpr(0.7523, 0.6979).toFixed(2), '27.49');
  assert.equal(relaImpr(0.7569, 0.6859).toFixed(2), '38.19'); // Musical Instruments
  assert.equal(relaImpr(0.7246, 0.5959).toFixed(2), '134.20'); // Gift Cards
  assert.equal(relaImpr(0.7, 0.7), 0);
  assert.ok(relaImpr(0.6, 0.7) < 0);
});

test('bootstrap: each resample AUC equals the exact AUC of the materialised resample', () => {
  const fx = fixtures.get('imbalanced_n1500.json')!;
  const n = fx.labels.length;
  const { samples } = bootstrapAucCiDetailed(fx.labels, fx.scores, { iterations: 25, seed: 99 });
  const rng = new Rng(99);
  const direct: number[] = [];
  while (direct.length < 25) {
    const idx = Array.from({ length: n }, () => rng.int(n));
    const y = idx.map((i) => fx.labels[i]!);
    if (!y.includes(0) || !y.includes(1)) continue;
    direct.push(auc(y, idx.map((i) => fx.scores[i]!)));
  }
  direct.sort((a, b) => a - b);
  assert.deepEqual([...samples], direct);
});

test('bootstrap is reproducible by seed, fast, and brackets the AUC', () => {
  const fx = fixtures.get('many_duplicates_n5000.json')!;
  const y = fx.labels.slice(0, 2000);
  const s = fx.scores.slice(0, 2000);
  const t0 = performance.now();
  const a = bootstrapAucCi(y, s, { seed: 5 });
  const ms = performance.now() - t0;
  assert.deepEqual(bootstrapAucCi(y, s, { seed: 5 }), a);
  assert.notDeepEqual(bootstrapAucCi(y, s, { seed: 6 }), a);
  const point = auc(y, s);
  assert.ok(a[0] < point && point < a[1], `${a} should bracket ${point}`);
  assert.ok(ms < 2000, `1000 resamples of 2000 rows took ${ms.toFixed(0)} ms`);
});

test('percentileSorted matches numpy linear interpolation', () => {
  // numpy.percentile([1, 2, 4, 8], [2.5, 50, 97.5]) = [1.075, 3.0, 7.7].
  close(percentileSorted([1, 2, 4, 8], 0.025), 1.075, 'p2.5', 1e-12);
  close(percentileSorted([1, 2, 4, 8], 0.5), 3, 'p50', 1e-12);
  close(percentileSorted([1, 2, 4, 8], 0.975), 7.7, 'p97.5', 1e-12);
});

test('summarize and summarizeByGroup', () => {
  const fx = fixtures.get('gauc_users_n2000.json')!;
  const s = summarize(fx.labels, fx.scores, fx.user_ids, { bootstrap: { iterations: 200 } });
  close(s.auc, fx.expected.auc, 'auc');
  close(s.logloss, fx.expected.logloss!, 'logloss');
  close(s.gauc!, fx.expected.gauc!, 'gauc');
  assert.equal(s.rows, 2000);
  assert.equal(s.positives, fx.labels.filter((v) => v === 1).length);
  assert.ok(s.auc_ci95[0] < s.auc && s.auc < s.auc_ci95[1]);
  assert.equal(summarize([1, 0], [0.6, 0.4]).gauc, undefined);

  const groups = fx.labels.map((_, i) => (i % 3 === 0 ? 'Fashion' : 'Gift Cards'));
  const by = summarizeByGroup(fx.labels, fx.scores, groups, undefined, { bootstrap: { iterations: 50 } });
  assert.deepEqual(Object.keys(by.groups), ['Fashion', 'Gift Cards']);
  const idx = groups.flatMap((g, i) => (g === 'Gift Cards' ? [i] : []));
  assert.equal(by.groups['Gift Cards']!.auc, auc(idx.map((i) => fx.labels[i]!), idx.map((i) => fx.scores[i]!)));
  assert.equal(by.groups['Gift Cards']!.rows, idx.length);
  assert.equal(by.overall.auc, auc(fx.labels, fx.scores));
});
