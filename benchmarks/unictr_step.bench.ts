/**
 * Uni-CTR training step and inference on frozen states at the USE-lite shape (d=512, L=2), three
 * domains, rows grouped by domain as the trainer orders them (INTERLEAVED=1: the gather path),
 * default config unless UNICTR_MODEL (JSON overrides) is set. Median wall time of --reps runs
 * after a warm-up, plus process CPU time.
 *
 * Run: npm run bench:unictr -- [--backend wasm|cpu|webgpu] [--threads N] [--batch 64] [--seq 32] [--reps 3] [--json FILE]
 * PROFILE=1 adds a kernel table (PROFILE_ROWS=N rows, default 20). Work done in JS or in the project's own
 * wasm kernels (fused attention, column sums) is not a tfjs kernel and is not attributed there:
 * compare the table's total with the step's time. --json writes {params:{trainable,total}, threads, batch, seq,
 * train_samples_per_s, infer_samples_per_s} (threads = what the training step really used, see
 * threads_note: --threads 2 runs the trainer's two-thread step; kernels themselves stay on one thread).
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { describeAdapter, initBackend } from '../src/runtime/backend.js';
import { Rng } from '../src/util/rng.js';
import { atomicWriteJson } from '../src/util/fs.js';
import { uniCtrConfig } from '../src/model/unictr/config.js';
import { UniCtr } from '../src/model/unictr/unictr.js';
import { maskedBceLoss } from '../src/model/unictr/loss.js';
import { BranchParallel } from '../src/train/branch_parallel.js';
import { medianWallMs } from './cpu_time.js';

const { values: args } = parseArgs({
  options: {
    backend: { type: 'string', default: 'wasm' },
    threads: { type: 'string', default: '1' },
    batch: { type: 'string', default: '64' },
    seq: { type: 'string', default: '32' },
    reps: { type: 'string', default: '3' },
    json: { type: 'string' },
  },
});
const backend = args.backend as 'wasm' | 'cpu' | 'webgpu';
const [threads, n, t, reps] = [args.threads, args.batch, args.seq, args.reps].map(Number) as [number, number, number, number];
if (![threads, n, t, reps].every((v) => Number.isInteger(v) && v >= 1) || n < 3 || !['wasm', 'cpu', 'webgpu'].includes(backend)) {
  console.error('error: expected --backend wasm|cpu|webgpu and integers --threads ≥ 1, --batch ≥ 3, --seq ≥ 1, --reps ≥ 1');
  process.exit(2);
}
const info = await initBackend({ backend, threads });
let wasmThreads = 1;
let threadsNote = backend === 'webgpu' ? 'webgpu: kernels run on the GPU; threads do not apply' : 'the cpu backend runs kernels on one thread';
if (info.adapter) console.log(`adapter: ${describeAdapter(info.adapter)}`);
if (backend === 'wasm') {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  wasmThreads = wasm.getThreadsCount();
  threadsNote = `tfjs-wasm getThreadsCount() = ${wasmThreads}: under Node it has no Web Workers, so kernels stay single-threaded`;
}
const d = 512, L = 2;
const cfg = uniCtrConfig(JSON.parse(process.env.UNICTR_MODEL ?? '{}'));
const model = new UniCtr({ config: cfg, domains: ['A', 'B', 'C'], hiddenSize: d, numLayers: L, seed: 1 });
const params = model.paramCount();
console.log('config', JSON.stringify(cfg));
console.log(`tfjs ${backend} params trainable ${params.trainable} total ${params.total}`);
const rng = new Rng(1);
const mk = () => Float32Array.from({ length: n * t * d }, () => rng.normal());
const layers = model.stateLayers.map(() => tf.tensor3d(mk(), [n, t, d]));
// Real lengths spread over [t/4, t] (the PyTorch reference builds the same mask).
const maskA = new Float32Array(n * t);
for (let i = 0; i < n; i++) maskA.fill(1, i * t, i * t + Math.max(1, Math.round(t / 4 + ((3 * t) / 4) * (i / n))));
const batch = {
  size: n,
  domainIndex: tf.tensor1d(Int32Array.from({ length: n }, (_, i) => (process.env.INTERLEAVED ? i % 3 : Math.floor((3 * i) / n))), 'int32'),
  states: { layers, mask: tf.tensor2d(maskA, [n, t]) },
} as never;
const y = tf.tensor1d(Array.from({ length: n }, (_, i) => i % 2));
const opt = tf.train.adam(1e-3);
// --threads 2: the trainer's two-thread step (general network here, domain networks in a worker).
const parallel = threads >= 2 ? await BranchParallel.maybeStart(model, 2) : null;
const threadsUsed = parallel ? 2 : wasmThreads;
if (parallel) threadsNote += '; training uses 2 threads through the trainer\'s branch-parallel step (src/train/branch_parallel.ts), inference 1';
if (threadsUsed !== threads) console.log(`note: ${threads} threads requested, ${threadsUsed} used: ${threadsNote}`);
const step = async () => {
  if (parallel) {
    const { grads } = await parallel.grads(batch, y, rng.seed());
    opt.applyGradients(grads as tf.NamedTensorMap as never);
    tf.dispose(Object.values(grads));
    return;
  }
  const c = opt.minimize(() => maskedBceLoss(model.forward(batch, { training: true, rng }), y), true, model.trainableVariables());
  // An async read waits for the step's kernels to finish (webgpu queues them) and works on every
  // backend; webgpu under Node has no synchronous readback.
  await c!.data();
  c!.dispose();
};
const infer = async () => {
  const logits = tf.tidy(() => model.forward(batch, { training: false }).logits);
  await logits.data();
  logits.dispose();
};

const cpu0 = process.cpuUsage();
const trainMs = await medianWallMs(step, reps);
const cpu1 = process.cpuUsage(cpu0);
const inferMs = await medianWallMs(infer, reps);
const trainCpuMs = (cpu1.user + cpu1.system) / 1000 / (reps + 1);
const result = {
  side: 'tfjs',
  backend,
  adapter: info.adapter ?? null,
  params,
  threads: threadsUsed,
  threads_requested: threads,
  infer_threads: wasmThreads,
  threads_note: threadsNote,
  batch: n,
  seq: t,
  train_samples_per_s: (n / trainMs) * 1000,
  infer_samples_per_s: (n / inferMs) * 1000,
  train_cpu_ms_per_step: trainCpuMs,
};
console.log(
  `tfjs ${backend} threads=${threadsUsed} n=${n} t=${t}: train ${result.train_samples_per_s.toFixed(1)} samples/s (${trainMs.toFixed(0)} ms wall, ` +
    `${trainCpuMs.toFixed(0)} ms CPU per step), inference ${result.infer_samples_per_s.toFixed(1)} samples/s`,
);
if (args.json) await atomicWriteJson(args.json, result);
await parallel?.close();

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
  const batched = [...byKernel].filter(([k]) => /^BatchMatMul \[\d+,\d+,\d+\]/.test(k)).reduce((a, [, v]) => a + v.ms, 0);
  console.log(`kernel wall ms total ${total.toFixed(0)}; batched (rank-3, attention) BatchMatMul ${batched.toFixed(0)}`);
  console.log('kernel wall ms by kernel:', [...byName].sort((a, b) => b[1] - a[1]).slice(0, 12).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', '));
  for (const [k, v] of [...byKernel].sort((a, b) => b[1].ms - a[1].ms).slice(0, Number(process.env.PROFILE_ROWS ?? 20))) console.log(v.ms.toFixed(1).padStart(8), String(v.count).padStart(4), k);
}
