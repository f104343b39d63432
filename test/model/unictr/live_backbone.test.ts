/**
 * Uni-CTR on a live (LoRA-tuned) tiny random BERT: token ids at padded positions change no logit,
 * and gradients reach the backbone through the per-domain row gather while other DSNs stay put.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../src/runtime/backend.js';
import { Rng } from '../../../src/util/rng.js';
import { parseBertConfig } from '../../../src/model/backbone/configuration_bert.js';
import { BertEncoder, bertWeightSpecs } from '../../../src/model/backbone/modeling_bert.js';
import { UniCtr } from '../../../src/model/unictr/unictr.js';
import { maskedBceLoss } from '../../../src/model/unictr/loss.js';
import { disposeBatch, makeBatch, maskArray, randn, sameArray, snapshot, tinyConfig } from './helpers.js';

before(async () => {
  await initBackend({ backend: 'cpu' });
});

const VOCAB = 40;

function tinyBert(): BertEncoder {
  const cfg = parseBertConfig(
    { model_type: 'bert', vocab_size: VOCAB, hidden_size: 16, num_hidden_layers: 2, num_attention_heads: 2, intermediate_size: 20, max_position_embeddings: 16 },
    'tiny/config.json',
  );
  const rng = new Rng(21);
  const weights = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const s of bertWeightSpecs(cfg)) {
    const shape = s.transpose ? [...s.hfShape].reverse() : s.hfShape;
    const size = shape.reduce((a, b) => a * b, 1);
    const isLnWeight = s.name.endsWith('LayerNorm.weight');
    weights.set(s.name, { shape, data: isLnWeight ? new Float32Array(size).fill(1) : randn(rng, size, 0.2) });
  }
  return new BertEncoder(cfg, weights, {
    tuning: 'lora',
    lora: { r: 2, alpha: 4, dropout: 0.1 },
    id: 'tiny-random-bert',
    tokenize: () => {
      throw new Error('not used');
    },
    seed: 3,
  });
}

function tokenBatch(domains: number[], ids: Int32Array, lengths: number[], t: number) {
  const b = makeBatch(domains);
  b.tokens = { inputIds: tf.tensor2d(ids, [domains.length, t], 'int32'), attentionMask: tf.tensor2d(maskArray(lengths, t), [domains.length, t]) };
  return b;
}

test('live backbone: token ids at padded positions change no logit', () => {
  const bert = tinyBert();
  const model = new UniCtr({ config: tinyConfig(), domains: ['A', 'B'], hiddenSize: 16, numLayers: 2, seed: 5, backbone: bert });
  const rng = new Rng(8);
  const t = 6;
  const lengths = [6, 2, 4, 3];
  const ids = Int32Array.from({ length: 4 * t }, () => 1 + rng.int(VOCAB - 1));
  const other = Int32Array.from(ids);
  lengths.forEach((len, i) => {
    for (let j = len; j < t; j++) other[i * t + j] = rng.int(VOCAB);
  });
  for (const training of [false, true]) {
    const run = (x: Int32Array) => {
      const batch = tokenBatch([0, 1, 1, 0], x, lengths, t);
      const out = tf.tidy(() => Array.from(model.forward(batch, { training, rng: new Rng(1) }).logits.dataSync()));
      disposeBatch(batch);
      return out;
    };
    const a = run(ids);
    assert.ok(a.every(Number.isFinite));
    assert.deepEqual(run(other), a, `training=${training}`);
  }
  model.dispose();
  bert.dispose();
});

test('live backbone: a step on domain A trains LoRA and DSN A, leaves DSN B untouched', () => {
  const bert = tinyBert();
  const model = new UniCtr({ config: tinyConfig(), domains: ['A', 'B'], hiddenSize: 16, numLayers: 2, seed: 5, backbone: bert });
  const names = [...model.namedVariables().keys()];
  assert.ok(names.some((n) => n.startsWith('backbone.') && n.includes('lora_A')), 'LoRA weights are checkpointed');
  const rng = new Rng(9);
  const t = 5;
  const ids = Int32Array.from({ length: 4 * t }, () => 1 + rng.int(VOCAB - 1));
  const batch = tokenBatch([0, 0, 0, 0], ids, [5, 3, 4, 2], t);
  const y = tf.tensor1d([1, 0, 1, 0]);
  const before = snapshot(model);
  const opt = tf.train.adam(0.01);
  const cost = opt.minimize(() => maskedBceLoss(model.forward(batch, { training: true, rng }), y), true, model.trainableVariables());
  const after = snapshot(model);
  const changed = (k: string) => !sameArray(before.get(k)!, after.get(k)!);
  assert.ok(names.filter((n) => n.includes('lora_B')).some(changed), 'LoRA B weights trained');
  assert.ok(changed('dsn.0.ladder.0.down.0.kernel'));
  for (const n of names.filter((n) => n.startsWith('dsn.1.'))) assert.ok(!changed(n), `${n} changed`);
  tf.dispose([cost!, y]);
  opt.dispose();
  disposeBatch(batch);
  model.dispose();
  bert.dispose();
});
