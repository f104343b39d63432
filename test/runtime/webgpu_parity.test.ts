/**
 * The same models from the same seed on webgpu and on wasm (the CPU training backend) give the
 * same forward outputs, losses and gradients, and stay together over a few SGD steps: Uni-CTR on
 * frozen states, Uni-CTR on the tiny BERT fixture with LoRA, and two baselines (DeepFM, MMoE).
 *
 * Tolerances (float32 on both sides, different summation orders):
 * - logits and losses: |webgpu − wasm| ≤ TOL_OUT · (1 + |wasm|), TOL_OUT = 1e-4;
 * - gradients and weights after the steps: |webgpu − wasm| ≤ TOL_GRAD · max|wasm tensor|, with
 *   TOL_GRAD = 1e-4 for the baselines, TOL_GRAD_UNICTR = 1e-3 for Uni-CTR (relative to the tensor's
 *   largest entry, floor 1e-3: a bias before BatchNorm has a gradient of pure float noise, ~1e-8
 *   on both backends). Uni-CTR's DSN towers normalise over the 2–3 rows a domain has in these tiny
 *   batches, which amplifies float32 rounding: measured worst 1.7e-4 on lavapipe (baselines 2e-6).
 * The worst difference of each comparison is printed (`# …` lines) so the margin stays visible.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/runtime/backend.js';
import { Rng } from '../../src/util/rng.js';
import { maskedBceLoss } from '../../src/model/unictr/loss.js';
import { bceWithLogits } from '../../src/model/loss.js';
import { UniCtr } from '../../src/model/unictr/unictr.js';
import { loadBackbone } from '../../src/model/backbone/load.js';
import { createZooModel } from '../../src/model/zoo/index.js';
import type { BatchTensors, CtrModel } from '../../src/model/types.js';
import { disposeBatch, makeBatch, randomStates, tinyConfig, tinyModel, toTokenStates } from '../model/unictr/helpers.js';
import { makeSynthetic, SMALL_OPTIONS, toBatch } from '../model/zoo/helpers.js';
import { TINY_BERT, TEXTS } from '../model/backbone/helpers.js';
import { webgpuGate, requireWebgpu } from '../helpers/webgpu.js';

const TOL_OUT = 1e-4;
const TOL_GRAD = 1e-4;
const TOL_GRAD_UNICTR = 1e-3;
const STEPS = 3;

interface Run {
  logits: number[][];
  losses: number[];
  grads: Map<string, Float32Array>;
  weights: Map<string, Float32Array>;
}

interface Case {
  model: CtrModel;
  batch: BatchTensors;
  labels: tf.Tensor1D;
  loss: (out: ReturnType<CtrModel['forward']>, y: tf.Tensor1D) => tf.Scalar;
  dispose: () => void;
}

const read = async (t: tf.Tensor) => Float32Array.from((await t.data()) as Float32Array);

/**
 * Eval logits, then STEPS SGD steps (first step's gradients kept), then the weights. Reads are
 * async: webgpu under Node has no synchronous readback (see src/runtime/backend.ts).
 */
async function run(make: () => Promise<Case> | Case): Promise<Run> {
  const c = await make();
  const names = new Map([...c.model.namedVariables()].map(([k, v]) => [v.name, k]));
  const outs = tf.tidy(() => {
    const o = c.model.forward(c.batch, { training: false });
    return [o.logits, ...(o.auxLogits ?? [])];
  });
  const logits = await Promise.all(outs.map(async (t) => Array.from(await read(t))));
  tf.dispose(outs);
  // SGD, not Adam: Adam turns a gradient that is pure float noise (e.g. attention's key bias,
  // mathematically zero) into a full-size step of random sign, so weights would not be comparable.
  const opt = tf.train.sgd(0.1);
  const losses: number[] = [];
  const grads = new Map<string, Float32Array>();
  for (let s = 0; s < STEPS; s++) {
    const rng = new Rng(100 + s);
    const { value, grads: g } = tf.variableGrads(() => c.loss(c.model.forward(c.batch, { training: true, rng }), c.labels), c.model.trainableVariables());
    losses.push((await read(value))[0]!);
    if (s === 0) for (const [k, t] of Object.entries(g)) grads.set(names.get(k)!, await read(t));
    opt.applyGradients(g as Parameters<typeof opt.applyGradients>[0]);
    tf.dispose([value, ...Object.values(g)]);
  }
  opt.dispose();
  const weights = new Map<string, Float32Array>();
  for (const [k, v] of c.model.namedVariables()) weights.set(k, await read(v));
  c.dispose();
  return { logits, losses, grads, weights };
}

/** Largest |a − b| / (1 + |b|), checked against TOL_OUT; printed so the margin is visible. */
function closeOut(a: number[], b: number[], what: string): void {
  assert.equal(a.length, b.length, what);
  let worst = 0;
  let at = '';
  for (let i = 0; i < a.length; i++) {
    const e = Math.abs(a[i]! - b[i]!) / (1 + Math.abs(b[i]!));
    if (!(e <= worst)) [worst, at] = [e, `${what}[${i}]: webgpu ${a[i]} vs wasm ${b[i]}`];
  }
  console.log(`# ${what}: worst relative difference ${worst.toExponential(2)} (tolerance ${TOL_OUT})`);
  assert.ok(worst <= TOL_OUT, at);
}

