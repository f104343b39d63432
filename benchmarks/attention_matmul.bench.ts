/**
 * Per-head attention matMuls on the active backend: batched tf.matMul (transposeB for scores)
 * vs. one untransposed 2-D matMul per sample and head. Run: tsx benchmarks/attention_matmul.bench.ts wasm 64 32 64
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/runtime/backend.js';

const backend = (process.argv[2] ?? 'wasm') as 'wasm' | 'cpu';
await initBackend({ backend, threads: Number(process.env.THREADS ?? 1) });
const [n, t, dh] = [Number(process.argv[3] ?? 64), Number(process.argv[4] ?? 32), Number(process.argv[5] ?? 64)];
const h = 2;
const q = tf.randomNormal([n * h, t, dh]) as tf.Tensor3D;
const k = tf.randomNormal([n * h, t, dh]) as tf.Tensor3D;
const v = tf.randomNormal([n * h, t, dh]) as tf.Tensor3D;

function batched(): tf.Tensor {
  const s = tf.softmax(tf.matMul(q, k, false, true));
  return tf.matMul(s, v);
}
function perSample(): tf.Tensor {
  const qs = tf.unstack(q);
  const kts = tf.unstack(tf.transpose(k, [0, 2, 1]));
  const vs = tf.unstack(v);
  const outs = qs.map((qi, i) => tf.matMul(tf.softmax(tf.matMul(qi as tf.Tensor2D, kts[i] as tf.Tensor2D)), vs[i] as tf.Tensor2D));
  return tf.stack(outs);
}
function time(name: string, f: () => tf.Tensor): void {
  tf.tidy(() => f().dataSync());
  const t0 = performance.now();
  for (let i = 0; i < 5; i++) tf.tidy(() => f().dataSync());
  const ms = (performance.now() - t0) / 5;
  const flops = 2 * 2 * n * h * t * t * dh;
  console.log(`${backend} ${name} n=${n} t=${t} dh=${dh}: ${ms.toFixed(1)} ms (${(flops / ms / 1e6).toFixed(2)} GFLOP/s)`);
}
time('batched', batched);
time('per-sample 2-D', perSample);
const a = tf.randomNormal([n * t, 128]) as tf.Tensor2D;
const w = tf.randomNormal([128, 384]) as tf.Tensor2D;
const t0 = performance.now();
for (let i = 0; i < 5; i++) tf.tidy(() => tf.matMul(a, w).dataSync());
const ms = (performance.now() - t0) / 5;
console.log(`reference 2-D [${n * t},128]x[128,384]: ${ms.toFixed(1)} ms (${((2 * n * t * 128 * 384) / ms / 1e6).toFixed(2)} GFLOP/s)`);
