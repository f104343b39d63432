/**
 * Uni-CTR training step and inference on frozen states at the USE-lite shape (d=512, L=2), three
 * domains, default config unless UNICTR_MODEL (JSON overrides) is set. Reports process CPU time on
 * one wasm thread, which a busy machine distorts less than wall time.
 * Run: tsx benchmarks/unictr_step.bench.ts [wasm|cpu] [batch] [seq]   (PROFILE=1 adds a kernel table)
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/runtime/backend.js';
import { Rng } from '../src/util/rng.js';
import { uniCtrConfig } from '../src/model/unictr/config.js';
import { UniCtr } from '../src/model/unictr/unictr.js';
import { maskedBceLoss } from '../src/model/unictr/loss.js';
import { cpuMs } from './cpu_time.js';

const backend = (process.argv[2] ?? 'wasm') as 'wasm' | 'cpu';
await initBackend({ backend, threads: 1 });
const d = 512, L = 2, n = Number(process.argv[3] ?? 64), t = Number(process.argv[4] ?? 32);
const cfg = uniCtrConfig(JSON.parse(process.env.UNICTR_MODEL ?? '{}'));
const model = new UniCtr({ config: cfg, domains: ['A', 'B', 'C'], hiddenSize: d, numLayers: L, seed: 1 });
console.log('config', JSON.stringify(cfg));
console.log('params', model.paramCount(), 'per DSN', UniCtr.paramCount(cfg, d, L, 1) - UniCtr.paramCount(cfg, d, L, 0));
const rng = new Rng(1);
const mk = () => Float32Array.from({ length: n * t * d }, () => rng.normal());
const layers = model.stateLayers.map(() => tf.tensor3d(mk(), [n, t, d]));
// Real lengths spread over [t/4, t].
const maskA = new Float32Array(n * t);
for (let i = 0; i < n; i++) maskA.fill(1, i * t, i * t + Math.max(1, Math.round(t / 4 + ((3 * t) / 4) * (i / n))));
const batch = {
  size: n,
  // Rows grouped by domain as src/train/fit.ts orders them (the slice path); INTERLEAVED=1 takes the gather path.
  domainIndex: tf.tensor1d(Int32Array.from({ length: n }, (_, i) => (process.env.INTERLEAVED ? i % 3 : Math.floor((3 * i) / n))), 'int32'),
  states: { layers, mask: tf.tensor2d(maskA, [n, t]) },
} as never;
const y = tf.tensor1d(Array.from({ length: n }, (_, i) => i % 2));
const opt = tf.train.adam(1e-3);
const step = () => {
  const c = opt.minimize(() => maskedBceLoss(model.forward(batch, { training: true, rng }), y), true, model.trainableVariables());
  c!.dataSync();
  c!.dispose();
};
const infer = () => tf.tidy(() => void model.forward(batch, { training: false }).logits.dataSync());

const trainMs = cpuMs(step, 3);
const inferMs = cpuMs(infer, 3);
console.log(`${backend} train step n=${n} t=${t}: ${trainMs.toFixed(0)} ms CPU (${((n / trainMs) * 1000).toFixed(0)} samples/s)`);
console.log(`${backend} inference n=${n} t=${t}: ${inferMs.toFixed(0)} ms CPU (${((n / inferMs) * 1000).toFixed(0)} samples/s)`);

if (process.env.PROFILE) {
  const info = await tf.profile(() => step());
  const byKernel = new Map<string, { ms: number; count: number }>();
  for (const k of info.kernels) {
    if (k.name.includes('scope')) continue;
    const key = `${k.name} ${k.inputShapes?.map((s) => `[${s}]`).join('x')}`;
    const e = byKernel.get(key) ?? { ms: 0, count: 0 };
    e.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    e.count++;
    byKernel.set(key, e);
  }
  const byName = new Map<string, number>();
  for (const [k, v] of byKernel) byName.set(k.split(' ')[0]!, (byName.get(k.split(' ')[0]!) ?? 0) + v.ms);
  const total = [...byName.values()].reduce((a, b) => a + b, 0);
  const batched = [...byKernel].filter(([k]) => k.startsWith('BatchMatMul') && /^BatchMatMul \[\d+,\d+,\d+\]/.test(k)).reduce((a, [, v]) => a + v.ms, 0);
  console.log(`kernel wall ms total ${total.toFixed(0)}; batched (rank-3) BatchMatMul ${batched.toFixed(0)}`);
  console.log('kernel wall ms by kernel:', [...byName].sort((a, b) => b[1] - a[1]).slice(0, 12).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', '));
  for (const [k, v] of [...byKernel].sort((a, b) => b[1].ms - a[1].ms).slice(0, 20)) console.log(v.ms.toFixed(1).padStart(8), String(v.count).padStart(4), k);
}
