/**
 * backbone.cache: none — frozen states encoded on the fly (in a worker) instead of read from the
 * on-disk cache: the same states and the same trained metrics as the float32 cache, and no cache
 * folder.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { ROOT, runCli, writeTinyConfig } from '../helpers/cli.js';
import { initBackend } from '../../src/runtime/backend.js';
import { createStateEncoder } from '../../src/model/backbone/index.js';
import { openStateCache } from '../../src/model/backbone/encoder_cache.js';
import { StateStream } from '../../src/train/state_stream.js';
import type { SplitColumns } from '../../src/data/types.js';

await initBackend({ backend: 'cpu' });

const tmp = mkdtempSync(path.join(os.tmpdir(), 'unictr-nocache-'));
const TINY_BERT = path.join(ROOT, 'test/fixtures/tiny-bert');
/** States differ only by float rounding (other padding in a batch): far below any training effect. */
const STATE_TOL = 1e-4;
/** Metrics of two runs whose states differ only by that rounding. */
const METRIC_TOL = 1e-4;
/** A CLI training run on a heavily shared machine can take minutes. */
const SLOW = 1_200_000;

test('streamed states equal the float32 cache; an announced batch that is not asked for is dropped', async () => {
  const prompts = ['a short prompt', 'a somewhat longer prompt about a red bicycle and its brand', 'x', 'the user bought three books and a lamp'];
  const split = { prompt: prompts } as unknown as SplitColumns;
  const layers = [0, 2];
  const enc = await createStateEncoder({ kind: 'hf', path: TINY_BERT });
  const cache = await openStateCache({ root: path.join(tmp, 'unit-cache'), encoder: enc, prompts, maxLength: 16, layers, dtype: 'float32' });
  enc.dispose?.();
  const stream = await StateStream.start({ spec: { kind: 'hf', path: TINY_BERT }, truncation: 'right', maxLength: 16, layers });
  try {
    const s = stream.forSplit(split);
    const want = Int32Array.from([3, 0, 1]);
    // Announced, then something else asked for first: the answer must be the rows asked for.
    s.prefetch(Int32Array.from([2, 1]));
    s.prefetch(want);
    const other = s.read(Int32Array.from([1, 2]));
    const ref = cache.read(Int32Array.from([1, 2]), layers);
    assert.deepEqual([other.batch, other.seqLen], [ref.batch, ref.seqLen]);
    assert.deepEqual(Array.from(other.mask), Array.from(ref.mask));
    const got = s.states(want);
    const exp = cache.batch(want, layers);
    assert.equal(got.layers.length, 2);
    for (let i = 0; i < 2; i++) {
      assert.deepEqual(got.layers[i]!.shape, exp.layers[i]!.shape);
      const diff = tf.max(tf.abs(tf.sub(got.layers[i]!, exp.layers[i]!))).dataSync()[0]!;
      assert.ok(diff <= STATE_TOL, `layer ${layers[i]}: max |streamed − cached| = ${diff}`);
    }
    assert.deepEqual(Array.from(got.mask.dataSync()), Array.from(exp.mask.dataSync()));
    // The dropped announcement left nothing behind: the next request is answered with its own rows.
    const again = s.read(Int32Array.from([2]));
    assert.equal(again.batch, 1);
    assert.equal(again.seqLen, cache.lengths[2]);
    tf.dispose([...got.layers, got.mask, ...exp.layers, exp.mask]);
  } finally {
    cache.close();
    await stream.close();
  }
});

test('a worker that dies without its exit handler fails the request after the stall limit instead of hanging', async () => {
  const split = { prompt: ['a short prompt', 'another prompt'] } as unknown as SplitColumns;
  const stream = await StateStream.start({ spec: { kind: 'hf', path: TINY_BERT }, truncation: 'right', maxLength: 16, layers: [2], stallMs: 3000 });
  try {
    const s = stream.forSplit(split);
    assert.equal(s.read(Int32Array.from([0])).batch, 1);
    // terminate() runs no exit handler in the worker; with the listeners gone this thread learns
    // nothing of it either, as when it is blocked in Atomics.wait while the worker dies.
    const worker = (stream as unknown as { worker: import('node:worker_threads').Worker }).worker;
    worker.removeAllListeners();
    await worker.terminate();
    const t0 = Date.now();
    assert.throws(() => s.read(Int32Array.from([1])), /state encoder worker gave no reply and no sign of life for \d+ s/);
    assert.ok(Date.now() - t0 < 60_000, `took ${Date.now() - t0} ms`);
    // The failure sticks: later requests fail at once.
    assert.throws(() => s.read(Int32Array.from([0])), /no sign of life/);
  } finally {
    await stream.close();
  }
});

