/**
 * The wasm backend (what CPU training uses) has every kernel and gradient Uni-CTR needs and agrees
 * with the cpu backend on logits, loss and gradients for the same seed and batch.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../src/runtime/backend.js';
import { Rng } from '../../../src/util/rng.js';
import { maskedBceLoss } from '../../../src/model/unictr/loss.js';
import type { UniCtrConfig } from '../../../src/model/unictr/config.js';
import { fusedAttentionApplies } from '../../../src/model/ops/fused_attention.js';
import { disposeBatch, makeBatch, randomStates, tinyModel, toTokenStates } from './helpers.js';

function run(over: Partial<UniCtrConfig>): { logits: number[]; general: number[]; loss: number; grads: Map<string, Float32Array> } {
  const model = tinyModel(['A', 'B', 'C'], { gate_input: 'concat', ...over });
  const raw = randomStates(new Rng(12), [5, 3, 7, 2, 6, 4], 7, model.stateLayers.length);
  const batch = makeBatch([0, 2, 1, -1, 0, 2], toTokenStates(raw));
  const y = tf.tensor1d([1, 0, 1, 0, 1, 1]);
  const out = tf.tidy(() => {
    const o = model.forward(batch, { training: false });
    return [Array.from(o.logits.dataSync()), Array.from(o.auxLogits![0]!.dataSync())];
  });
  const byId = new Map([...model.namedVariables()].map(([k, v]) => [v.name, k]));
  // Training mode without dropout noise differences: both backends draw the same seeds.
  const { value, grads } = tf.variableGrads(() => maskedBceLoss(model.forward(batch, { training: true, rng: new Rng(3) }), y), model.trainableVariables());
  const g = new Map<string, Float32Array>();
  for (const [k, t] of Object.entries(grads)) g.set(byId.get(k)!, Float32Array.from(t.dataSync() as Float32Array));
  const loss = value.dataSync()[0]!;
  tf.dispose([value, y, ...Object.values(grads)]);
  disposeBatch(batch);
  model.dispose();
  return { logits: out[0]!, general: out[1]!, loss, grads: g };
}

// The second case makes each ladder head 16 floats wide (d = 16, no reduction, one head), so on
// wasm the ladder attention runs the fused SIMD op (src/model/ops/fused_attention.ts).
for (const [name, over] of [
  ['', {}],
  [' (fused attention kernel on wasm)', { ladder_reduction: 1, ladder_heads: 1 }],
] as [string, Partial<UniCtrConfig>][]) test(`wasm and cpu agree on logits, loss and gradients${name}`, async () => {
  await initBackend({ backend: 'cpu' });
  const cpu = run(over);
  await initBackend({ backend: 'wasm', threads: 1 });
  assert.equal(fusedAttentionApplies(16 / (over.ladder_reduction ?? 4), over.ladder_heads ?? 2), name !== '');
  const wasm = run(over);
  const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string) => {
    for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) <= tol * (1 + Math.abs(b[i]!)), `${what}[${i}]: wasm ${a[i]} vs cpu ${b[i]}`);
  };
  close(wasm.logits, cpu.logits, 1e-4, 'logits');
  close(wasm.general, cpu.general, 1e-4, 'general logits');
  assert.ok(Math.abs(wasm.loss - cpu.loss) < 1e-4, `loss wasm ${wasm.loss} vs cpu ${cpu.loss}`);
  assert.deepEqual([...wasm.grads.keys()].sort(), [...cpu.grads.keys()].sort());
  for (const [k, g] of cpu.grads) {
    // Relative to the tensor's largest entry (floor 1e-4): a bias before BatchNorm has a gradient of pure float noise.
    const scale = Math.max(...Array.from(g, Math.abs), 1e-4);
    const w = wasm.grads.get(k)!;
    for (let i = 0; i < g.length; i++) assert.ok(Math.abs(w[i]! - g[i]!) <= 2e-3 * scale, `${k}[${i}]: wasm ${w[i]} vs cpu ${g[i]}`);
  }
});
