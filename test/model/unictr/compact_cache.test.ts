/**
 * The compact state cache (int8, one scale per token: the default) trains Uni-CTR as well as the
 * fp16 cache: the same synthetic encoder's states go through each cache, the same model, seed and
 * batches train on them, and the held-out AUC must agree within 0.005. The states carry a
 * large-magnitude outlier feature, as transformer states do, which makes per-token scales coarse
 * for every other feature: the case where int8 loses most.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../src/runtime/backend.js';
import { Rng } from '../../../src/util/rng.js';
import { maskedBceLoss } from '../../../src/model/unictr/loss.js';
import { openStateCache, type CacheDtype, type StateEncoder } from '../../../src/model/backbone/encoder_cache.js';
import { D, L, disposeBatch, makeBatch, rankAuc, tinyModel } from './helpers.js';

const ROWS = 2512;
const TRAIN = 512;
const T = 8;

/** Row i: 2..T tokens, label from a fixed draw; positives carry +1.5 on feature 0 at one real token. */
function syntheticEncoder(): { encoder: StateEncoder; labels: number[] } {
  const rng = new Rng(99);
  const labels = Array.from({ length: ROWS }, () => (rng.next() < 0.5 ? 1 : 0));
  const lengths = Array.from({ length: ROWS }, () => 2 + rng.int(T - 1));
  const encoder: StateEncoder = {
    id: 'synthetic-signal-v1',
    numLayers: L,
    hiddenSize: D,
    tokenize(texts) {
      const rows = texts.map(Number);
      const seqLen = Math.max(...rows.map((r) => lengths[r]!));
      const inputIds = new Int32Array(rows.length * seqLen);
      const attentionMask = new Int32Array(rows.length * seqLen);
      rows.forEach((r, i) => {
        inputIds.fill(r + 1, i * seqLen, i * seqLen + lengths[r]!);
        attentionMask.fill(1, i * seqLen, i * seqLen + lengths[r]!);
      });
      return { batch: rows.length, seqLen, inputIds, attentionMask };
    },
    async encode(tok, layers) {
      return layers.map((layer) => {
        const out = new Float32Array(tok.batch * tok.seqLen * D);
        for (let i = 0; i < tok.batch; i++) {
          const r = tok.inputIds[i * tok.seqLen]! - 1;
          const g = new Rng(r * 31 + layer);
          const hot = g.int(lengths[r]!);
          for (let t = 0; t < lengths[r]!; t++) {
            const o = (i * tok.seqLen + t) * D;
            for (let j = 0; j < D; j++) out[o + j] = g.normal() * 0.5;
            out[o + D - 1] += 12; // outlier feature: the per-token scale is ≈ 12/127
            if (labels[r] && t === hot) out[o] += 1.5;
          }
        }
        return out;
      });
    },
  };
  return { encoder, labels };
}

function trainAndScore(dtype: CacheDtype, root: string): Promise<number> {
  const { encoder, labels } = syntheticEncoder();
  const prompts = Array.from({ length: ROWS }, (_, i) => String(i));
  return openStateCache({ root, encoder, prompts, maxLength: T, layers: [0, 1, 2], dtype, batchSize: 64 }).then((cache) => {
    assert.equal(cache.header.dtype, dtype);
    const model = tinyModel(['A', 'B'], { tower_hidden: [16, 8], ladder_frequency: 1 }, 3);
    const batchOf = (rows: Int32Array) => makeBatch(Array.from(rows, (r) => r % 2), cache.batch(rows, model.stateLayers));
    const opt = tf.train.adam(0.003);
    const rng = new Rng(1);
    const order = Int32Array.from({ length: TRAIN }, (_, i) => i);
    for (let epoch = 0; epoch < 12; epoch++) {
      rng.shuffle(order);
      for (let s = 0; s < TRAIN; s += 64) {
        // Grouped by domain, as the trainer orders a batch.
        const rows = Int32Array.from(order.subarray(s, s + 64)).sort((a, b) => (a % 2) - (b % 2) || a - b);
        const b = batchOf(rows);
        const y = tf.tensor1d(Array.from(rows, (r) => labels[r]!));
        opt.minimize(() => maskedBceLoss(model.forward(b, { training: true, rng }), y), false, model.trainableVariables());
        y.dispose();
        disposeBatch(b);
      }
    }
    const test = Int32Array.from({ length: ROWS - TRAIN }, (_, i) => TRAIN + i);
    const b = batchOf(test);
    const scores = tf.tidy(() => model.forward(b, { training: false }).logits.dataSync());
    disposeBatch(b);
    opt.dispose();
    model.dispose();
    cache.close();
    return rankAuc(scores, Array.from(test, (r) => labels[r]!));
  });
}

test('Uni-CTR trained from the int8 cache reaches the fp16 cache test AUC within 0.005', async () => {
  await initBackend({ backend: 'wasm', threads: 1 });
  const root = mkdtempSync(path.join(os.tmpdir(), 'unictr-compact-'));
  try {
    const fp16 = await trainAndScore('float16', root);
    const int8 = await trainAndScore('int8', root);
    if (process.env.UNICTR_TEST_VERBOSE) console.log(`test AUC fp16 ${fp16}, int8 ${int8}, fp32 ${await trainAndScore('float32', root)}`);
    assert.ok(fp16 > 0.75, `fp16 AUC ${fp16}: the model must learn for the comparison to mean anything`);
    assert.ok(Math.abs(int8 - fp16) <= 0.005, `int8 AUC ${int8} vs fp16 ${fp16}`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