test('backbone.cache=none trains to the metrics of the float32 cache and writes no cache folder', () => {
  const common = [
    '--config', path.join(ROOT, 'experiments/tiny.yaml'),
    '--set', `dataset_dir=${path.join(tmp, 'data')}`,
    '--set', 'domains.train=[Synthetic A, Synthetic B]',
    '--set', 'domains.zero_shot=[Synthetic D]',
    '--set', 'train.epochs=2',
    '--set', 'train.max_train_rows=96',
    '--set', 'train.workers=1',
    // Fitted from the training rows' states: read through the encoder with cache none.
    '--set', 'model.state_norm=standardize',
    '--backend', 'wasm',
  ];
  const cached = runCli(['train', ...common, '--out', path.join(tmp, 'fp32'), '--set', `backbone.cache_dir=${path.join(tmp, 'cache-fp32')}`, '--set', 'backbone.cache_dtype=fp32'], { timeoutMs: SLOW });
  assert.equal(cached.code, 0, cached.stderr);
  const noneDir = path.join(tmp, 'cache-none');
  const streamed = runCli(['train', ...common, '--out', path.join(tmp, 'none'), '--set', `backbone.cache_dir=${noneDir}`, '--set', 'backbone.cache=none'], { timeoutMs: SLOW });
  assert.equal(streamed.code, 0, streamed.stderr);
  assert.ok(existsSync(path.join(tmp, 'cache-fp32')), 'the disk run built its cache');
  assert.ok(!existsSync(noneDir), 'cache none writes no cache folder');
  assert.match(streamed.stderr, /backbone\.cache none: .*cache_budget_gb is not applied/);
  assert.match(streamed.stderr, /state_norm: standardize fitted on/);
  const a = JSON.parse(readFileSync(path.join(tmp, 'fp32/metrics.json'), 'utf8'));
  const b = JSON.parse(readFileSync(path.join(tmp, 'none/metrics.json'), 'utf8'));
  const groups = ['test', 'zero_shot'] as const;
  let compared = 0;
  for (const g of groups) {
    assert.deepEqual(Object.keys(b[g]), Object.keys(a[g]), `${g}: same domains`);
    for (const [domain, m] of Object.entries(a[g] as Record<string, Record<string, unknown>>)) {
      for (const key of ['auc', 'logloss']) {
        const x = m[key] as number;
        const y = (b[g][domain] as Record<string, number>)[key]!;
        assert.equal(typeof x, 'number', `${g} ${domain} ${key} is reported`);
        assert.ok(Math.abs(x - y) <= METRIC_TOL, `${g} ${domain} ${key}: cache ${x}, none ${y}`);
        compared++;
      }
    }
  }
  assert.equal(compared, 6);
  // A scoring command of the run re-encodes through the worker too, and reproduces the metrics.
  const ev = runCli(['eval', '--run', path.join(tmp, 'none'), '--json', '--backend', 'wasm']);
  assert.equal(ev.code, 0, ev.stderr);
  assert.deepEqual(JSON.parse(ev.stdout).test, b.test);
  assert.ok(!existsSync(noneDir), 'eval writes no cache folder either');
});

test('the pooled_lr states baseline trains with backbone.cache=none to the metrics of the float32 cache', () => {
  const cfg = writeTinyConfig(
    tmp,
    'pooled',
    path.join(tmp, 'data'),
    `model:\n  name: pooled_lr\nbackbone:\n  kind: hf\n  path: ${TINY_BERT}\n  max_length: 64\ndomains:\n  train: [Synthetic A, Synthetic B]\n  zero_shot: [Synthetic D]\ntrain:\n  epochs: 1\n  max_train_rows: 96\n`,
  );
  const run = (name: string, sets: string[]) => {
    const r = runCli(['train', '--config', cfg, '--out', path.join(tmp, name), '--backend', 'wasm', '--set', `backbone.cache_dir=${path.join(tmp, `cache-${name}`)}`, ...sets], { timeoutMs: SLOW });
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(readFileSync(path.join(tmp, name, 'metrics.json'), 'utf8'));
  };
  const a = run('pooled-fp32', ['--set', 'backbone.cache_dtype=fp32']);
  const b = run('pooled-none', ['--set', 'backbone.cache=none']);
  assert.ok(!existsSync(path.join(tmp, 'cache-pooled-none')), 'cache none writes no cache folder');
  for (const [domain, m] of Object.entries(a.test as Record<string, { auc: number; logloss: number }>)) {
    assert.ok(Math.abs(m.auc - b.test[domain].auc) <= METRIC_TOL, `${domain} AUC: cache ${m.auc}, none ${b.test[domain].auc}`);
    assert.ok(Math.abs(m.logloss - b.test[domain].logloss) <= METRIC_TOL, `${domain} logloss: cache ${m.logloss}, none ${b.test[domain].logloss}`);
  }
});

test('a bad backbone.cache value is a config error naming the key', () => {
  const r = runCli([
    'train', '--config', path.join(ROOT, 'experiments/tiny.yaml'), '--out', path.join(tmp, 'bad'),
    '--set', `dataset_dir=${path.join(tmp, 'data')}`, '--set', 'backbone.cache=memory', '--backend', 'wasm',
  ]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /backbone\.cache/);
  assert.match(r.stderr, /disk/);
  assert.match(r.stderr, /none/);
});
