/**
 * Timing of the custom-gradient ops against tfjs's built-ins (the figures in docs/runtime.md).
 *
 *   npx tsx scripts/time-ops.ts [--backends cpu,wasm] [--rows 512 --in 128 --out 512 --vocab 5000]
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/runtime/backend.js';
import { denseUntransposed as dense, embeddingLookup } from '../src/model/ops/index.js';

const { values } = parseArgs({
  options: {
    backends: { type: 'string', default: 'cpu,wasm' },
    rows: { type: 'string', default: '512' },
    in: { type: 'string', default: '128' },
    out: { type: 'string', default: '512' },
    vocab: { type: 'string', default: '5000' },
    reps: { type: 'string', default: '5' },
  },
});
const rows = Number(values.rows);
const nIn = Number(values.in);
const nOut = Number(values.out);
const vocab = Number(values.vocab);
const reps = Number(values.reps);

function time(fn: () => tf.Tensor | tf.Tensor[], n = reps): number {
  tf.dispose(fn()); // warm-up
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const out = fn();
    for (const t of Array.isArray(out) ? out : [out]) t.dataSync();
    tf.dispose(out);
  }
  return (performance.now() - t0) / n;
}

for (const backend of values.backends!.split(',')) {
  await initBackend({ backend: backend as 'cpu' | 'wasm' });
  const x = tf.randomNormal([rows, nIn]);
  const w = tf.randomNormal([nIn, nOut]) as tf.Tensor2D;
  const b = tf.randomNormal([nOut]) as tf.Tensor1D;
  const flops = 2 * rows * nIn * nOut;
  const gflops = (ms: number, mults: number): string => ((mults * flops) / (ms * 1e6)).toFixed(2);
  const builtinFwd = time(() => tf.tidy(() => tf.add(tf.matMul(x as tf.Tensor2D, w), b)));
  const denseFwd = time(() => tf.tidy(() => dense(x, w, b)));
  const lossOf = (f: (xs: tf.Tensor, ws: tf.Tensor, bs: tf.Tensor) => tf.Tensor) => (xs: tf.Tensor, ws: tf.Tensor, bs: tf.Tensor) => tf.sum(f(xs, ws, bs));
  const builtinBwd = time(() => tf.tidy(() => tf.grads(lossOf((xs, ws, bs) => tf.add(tf.matMul(xs as tf.Tensor2D, ws as tf.Tensor2D), bs)))([x, w, b])));
  const denseBwd = time(() => tf.tidy(() => tf.grads(lossOf((xs, ws, bs) => dense(xs, ws as tf.Tensor2D, bs as tf.Tensor1D)))([x, w, b])));
  const transposedB = time(() => tf.tidy(() => tf.matMul(x as tf.Tensor2D, tf.transpose(w) as tf.Tensor2D, false, true)));
  console.log(`${backend}: [${rows}x${nIn}]·[${nIn}x${nOut}]`);
  console.log(`  forward   built-in ${builtinFwd.toFixed(1)} ms (${gflops(builtinFwd, 1)} GFLOP/s)  dense ${denseFwd.toFixed(1)} ms (${gflops(denseFwd, 1)} GFLOP/s)  matMul(transposeB) ${transposedB.toFixed(1)} ms (${gflops(transposedB, 1)} GFLOP/s)`);
  console.log(`  fwd+grads built-in ${builtinBwd.toFixed(1)} ms (${gflops(builtinBwd, 3)} GFLOP/s)  dense ${denseBwd.toFixed(1)} ms (${gflops(denseBwd, 3)} GFLOP/s)`);
  const table = tf.randomNormal([vocab, 32]) as tf.Tensor2D;
  const ids = tf.randomUniform([64, 32], 0, vocab, 'int32');
  const embGrad = time(() => tf.tidy(() => tf.grad((t: tf.Tensor) => tf.sum(embeddingLookup(t as tf.Tensor2D, ids)))(table)));
  let gatherGrad = NaN;
  let gatherNote = '';
  try {
    gatherGrad = time(() => tf.tidy(() => tf.grad((t: tf.Tensor) => tf.sum(tf.gather(t, tf.reshape(ids, [-1]))))(table)), 1);
  } catch (e) {
    gatherNote = ` (built-in gather gradient fails: ${(e as Error).message.split('\n')[0]})`;
  }
  console.log(`  embedding grad [${vocab}x32], 2048 ids: embeddingLookup ${embGrad.toFixed(1)} ms, built-in gather ${Number.isNaN(gatherGrad) ? 'n/a' : gatherGrad.toFixed(1) + ' ms'}${gatherNote}`);
  tf.dispose([x, w, b, table, ids]);
}
