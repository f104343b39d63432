/**
 * Gradient isolation through the trainer's own optimizer path (AdamW with decoupled weight decay,
 * clipping): a step on rows of domain A leaves domain B's DSN bit-identical, while the general
 * network changes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/runtime/backend.js';
import { UniCtr } from '../../src/model/unictr/unictr.js';
import { uniCtrConfig } from '../../src/model/unictr/config.js';
import { Optimizer } from '../../src/train/optimizer.js';
import { totalLoss } from '../../src/train/loss.js';
import { TrainConfigSchema } from '../../src/train/train_config.js';
import { Rng } from '../../src/util/rng.js';
import type { BatchTensors } from '../../src/model/types.js';

test('one AdamW step on domain A rows leaves domain B untouched; the general network moves', async () => {
  await initBackend({ backend: 'cpu' });
  const d = 16;
  const T = 5;
  const n = 6;
  const model = new UniCtr({
    config: uniCtrConfig({ ladder_frequency: 1, tower_hidden: [8], gate_hidden: 8 }),
    domains: ['A', 'B'],
    hiddenSize: d,
    numLayers: 2,
    seed: 3,
  });
  const rng = new Rng(5);
  const layers = model.stateLayers.map(() => tf.tensor3d(Float32Array.from({ length: n * T * d }, () => rng.normal()), [n, T, d]));
  const z = tf.zeros([n], 'int32') as tf.Tensor1D;
  const batch: BatchTensors = {
    size: n,
    domainIndex: tf.zeros([n], 'int32') as tf.Tensor1D, // every row is domain A
    userId: z,
    itemId: z,
    brandId: z,
    titleId: z,
    priceBucket: z,
    history: tf.zeros([n, 5], 'int32') as tf.Tensor2D,
    states: { layers, mask: tf.ones([n, T]) as tf.Tensor2D },
  };
  const labels = tf.tensor1d([1, 0, 1, 1, 0, 1]);
  const named = model.namedVariables();
  const before = new Map([...named].map(([k, v]) => [k, Float32Array.from(v.dataSync())]));
  const cfg = TrainConfigSchema.parse({ optimizer: 'adamw', weight_decay: 0.01, grad_clip: 1.0 });
  const trainable = model.trainableVariables();
  const stable = new Map([...named].map(([k, v]) => [v.name, k]));
  const opt = new Optimizer(cfg, trainable.map((v) => ({ name: stable.get(v.name)!, variable: v })));
  const { value, grads } = tf.variableGrads(() => totalLoss(model.forward(batch, { training: true, rng: new Rng(1) }), labels), trainable);
  const g = new Map(Object.entries(grads).map(([k, t]) => [stable.get(k)!, t]));
  await opt.step(g, 1e-2);
  tf.dispose([value, ...Object.values(grads)]);

  let changedA = 0;
  let changedGeneral = 0;
  for (const [k, v] of named) {
    const same = tf.util.arraysEqual(Array.from(before.get(k)!), Array.from(v.dataSync()));
    if (k.startsWith('dsn.1.')) assert.ok(same, `${k} (domain B) must not change`);
    if (k.startsWith('dsn.0.') && !same) changedA++;
    if (k.startsWith('general.') && !same) changedGeneral++;
  }
  assert.ok(changedA > 10, `domain A's network trains (${changedA} tensors changed)`);
  assert.ok(changedGeneral > 10, `the general network trains (${changedGeneral} tensors changed)`);
  opt.dispose();
  model.dispose();
});
