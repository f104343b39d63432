/**
 * Per-head attention matMuls (scores + mixing, forward only) on one wasm thread: batched tf.matMul
 * (transposeB for the scores) vs. one untransposed 2-D matMul per sample and head, next to a plain
 * 2-D matMul for scale. Reports process CPU time, which a busy machine distorts less than wall time.
 * Run: tsx benchmarks/attention_matmul.bench.ts [wasm|cpu] [n] [t] [dh]
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/runtime/backend.js';
import { cpuMs } from './cpu_time.js';

const backend = (process.argv[2] ?? 'wasm') as 'wasm' | 'cpu';
await initBackend({ backend, threads: 1 });
const [n, t, dh] = [Number(process.argv[3] ?? 64), Number(process.argv[4] ?? 32), Number(process.argv[5] ?? 64)];
const h = 2;
const q = tf.randomNormal([n * h, t, dh]) as tf.Tensor3D;
const k = tf.randomNormal([n * h, t, dh]) as tf.Tensor3D;
const v = tf.randomNormal([n * h, t, dh]) as tf.Tensor3D;


const cases: [string, () => tf.Tensor, number][] = [
  ['batched matMul', () => tf.matMul(tf.softmax(tf.matMul(q, k, false, true)), v), 4 * n * h * t * t * dh],
  [
    'per-sample 2-D matMul',
    () => {
      const kts = tf.unstack(tf.transpose(k, [0, 2, 1]));
      const vs = tf.unstack(v);
      return tf.stack(tf.unstack(q).map((qi, i) => tf.matMul(tf.softmax(tf.matMul(qi as tf.Tensor2D, kts[i] as tf.Tensor2D)), vs[i] as tf.Tensor2D)));
    },
    4 * n * h * t * t * dh,
  ],
];
const kt = tf.transpose(k, [0, 2, 1]) as tf.Tensor3D;
const p = tf.softmax(tf.matMul(q, k, false, true)) as tf.Tensor3D;
cases.push(['scores, transposeB', () => tf.matMul(q, k, false, true), 2 * n * h * t * t * dh]);
cases.push(['scores, K pre-transposed', () => tf.matMul(q, kt), 2 * n * h * t * t * dh]);
cases.push(['mix P·V', () => tf.matMul(p, v), 2 * n * h * t * t * dh]);
cases.push(['mix grad dP = dO·Vᵀ (transposeB)', () => tf.matMul(v, v, false, true), 2 * n * h * t * t * dh]);
cases.push(['mix grad dV = Pᵀ·dO (transposeA)', () => tf.matMul(p, v, true, false), 2 * n * h * t * t * dh]);
const a = tf.randomNormal([n * t, 128]) as tf.Tensor2D;
const w = tf.randomNormal([128, 384]) as tf.Tensor2D;
cases.push([`2-D [${n * t},128]x[128,384]`, () => tf.matMul(a, w), 2 * n * t * 128 * 384]);
for (const [name, f, flops] of cases) {
  const ms = cpuMs(() => tf.tidy(() => void f().dataSync()), 5);
  console.log(`${backend} ${name} (n=${n} t=${t} dh=${dh}): ${ms.toFixed(1)} ms CPU, ${(flops / ms / 1e6).toFixed(2)} GFLOP/s`);
}
