/**
 * SAR-Net, DFFM, IntTower and DIEN's auxiliary loss against independent NumPy implementations
 * written from the papers (test/reference/table3_models.py → test/fixtures/zoo_table3/*.json): the
 * fixture's weights are loaded into the model by checkpoint name and the outputs compared. The
 * script is re-run (when /usr/bin/python3 has numpy) to catch stale fixtures.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../src/runtime/backend.js';
import { MODEL_ZOO } from '../../../src/model/zoo/index.js';
import type { DIEN } from '../../../src/model/zoo/dien.js';
import type { VocabSizes } from '../../../src/model/layers/feature_embedding.js';
import type { BatchTensors, CtrModel } from '../../../src/model/types.js';
import { totalLoss } from '../../../src/train/loss.js';
import { bceWithLogits } from '../../../src/model/loss.js';
import { Rng } from '../../../src/util/rng.js';
import { disposeBatch } from './helpers.js';

const DIR = 'test/fixtures/zoo_table3';
const SCRIPT = 'test/reference/table3_models.py';
const SYSTEM_PYTHON = '/usr/bin/python3';

interface Fixture {
  model: string;
  options: Record<string, unknown>;
  vocab: VocabSizes;
  domains: string[];
  weights: Record<string, { shape: number[]; values: number[] }>;
  batch: Record<'user_id' | 'item_id' | 'brand_id' | 'title_id' | 'price_bucket' | 'domain_index' | 'labels', number[]> & { history: number[][] };
  expected: { logits?: number[]; head_logits?: number[][]; aux_loss?: number; negatives?: number[][] };
}

before(async () => {
  await initBackend({ backend: 'cpu' });
});

function load(name: string): { fx: Fixture; model: CtrModel; batch: BatchTensors; labels: tf.Tensor1D } {
  const fx = JSON.parse(readFileSync(`${DIR}/${name}.json`, 'utf8')) as Fixture;
  const model = MODEL_ZOO[fx.model]!.create({ vocab: fx.vocab, domains: fx.domains, seed: 1, options: fx.options });
  const vars = model.namedVariables();
  for (const [k, w] of Object.entries(fx.weights)) {
    const v = vars.get(k);
    assert.ok(v, `${name}: the model has no variable "${k}"`);
    assert.deepEqual(v.shape, w.shape, `${name}: shape of ${k}`);
    v.assign(tf.tensor(w.values, w.shape, 'float32'));
  }
  const b = fx.batch;
  const batch: BatchTensors = {
    size: b.user_id.length,
    domainIndex: tf.tensor1d(b.domain_index, 'int32'),
    userId: tf.tensor1d(b.user_id, 'int32'),
    itemId: tf.tensor1d(b.item_id, 'int32'),
    brandId: tf.tensor1d(b.brand_id, 'int32'),
    titleId: tf.tensor1d(b.title_id, 'int32'),
    priceBucket: tf.tensor1d(b.price_bucket, 'int32'),
    history: tf.tensor2d(b.history, undefined, 'int32'),
  };
  return { fx, model, batch, labels: tf.tensor1d(b.labels) };
}

function close(got: number[], want: number[], what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  got.forEach((g, i) => assert.ok(Math.abs(g - want[i]!) <= 1e-5 * Math.max(1, Math.abs(want[i]!)), `${what}[${i}]: ${g} vs reference ${want[i]}`));
}

for (const name of ['sarnet', 'dffm', 'inttower']) {
  test(`${name}: forward pass equals the NumPy reference (own domain, every head, no-domain row → 0)`, () => {
    const { fx, model, batch, labels } = load(name);
    // Every variable of the model is set by the fixture, so no weight escapes the comparison.
    assert.deepEqual([...model.namedVariables().keys()].sort(), Object.keys(fx.weights).sort());
    close(tf.tidy(() => model.forward(batch, { training: false }).logits.arraySync()), fx.expected.logits!, 'logits');
    (fx.expected.head_logits ?? []).forEach((want, k) => close(tf.tidy(() => model.forward(batch, { training: false, head: k }).logits.arraySync()), want, `head ${k}`));
    if (fx.expected.aux_loss !== undefined) {
      const [aux, total, bce] = tf.tidy(() => {
        const out = model.forward(batch, { training: true, rng: new Rng(1) });
        return [out.auxLoss!(labels).dataSync()[0]!, totalLoss(out, labels).dataSync()[0]!, bceWithLogits(out.logits, labels).dataSync()[0]!];
      });
      close([aux], [fx.expected.aux_loss], 'CIR loss');
      assert.ok(Math.abs(total - (bce + aux)) < 1e-5, `total loss ${total} ≠ BCE ${bce} + CIR ${aux}`);
    }
    disposeBatch(batch);
    labels.dispose();
    model.dispose();
  });
}

test('dien: auxiliary next-behaviour loss equals the NumPy reference for the same negatives', () => {
  const { fx, model, batch, labels } = load('dien');
  const negatives = tf.tensor2d(fx.expected.negatives!, undefined, 'int32');
  const got = tf.tidy(() => (model as DIEN).auxiliaryLoss(batch, negatives).dataSync()[0]!);
  close([got], [fx.expected.aux_loss!], 'L_aux');
  tf.dispose([negatives, labels]);
  disposeBatch(batch);
  model.dispose();
});

test('committed fixtures are what test/reference/table3_models.py makes now', (t) => {
  const probe = spawnSync(SYSTEM_PYTHON, ['-c', 'import numpy'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    t.skip(`${SYSTEM_PYTHON} with numpy is not available`);
    return;
  }
  const tmp = mkdtempSync(path.join(tmpdir(), 'zoo-table3-'));
  try {
    const run = spawnSync(SYSTEM_PYTHON, [SCRIPT, '--out', tmp], { encoding: 'utf8' });
    assert.equal(run.status, 0, `reference script failed: ${run.stderr}`);
    assert.deepEqual(readdirSync(tmp).sort(), readdirSync(DIR).sort(), 'fixture file names');
    for (const file of readdirSync(tmp)) {
      const fresh = JSON.parse(readFileSync(path.join(tmp, file), 'utf8')) as Fixture;
      const committed = JSON.parse(readFileSync(path.join(DIR, file), 'utf8')) as Fixture;
      for (const key of ['options', 'vocab', 'domains', 'weights', 'batch'] as const) assert.deepEqual(fresh[key], committed[key], `${file}: ${key} is stale`);
      // Expected values may move by an ulp across numpy builds.
      const flat = (f: Fixture) => [f.expected.logits ?? [], ...(f.expected.head_logits ?? []), [f.expected.aux_loss ?? 0], ...(f.expected.negatives ?? [])].flat();
      const a = flat(fresh);
      const b = flat(committed);
      assert.equal(a.length, b.length, `${file}: expected values`);
      a.forEach((v, i) => assert.ok(Math.abs(v - b[i]!) < 1e-12, `${file}: expected value ${i} is stale`));
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
