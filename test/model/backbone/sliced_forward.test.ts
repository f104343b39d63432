/**
 * A batch larger than one pass holds runs in slices of rows: each row's states and every gradient
 * equal those of the unsliced pass, and a batch that fits is one plain call.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../src/runtime/backend.js';
import { loadBackbone } from '../../../src/model/backbone/load.js';
import { loadUseLite } from '../../../src/model/backbone/use_lite.js';
import { forwardInSlices, MAX_TOKENS_PER_PASS } from '../../../src/model/backbone/sliced_forward.js';
import type { Backbone } from '../../../src/model/backbone/types.js';
import { TEXTS, TINY_BERT } from './helpers.js';

await initBackend({ backend: 'cpu' });

const maxDiff = (a: tf.Tensor, b: tf.Tensor): number => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);

function counting(bb: Backbone): { calls: number[]; forward: Backbone['forward'] } {
  const calls: number[] = [];
  return {
    calls,
    forward: (ids, mask, layers, opts) => {
      calls.push(ids.shape[0]);
      return bb.forward(ids, mask, layers, opts);
    },
  };
}

test('sliced states equal the unsliced pass; gradients of a tuned encoder too; a fitting batch is one call', async () => {
  const bb = await loadBackbone(TINY_BERT, { tuning: 'lora', lora: { r: 2, alpha: 4, dropout: 0 }, seed: 4 });
  const texts = [...TEXTS, ...TEXTS, 'one more row'];
  const tok = bb.tokenize(texts, 24);
  const ids = tf.tensor2d(tok.inputIds, [tok.batch, tok.seqLen], 'int32');
  const mask = tf.tensor2d(tok.attentionMask, [tok.batch, tok.seqLen], 'int32');
  const layers = [bb.numLayers, 0];
  // Two rows per pass: 9 rows run as 2 + 2 + 2 + 2 + 1.
  const budget = 2 * tok.seqLen + 1;
  const spy = counting(bb);
  const whole = bb.forward(ids, mask, layers, { training: false });
  const sliced = forwardInSlices(spy, ids, mask, layers, { training: false }, budget);
  assert.deepEqual(spy.calls, [2, 2, 2, 2, 1]);
  for (let i = 0; i < layers.length; i++) {
    assert.deepEqual(sliced[i]!.shape, whole[i]!.shape);
    assert.ok(maxDiff(sliced[i]!, whole[i]!) < 1e-5, `layer ${layers[i]}: sliced states differ`);
  }

  const loss = (run: () => tf.Tensor3D[]) => () => {
    const [top, bottom] = run();
    return tf.add(tf.mean(tf.square(top!)), tf.mean(tf.mul(bottom!, top!))) as tf.Scalar;
  };
  const vars = bb.trainableVariables();
  assert.ok(vars.length > 0);
  // Without dropout (training: false) the two passes compute the same function of the weights.
  const g1 = tf.variableGrads(loss(() => bb.forward(ids, mask, layers, { training: false })), vars);
  const g2 = tf.variableGrads(loss(() => forwardInSlices(bb, ids, mask, layers, { training: false }, budget)), vars);
  assert.ok(Math.abs(g1.value.dataSync()[0]! - g2.value.dataSync()[0]!) < 1e-5);
  for (const name of Object.keys(g1.grads)) {
    const scale = Math.max(1e-6, tf.tidy(() => tf.max(tf.abs(g1.grads[name]!)).dataSync()[0]!));
    assert.ok(maxDiff(g1.grads[name]!, g2.grads[name]!) <= 1e-4 * scale + 1e-7, `${name}: sliced gradient differs`);
  }

  spy.calls.length = 0;
  const fits = forwardInSlices(spy, ids, mask, layers, { training: false });
  assert.deepEqual(spy.calls, [texts.length], 'a batch under the default budget is one call');
  tf.dispose([ids, mask, ...whole, ...sliced, ...fits, g1.value, g2.value, ...Object.values(g1.grads), ...Object.values(g2.grads)]);
  bb.dispose();
});

test('the default budget runs an evaluation batch of 130 rows × 64 tokens as 128 + 2 rows', () => {
  const calls: number[] = [];
  const fake: Pick<Backbone, 'forward'> = {
    forward: (ids, _mask, layers) => {
      calls.push(ids.shape[0]);
      return layers.map(() => tf.zeros([ids.shape[0], ids.shape[1], 3]) as tf.Tensor3D);
    },
  };
  const ids = tf.zeros([130, 64], 'int32') as tf.Tensor2D;
  const [all] = forwardInSlices(fake, ids, ids, [1], { training: false });
  assert.equal(MAX_TOKENS_PER_PASS, 8192);
  assert.deepEqual(calls, [128, 2]);
  assert.deepEqual(all!.shape, [130, 64, 3]);
  tf.dispose([ids, all!]);
});

test('USE-lite in slices gives each row the states it has alone', () => {
  const use = loadUseLite();
  const long = Array.from({ length: 40 }, (_, i) => `word${i}`).join(' ');
  const texts = Array.from({ length: 5 }, (_, i) => (i % 2 ? long : `a short prompt ${i}`));
  const tok = use.tokenize(texts, 64);
  const ids = tf.tensor2d(tok.inputIds, [tok.batch, tok.seqLen], 'int32');
  const mask = tf.tensor2d(tok.attentionMask, [tok.batch, tok.seqLen], 'int32');
  const [all] = forwardInSlices(use, ids, mask, [2], { training: false }, 2 * tok.seqLen);
  const [tail] = use.forward(tf.slice(ids, [4, 0], [1, tok.seqLen]), tf.slice(mask, [4, 0], [1, tok.seqLen]), [2], { training: false });
  assert.ok(maxDiff(tf.slice(all!, [4, 0, 0], [1, tok.seqLen, 512]), tail!) < 1e-5);
  tf.dispose([ids, mask, all!, tail!]);
  use.dispose();
});
