import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/runtime/backend.js';
import { Rng } from '../src/util/rng.js';
import { uniCtrConfig } from '../src/model/unictr/config.js';
import { UniCtr } from '../src/model/unictr/unictr.js';
import { maskedBceLoss } from '../src/model/unictr/loss.js';

const backend = (process.argv[2] ?? 'wasm') as 'wasm' | 'cpu';
await initBackend({ backend, threads: 2 });
const d = 512, L = 2, n = Number(process.argv[3] ?? 64), t = Number(process.argv[4] ?? 32);
const model = new UniCtr({ config: uniCtrConfig(), domains: ['A', 'B', 'C'], hiddenSize: d, numLayers: L, seed: 1 });
console.log('params', model.paramCount(), 'per DSN', UniCtr.paramCount(model.config, d, L, 1) - UniCtr.paramCount(model.config, d, L, 0));
const rng = new Rng(1);
const mk = () => Float32Array.from({ length: n * t * d }, () => rng.normal());
const layers = model.stateLayers.map(() => tf.tensor3d(mk(), [n, t, d]));
const maskA = new Float32Array(n * t); for (let i = 0; i < n; i++) maskA.fill(1, i * t, i * t + 8 + (i % (t - 8)));
const batch = { size: n, domainIndex: tf.tensor1d(Int32Array.from({ length: n }, (_, i) => i % 3), 'int32'), states: { layers, mask: tf.tensor2d(maskA, [n, t]) } } as never;
const y = tf.tensor1d(Array.from({ length: n }, (_, i) => i % 2));
const opt = tf.train.adam(1e-3);
const step = () => { const c = opt.minimize(() => maskedBceLoss(model.forward(batch, { training: true, rng }), y), true, model.trainableVariables()); c!.dataSync(); c!.dispose(); };
step();
let t0 = performance.now(); const R = 3;
for (let i = 0; i < R; i++) step();
const ms = (performance.now() - t0) / R;
console.log(`${backend} train step n=${n} t=${t}: ${ms.toFixed(0)} ms (${(n / ms * 1000).toFixed(0)} samples/s)`);
t0 = performance.now();
for (let i = 0; i < R; i++) tf.tidy(() => model.forward(batch, { training: false }).logits.dataSync());
console.log(`${backend} inference n=${n}: ${((performance.now() - t0) / R).toFixed(0)} ms`);

if (process.env.PROFILE) {
  const info = await tf.profile(() => { step(); });
  const byKernel = new Map<string, { ms: number; count: number }>();
  for (const k of info.kernels) {
    const key = `${k.name} ${k.inputShapes?.map((s) => `[${s}]`).join('x')}`;
    const e = byKernel.get(key) ?? { ms: 0, count: 0 };
    e.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    e.count++;
    byKernel.set(key, e);
  }
  const total = [...byKernel.values()].reduce((a, b) => a + b.ms, 0);
  console.log(`profiled kernel time ${total.toFixed(0)} ms`);
  for (const [k, v] of [...byKernel].sort((a, b) => b[1].ms - a[1].ms).slice(0, 25)) console.log(v.ms.toFixed(1).padStart(8), String(v.count).padStart(4), k);
}
