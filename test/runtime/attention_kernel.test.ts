/**
 * The fused attention op (SIMD kernels, wasm) against tfjs's own unfused ops on the cpu backend
 * (split, scaled QKᵀ + key bias, softmax, ·V, concat: SelfAttention's definition) on random
 * inputs: forward output and the gradient of Σ out·R with respect to qkv. Also: the committed
 * module is what scripts/build-kernels.mjs builds from the committed .wat source.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/runtime/backend.js';
import { fusedAttentionApplies, fusedSelfAttention } from '../../src/model/ops/fused_attention.js';
import { MASK_NEG } from '../../src/model/unictr/masked_softmax.js';
import { WASM_BASE64 } from '../../src/runtime/kernels/attention_wasm.js';
import { Rng } from '../../src/util/rng.js';
// @ts-expect-error plain .mjs build script without type declarations
import { compileWat, moduleText } from '../../scripts/build-kernels.mjs';

interface Case {
  n: number;
  t: number;
  width: number;
  heads: number;
  /** Per sample: real-token flags (1/0). */
  masks: number[][];
}

function inputs(c: Case, seed: number) {
  const rng = new Rng(seed);
  const qkv = Float32Array.from({ length: c.n * c.t * 3 * c.width }, () => 1.5 * rng.normal());
  const r = Float32Array.from({ length: c.n * c.t * c.width }, () => rng.normal());
  const bias = Float32Array.from(c.masks.flat(), (m) => (m ? 0 : MASK_NEG));
  return { qkv, r, bias };
}

/** SelfAttention's unfused core (src/model/unictr/self_attention.ts) on tfjs ops. */
function unfused(qkv: tf.Tensor3D, keyBias: tf.Tensor4D, heads: number): tf.Tensor3D {
  const [n, , w3] = qkv.shape;
  const t = qkv.shape[1];
  const dh = w3 / 3 / heads;
  const parts = tf.split(qkv, 3 * heads, 2) as tf.Tensor3D[];
  const bias = tf.reshape(keyBias, [n, 1, t]);
  const out: tf.Tensor3D[] = [];
  for (let i = 0; i < heads; i++) {
    const scores = tf.matMul(tf.mul(parts[i]!, 1 / Math.sqrt(dh)), parts[heads + i]!, false, true);
    out.push(tf.matMul(tf.softmax(tf.add(scores, bias)), parts[2 * heads + i]!));
  }
  return heads === 1 ? out[0]! : (tf.concat(out, 2) as tf.Tensor3D);
}

function run(c: Case, seed: number, fused: boolean): { out: Float32Array; grad: Float32Array } {
  const { qkv, r, bias } = inputs(c, seed);
  return tf.tidy(() => {
    const x = tf.tensor3d(qkv, [c.n, c.t, 3 * c.width]);
    const kb = tf.tensor4d(bias, [c.n, 1, 1, c.t]);
    const rt = tf.tensor3d(r, [c.n, c.t, c.width]);
    const f = (xs: tf.Tensor3D) => (fused ? fusedSelfAttention(xs, kb, c.heads) : unfused(xs, kb, c.heads));
    const out = f(x).dataSync() as Float32Array;
    const grad = tf.grad((xs: tf.Tensor) => tf.sum(tf.mul(f(xs as tf.Tensor3D), rt)))(x).dataSync() as Float32Array;
    return { out: Float32Array.from(out), grad: Float32Array.from(grad) };
  });
}

const prefix = (t: number, len: number) => Array.from({ length: t }, (_, j) => (j < len ? 1 : 0));
const CASES: [string, Case][] = [
  [
    'dh 16, 2 heads, 7 tokens (odd key counts), padding with a hole',
    { n: 4, t: 7, width: 32, heads: 2, masks: [prefix(7, 7), prefix(7, 3), [1, 1, 0, 1, 0, 0, 0], prefix(7, 1)] },
  ],
  ['dh 64, 1 head, 33 tokens', { n: 3, t: 33, width: 64, heads: 1, masks: [prefix(33, 33), prefix(33, 20), prefix(33, 9)] }],
  ['dh 64, 2 heads, 128 tokens (the ladder default)', { n: 2, t: 128, width: 128, heads: 2, masks: [prefix(128, 128), prefix(128, 50)] }],
];

for (const [name, c] of CASES) {
  test(`fused attention = unfused tfjs ops, forward and gradient: ${name}`, async () => {
    await initBackend({ backend: 'cpu' });
    const ref = run(c, 7, false);
    await initBackend({ backend: 'wasm', threads: 1 });
    assert.ok(fusedAttentionApplies(c.width, c.heads));
    const got = run(c, 7, true);
    // float32 sums in a different order: 1e-5 relative on outputs (softmax-weighted means of
    // N(0, 1.5²) values), and 1e-4 of the largest entry on the gradient (sums over up to 128 terms).
    for (let i = 0; i < ref.out.length; i++) {
      assert.ok(Math.abs(got.out[i]! - ref.out[i]!) <= 1e-5 * (1 + Math.abs(ref.out[i]!)), `out[${i}]: ${got.out[i]} vs ${ref.out[i]}`);
    }
    const scale = Math.max(...Array.from(ref.grad, Math.abs));
    for (let i = 0; i < ref.grad.length; i++) {
      assert.ok(Math.abs(got.grad[i]! - ref.grad[i]!) <= 1e-4 * scale, `dqkv[${i}]: ${got.grad[i]} vs ${ref.grad[i]}`);
    }
    // Keys after the last real token get exactly zero gradient (their weight is exactly zero).
    const w3 = 3 * c.width;
    c.masks.forEach((m, b) => {
      const end = m.lastIndexOf(1) + 1;
      for (let j = end; j < c.t; j++) {
        for (let col = c.width; col < w3; col++) assert.equal(got.grad[(b * c.t + j) * w3 + col], 0, `sample ${b} key ${j} column ${col}`);
      }
    });
  });
}

test('a sample with no real token stays finite', async () => {
  await initBackend({ backend: 'wasm', threads: 1 });
  const c: Case = { n: 2, t: 5, width: 32, heads: 2, masks: [prefix(5, 0), prefix(5, 4)] };
  const got = run(c, 3, true);
  assert.ok(got.out.every(Number.isFinite) && got.grad.every(Number.isFinite));
});

test('heads narrower than 16 floats, or the cpu backend, take the unfused path', async () => {
  await initBackend({ backend: 'wasm', threads: 1 });
  assert.equal(fusedAttentionApplies(24, 2), false);
  assert.equal(fusedAttentionApplies(128, 2), true);
  await initBackend({ backend: 'cpu' });
  assert.equal(fusedAttentionApplies(128, 2), false);
});

test('the committed kernel module is built from the committed source', async () => {
  const wat = readFileSync(new URL('../../src/runtime/kernels/attention.wat', import.meta.url), 'utf8');
  const bytes: Uint8Array = await compileWat('attention.wat', wat);
  assert.equal(Buffer.from(bytes).toString('base64'), WASM_BASE64);
  const committed = readFileSync(new URL('../../src/runtime/kernels/attention_wasm.ts', import.meta.url), 'utf8');
  assert.equal(committed, moduleText('attention.wat', bytes));
});
