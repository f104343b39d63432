/**
 * The tfjs encoder's H0…HL equal onnxruntime's on the same token ids (the generated model's ONNX
 * graph is built independently by scripts/bert_to_onnx.py), on padded batches of unequal lengths.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as ort from 'onnxruntime-node';
import { initBackend } from '../../../src/runtime/backend.js';
import { loadBackbone } from '../../../src/model/backbone/load.js';
import type { Backbone } from '../../../src/model/backbone/types.js';
import type { TokenizedBatch } from '../../../src/model/backbone/types.js';
import { Rng } from '../../../src/util/rng.js';
import { TEXTS, TINY_BERT } from './helpers.js';

const REL_TOL = 1e-4;
let session: ort.InferenceSession;

before(async () => {
  session = await ort.InferenceSession.create(path.join(TINY_BERT, 'onnx', 'model.onnx'));
});
after(async () => {
  await session.release();
});

async function onnxStates(b: TokenizedBatch, numLayers: number): Promise<Float32Array[]> {
  const i64 = (a: Int32Array): ort.Tensor => new ort.Tensor('int64', BigInt64Array.from(a, (x) => BigInt(x)), [b.batch, b.seqLen]);
  const res = await session.run({ input_ids: i64(b.inputIds), attention_mask: i64(b.attentionMask), token_type_ids: i64(new Int32Array(b.inputIds.length)) });
  return Array.from({ length: numLayers + 1 }, (_, l) => res[`hidden_state_${l}`]!.data as Float32Array);
}

function tfjsStates(bb: Backbone, b: TokenizedBatch, layers: number[]): Float32Array[] {
  const ids = tf.tensor2d(b.inputIds, [b.batch, b.seqLen], 'int32');
  const mask = tf.tensor2d(b.attentionMask, [b.batch, b.seqLen], 'int32');
  const outs = bb.forward(ids, mask, layers, { training: false });
  const data = outs.map((o) => {
    assert.deepEqual(o.shape, [b.batch, b.seqLen, bb.hiddenSize]);
    return o.dataSync() as Float32Array;
  });
  tf.dispose([ids, mask, ...outs]);
  return data;
}

/** Worst elementwise relative error over real (unpadded) positions; fails above REL_TOL. */
function compareReal(a: Float32Array, ref: Float32Array, b: TokenizedBatch, d: number, what: string): number {
  let scale = 0;
  for (let i = 0; i < ref.length; i++) if (b.attentionMask[Math.floor(i / d)]) scale = Math.max(scale, Math.abs(ref[i]!));
  let worst = 0;
  let checked = 0;
  for (let i = 0; i < ref.length; i++) {
    if (!b.attentionMask[Math.floor(i / d)]) continue;
    checked++;
    // Relative to the element, floored at 1% of the layer's scale so values near zero do not divide by ~0.
    const rel = Math.abs(a[i]! - ref[i]!) / Math.max(Math.abs(ref[i]!), 0.01 * scale);
    worst = Math.max(worst, rel);
  }
  assert.ok(checked > 0, `${what}: nothing compared`);
  assert.ok(worst <= REL_TOL, `${what}: relative error ${worst} > ${REL_TOL}`);
  return worst;
}

function randomBatch(rng: Rng, lengths: number[], vocab: number): TokenizedBatch {
  const seqLen = Math.max(...lengths);
  const inputIds = new Int32Array(lengths.length * seqLen);
  const attentionMask = new Int32Array(lengths.length * seqLen);
  lengths.forEach((len, r) => {
    for (let j = 0; j < len; j++) {
      inputIds[r * seqLen + j] = j === 0 ? 101 : j === len - 1 ? 102 : 1000 + rng.int(vocab - 1000);
      attentionMask[r * seqLen + j] = 1;
    }
  });
  return { batch: lengths.length, seqLen, inputIds, attentionMask };
}

for (const backend of ['cpu', 'wasm'] as const) {
  test(`tfjs H0..HL match onnxruntime on padded batches (${backend})`, async (t) => {
    await initBackend({ backend });
    const bb = await loadBackbone(TINY_BERT);
    try {
      const L = bb.numLayers;
      const all = Array.from({ length: L + 1 }, (_, i) => i);
      const batches = [bb.tokenize(TEXTS, 32), randomBatch(new Rng(7), [5, 17, 2, 30, 9], bb.config.vocabSize)];
      for (const b of batches) {
        assert.ok(b.attentionMask.some((m) => m === 0), 'batch has padding');
        const ref = await onnxStates(b, L);
        const got = tfjsStates(bb, b, all);
        const worst = all.map((l) => compareReal(got[l]!, ref[l]!, b, bb.hiddenSize, `layer ${l}, seqLen ${b.seqLen}`));
        t.diagnostic(`seqLen ${b.seqLen}: worst relative error per layer ${worst.map((w) => w.toExponential(1)).join(', ')}`);
        // Layers asked out of order, and a subset, come back in the order asked.
        const sub = tfjsStates(bb, b, [L, 0]);
        assert.deepEqual(sub[0], got[L]);
        assert.deepEqual(sub[1], got[0]);
      }
    } finally {
      bb.dispose();
    }
  });
}

test('padding does not change real positions (cpu)', async () => {
  await initBackend({ backend: 'cpu' });
  const bb = await loadBackbone(TINY_BERT);
  try {
    const L = bb.numLayers;
    const batch = bb.tokenize(TEXTS, 64);
    const batched = tfjsStates(bb, batch, [L]);
    const d = bb.hiddenSize;
    TEXTS.forEach((t, r) => {
      const alone = bb.tokenize([t], 64);
      assert.equal(alone.attentionMask.every((m) => m === 1), true);
      const solo = tfjsStates(bb, alone, [L])[0]!;
      const rowStart = r * batch.seqLen * d;
      for (let i = 0; i < solo.length; i++) {
        assert.ok(Math.abs(solo[i]! - batched[0]![rowStart + i]!) < 1e-5, `text ${r} element ${i}`);
      }
    });
  } finally {
    bb.dispose();
  }
});
