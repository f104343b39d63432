/**
 * PEPNet, M2M, APG and AdaSparse against independent NumPy forward passes written from their
 * papers (test/reference/zoo_models.py → test/fixtures/zoo/*.json): the fixture's weights are
 * loaded by checkpoint name, and the logits of every row as its own domain and as each head must
 * match to 1e-5. For AdaSparse a training forward's sparsity regulariser (`auxLoss`) and share of
 * pruned neurons (`stats.pruned_fraction`) must match too.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../src/runtime/backend.js';
import { createZooModel } from '../../../src/model/zoo/index.js';
import type { BatchTensors } from '../../../src/model/types.js';
import { Rng } from '../../../src/util/rng.js';
import { disposeBatch } from './helpers.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const fixtureDir = path.join(root, 'test/fixtures/zoo');
const script = path.join(root, 'test/reference/zoo_models.py');
const SYSTEM_PYTHON = '/usr/bin/python3';
const TOL = 1e-5;

interface Fixture {
  name: string;
  model: string;
  options: Record<string, unknown>;
  vocab: { user: number; item: number; brand: number; title: number; price_bucket: number };
  domains: number;
  batch: Record<'domain_index' | 'user_id' | 'item_id' | 'brand_id' | 'title_id' | 'price_bucket', number[]> & { history: number[][] };
  weights: Record<string, { shape: number[]; values: number[] }>;
  /** AdaSparse also: the training forward's regulariser value and share of zero factors. */
  expected: { own: number[]; heads: number[][]; sparsity_loss?: number; pruned_fraction?: number };
}

function load(dir: string): Map<string, Fixture> {
  const out = new Map<string, Fixture>();
  for (const f of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) out.set(f, JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as Fixture);
  return out;
}

const fixtures = load(fixtureDir);

function toBatch(b: Fixture['batch']): BatchTensors {
  const ids = (a: number[]) => tf.tensor1d(a, 'int32');
  return {
    size: b.user_id.length,
    domainIndex: ids(b.domain_index),
    userId: ids(b.user_id),
    itemId: ids(b.item_id),
    brandId: ids(b.brand_id),
    titleId: ids(b.title_id),
    priceBucket: ids(b.price_bucket),
    history: tf.tensor2d(b.history, [b.history.length, 5], 'int32'),
  };
}

function assertClose(got: ArrayLike<number>, want: number[], what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) {
    const tol = TOL * Math.max(1, Math.abs(want[i]!));
    assert.ok(Math.abs(got[i]! - want[i]!) <= tol, `${what} row ${i}: got ${got[i]}, reference ${want[i]}`);
  }
}

before(async () => {
  await initBackend({ backend: 'cpu' });
});

test('fixtures cover every domain-conditioned model, both PEPNet ablations, APG over-parameterised and every AdaSparse form', () => {
  const names = [...fixtures.values()].map((f) => f.name);
  for (const n of ['pepnet', 'pepnet_epnet_only', 'pepnet_ppnet_only', 'm2m', 'apg', 'apg_overparam', 'adasparse_scaling', 'adasparse_binarization', 'adasparse_fusion']) {
    assert.ok(names.includes(n), `missing fixture ${n}`);
  }
});

for (const [file, fx] of fixtures) {
  test(`${fx.model} matches the NumPy reference on ${file}`, () => {
    const domains = Array.from({ length: fx.domains }, (_, k) => `d${k}`);
    const model = createZooModel(fx.model, { vocab: fx.vocab, domains, seed: 1, options: fx.options });
    const vars = model.namedVariables();
    // Same variable set on both sides: nothing the reference leaves out, nothing extra.
    assert.deepEqual([...vars.keys()].sort(), Object.keys(fx.weights).sort(), 'variable names');
    for (const [name, v] of vars) {
      const w = fx.weights[name]!;
      assert.deepEqual(v.shape, w.shape, `${name} shape`);
      v.assign(tf.tensor(w.values, w.shape, 'float32'));
    }
    const batch = toBatch(fx.batch);
    const run = (head?: number) => tf.tidy(() => model.forward(batch, { training: false, head }).logits.dataSync());
    assertClose(run(), fx.expected.own, `${fx.name} own domain`);
    fx.expected.heads.forEach((want, k) => assertClose(run(k), want, `${fx.name} head ${k}`));
    // The heads differ, so a model that ignored the domain would fail above.
    assert.ok(fx.expected.heads[0]!.some((v, i) => Math.abs(v - fx.expected.heads[1]![i]!) > 1e-3), 'reference heads 0 and 1 agree');
    if (fx.expected.pruned_fraction !== undefined) {
      const [reg, pruned] = tf.tidy(() => {
        const out = model.forward(batch, { training: true, rng: new Rng(1) });
        return [out.auxLoss?.(tf.zeros([batch.size]) as tf.Tensor1D).dataSync()[0], out.stats?.pruned_fraction?.dataSync()[0]];
      });
      assertClose([pruned!], [fx.expected.pruned_fraction], `${fx.name} pruned fraction`);
      if (fx.expected.sparsity_loss === undefined) assert.equal(reg, undefined, `${fx.name}: no regulariser expected`);
      else assertClose([reg!], [fx.expected.sparsity_loss], `${fx.name} sparsity regulariser`);
    }
    disposeBatch(batch);
    model.dispose();
  });
}

test('committed fixtures are what test/reference/zoo_models.py makes now', (t) => {
  const probe = spawnSync(SYSTEM_PYTHON, ['-c', 'import numpy'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    t.skip(`${SYSTEM_PYTHON} with numpy is not available`);
    return;
  }
  const tmp = mkdtempSync(path.join(tmpdir(), 'zoo-fixtures-'));
  try {
    const run = spawnSync(SYSTEM_PYTHON, [script, '--out', tmp], { encoding: 'utf8' });
    assert.equal(run.status, 0, `reference script failed: ${run.stderr}`);
    const fresh = load(tmp);
    assert.deepEqual([...fresh.keys()], [...fixtures.keys()], 'fixture file names');
    for (const [file, f] of fresh) {
      const c = fixtures.get(file)!;
      assert.deepEqual(f.options, c.options, `${file}: options are stale`);
      assert.deepEqual(f.batch, c.batch, `${file}: batch is stale`);
      assert.deepEqual(f.weights, c.weights, `${file}: weights are stale`);
      // Expected logits may move by an ulp across numpy builds.
      [f.expected.own, ...f.expected.heads].forEach((row, i) => {
        const cr = [c.expected.own, ...c.expected.heads][i]!;
        row.forEach((v, j) => assert.ok(Math.abs(v - cr[j]!) < 1e-12, `${file}: expected value ${i}/${j} is stale`));
      });
      for (const k of ['sparsity_loss', 'pruned_fraction'] as const) {
        const [a, b] = [f.expected[k], c.expected[k]];
        assert.ok(a === b || (a !== undefined && b !== undefined && Math.abs(a - b) < 1e-12), `${file}: expected ${k} is stale`);
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
