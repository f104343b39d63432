/**
 * Uni-CTR training on two threads (general network here, domain networks in a worker) computes the
 * same step as one thread: gradients, loss and BatchNorm statistics directly, and the losses of a
 * whole `unictr train` run with train.workers 1 and 2.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/runtime/backend.js';
import { Rng } from '../../src/util/rng.js';
import { BranchParallel } from '../../src/train/branch_parallel.js';
import { totalLoss } from '../../src/train/loss.js';
import { disposeBatch, makeBatch, randomStates, snapshot, tinyModel, toTokenStates } from '../model/unictr/helpers.js';
import { ROOT, runCli } from '../helpers/cli.js';

// Relative to each tensor's largest entry: the two threads run the same kernels in the same order,
// so only float summation of the loss itself may differ.
const TOL = 1e-5;

for (const stateNorm of ['none', 'standardize'] as const) test(`two-thread step equals the one-thread step: loss, every gradient, BatchNorm statistics (state_norm ${stateNorm})`, async () => {
  await initBackend({ backend: 'wasm', threads: 1 });
  const serialModel = tinyModel(['A', 'B', 'C'], { state_norm: stateNorm });
  const parallelModel = tinyModel(['A', 'B', 'C'], { state_norm: stateNorm });
  const raw = randomStates(new Rng(5), [5, 3, 7, 2, 6, 4, 7, 1], 7, serialModel.stateLayers.length);
  // Statistics fitted in the main thread must reach the worker's branches (shifted so they matter).
  const shifted = { states: raw.layers.map((a) => a.map((v) => 3 * v + 1)), mask: raw.mask };
  for (const m of [serialModel, parallelModel]) m.fitStateNorm([shifted]);
  // Domain C absent from the batch: its DSN gets no gradient on either path.
  const domains = [0, 0, 0, 1, 1, 1, 1, 0];
  const y = tf.tensor1d([1, 0, 1, 0, 1, 1, 0, 0]);
  const bp = await BranchParallel.maybeStart(parallelModel, 2);
  assert.ok(bp, 'two threads available for Uni-CTR on wasm');
  try {
    const b1 = makeBatch(domains, toTokenStates(raw));
    const serial = tf.variableGrads(() => totalLoss(serialModel.forward(b1, { training: true, rng: new Rng(42) }), y), serialModel.trainableVariables());
    const b2 = makeBatch(domains, toTokenStates(raw));
    const par = await bp.grads(b2, y, 42);
    assert.ok(Math.abs(par.loss - serial.value.dataSync()[0]!) < 1e-6, `loss ${par.loss} vs ${serial.value.dataSync()[0]}`);
    const nameOf = (m: typeof serialModel) => new Map([...m.namedVariables()].map(([k, v]) => [v.name, k]));
    const sNames = nameOf(serialModel);
    const pNames = nameOf(parallelModel);
    const sGrads = new Map(Object.entries(serial.grads).map(([k, g]) => [sNames.get(k)!, g.dataSync() as Float32Array]));
    const pGrads = new Map(Object.entries(par.grads).map(([k, g]) => [pNames.get(k)!, g.dataSync() as Float32Array]));
    assert.deepEqual([...pGrads.keys()].sort(), [...sGrads.keys()].sort());
    assert.ok(![...pGrads.keys()].some((k) => k.startsWith('dsn.2.')), 'absent domain has no gradients');
    for (const [k, g] of sGrads) {
      const scale = Math.max(...Array.from(g, Math.abs), 1e-6);
      const p = pGrads.get(k)!;
      for (let i = 0; i < g.length; i++) assert.ok(Math.abs(p[i]! - g[i]!) <= TOL * scale, `${k}[${i}]: ${p[i]} vs ${g[i]}`);
    }
    // Running statistics moved identically (the DSNs' come back from the worker).
    const s = snapshot(serialModel);
    const p = snapshot(parallelModel);
    for (const [k, v] of s) if (/moving_/.test(k)) assert.deepEqual(Array.from(p.get(k)!), Array.from(v), k);
    tf.dispose([serial.value, ...Object.values(serial.grads), ...Object.values(par.grads)]);
    disposeBatch(b1);
    disposeBatch(b2);
  } finally {
    await bp.close();
    y.dispose();
    serialModel.dispose();
    parallelModel.dispose();
  }
});

test('unictr train with train.workers 1 and 2 logs the same losses (within 1e-4 relative)', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'unictr-workers-'));
  const losses = (workers: number): number[] => {
    const out = path.join(tmp, `run${workers}`);
    const r = runCli([
      'train', '--config', path.join(ROOT, 'experiments/tiny.yaml'), '--out', out, '--backend', 'wasm',
      '--set', `dataset_dir=${path.join(tmp, 'data')}`,
      '--set', `backbone.cache_dir=${path.join(tmp, 'cache')}`,
      '--set', 'train.epochs=2',
      '--set', 'train.max_train_rows=256',
      '--set', `train.workers=${workers}`,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const log = readFileSync(path.join(out, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    return log.filter((e) => e.event === 'step').map((e) => e.loss as number);
  };
  const one = losses(1);
  const two = losses(2);
  assert.ok(one.length >= 8, `${one.length} steps logged`);
  assert.equal(two.length, one.length);
  one.forEach((l, i) => assert.ok(Math.abs(two[i]! - l) <= 1e-4 * Math.abs(l), `step ${i + 1}: 2 workers ${two[i]} vs 1 worker ${l}`));
});