/** Largest |a − b| / max(max|b tensor|, 1e-3) over every tensor, checked against `tol`. */
function closeTensors(a: Map<string, Float32Array>, b: Map<string, Float32Array>, what: string, tol: number): void {
  assert.deepEqual([...a.keys()].sort(), [...b.keys()].sort(), `${what}: same variables`);
  let worst = 0;
  let at = '';
  for (const [k, ref] of b) {
    const scale = ref.reduce((m, x) => Math.max(m, Math.abs(x)), 1e-3);
    const got = a.get(k)!;
    for (let i = 0; i < ref.length; i++) {
      const e = Math.abs(got[i]! - ref[i]!) / scale;
      if (!(e <= worst)) [worst, at] = [e, `${what} ${k}[${i}]: webgpu ${got[i]} vs wasm ${ref[i]} (scale ${scale})`];
    }
  }
  console.log(`# ${what}: worst difference ${worst.toExponential(2)} of the tensor's scale (tolerance ${tol})`);
  assert.ok(worst <= tol, at);
}

async function compare(make: () => Promise<Case> | Case, tolGrad = TOL_GRAD): Promise<void> {
  await initBackend({ backend: 'wasm', threads: 1 });
  const ref = await run(make);
  await initBackend({ backend: 'webgpu' });
  const got = await run(make);
  for (let h = 0; h < ref.logits.length; h++) closeOut(got.logits[h]!, ref.logits[h]!, `eval logits head ${h}`);
  closeOut(got.losses, ref.losses, 'training losses');
  closeTensors(got.grads, ref.grads, 'first-step gradient', tolGrad);
  closeTensors(got.weights, ref.weights, `weights after ${STEPS} SGD steps`, tolGrad);
}

const gate = await webgpuGate();

test(`webgpu adapter (${gate.adapter ?? 'none'})`, gate.options, () => requireWebgpu(gate));

test('Uni-CTR on frozen states: webgpu matches wasm', gate.options, async () => {
  requireWebgpu(gate);
  await compare(() => {
    const model = tinyModel(['A', 'B', 'C'], { gate_input: 'concat' });
    const raw = randomStates(new Rng(12), [5, 3, 7, 2, 6, 4], 7, model.stateLayers.length);
    const batch = makeBatch([0, 2, 1, -1, 0, 2], toTokenStates(raw));
    const labels = tf.tensor1d([1, 0, 1, 0, 1, 1]);
    return { model, batch, labels, loss: maskedBceLoss, dispose: () => (model.dispose(), disposeBatch(batch), labels.dispose()) };
  }, TOL_GRAD_UNICTR);
});

test('Uni-CTR on the tiny BERT with LoRA: webgpu matches wasm', gate.options, async () => {
  requireWebgpu(gate);
  await compare(async () => {
    const bert = await loadBackbone(TINY_BERT, { tuning: 'lora', seed: 3 });
    const model = new UniCtr({ config: tinyConfig(), domains: ['A', 'B'], hiddenSize: bert.hiddenSize, numLayers: bert.numLayers, seed: 5, backbone: bert });
    const tok = bert.tokenize(TEXTS, 24);
    const batch = makeBatch([0, 1, 1, 0]);
    batch.tokens = {
      inputIds: tf.tensor2d(tok.inputIds, [tok.batch, tok.seqLen], 'int32'),
      attentionMask: tf.tensor2d(Float32Array.from(tok.attentionMask), [tok.batch, tok.seqLen]),
    };
    const labels = tf.tensor1d([1, 0, 0, 1]);
    return { model, batch, labels, loss: maskedBceLoss, dispose: () => (model.dispose(), bert.dispose(), disposeBatch(batch), labels.dispose()) };
  }, TOL_GRAD_UNICTR);
});

// DeepFM (single-domain: one domain) and MMoE (multi-domain).
for (const [name, domains] of [['deepfm', ['A']], ['mmoe', ['A', 'B']]] as const) {
  test(`${name}: webgpu matches wasm`, gate.options, async () => {
    requireWebgpu(gate);
    await compare(() => {
      const data = makeSynthetic(4, { rows: 48, domains: domains.length });
      const model = createZooModel(name, { vocab: data.vocab, domains: [...domains], seed: 5, options: { ...SMALL_OPTIONS[name], embedding_init_std: 0.1 } });
      const rows = Int32Array.from({ length: 48 }, (_, i) => i);
      const batch = toBatch(data, rows);
      const labels = tf.tensor1d(Float32Array.from(rows, (r) => data.labels[r]!));
      const loss = (out: ReturnType<CtrModel['forward']>, y: tf.Tensor1D) => {
        let l = bceWithLogits(out.logits, y);
        for (const a of out.auxLogits ?? []) l = tf.add(l, bceWithLogits(a, y)) as tf.Scalar;
        return l;
      };
      return { model, batch, labels, loss, dispose: () => (model.dispose(), disposeBatch(batch), labels.dispose()) };
    });
  });
}
