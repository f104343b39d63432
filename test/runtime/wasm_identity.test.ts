/**
 * On wasm, Identity (which tfjs runs on every tensor a gradient saves) shares the tensor's memory
 * instead of copying it (src/runtime/backend.ts): the clone reads the same values, outlives the
 * original, and gradients through saved tensors are unchanged.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/runtime/backend.js';

test('wasm Identity shares memory and keeps it alive until the last reference goes', async () => {
  await initBackend({ backend: 'wasm', threads: 1 });
  const x = tf.tensor2d([1, 2, 3, 4], [2, 2]);
  const before = tf.memory().numDataBuffers;
  const y = tf.clone(x);
  assert.equal(y.dataId, x.dataId);
  assert.equal(tf.memory().numDataBuffers, before, 'no new buffer');
  x.dispose();
  assert.deepEqual(Array.from(y.dataSync()), [1, 2, 3, 4]);
  y.dispose();
  const s = tf.tensor1d(['a', 'b']);
  assert.deepEqual(tf.clone(s).dataSync(), ['a', 'b']);
});

test('a custom gradient that saves its input gives the same gradient on wasm as on cpu', async () => {
  const grad = () =>
    tf.tidy(() => {
      const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
        const [x, save] = args as [tf.Tensor, tf.GradSaveFunc];
        save([x]);
        return { value: tf.square(x), gradFunc: (dy: tf.Tensor, [xs]: tf.Tensor[]) => tf.mul(dy, tf.mul(2, xs!)) };
      });
      return Array.from(tf.grad((x: tf.Tensor) => tf.sum(f(tf.mul(x, 3))))(tf.tensor1d([1, -2, 0.5])).dataSync());
    });
  await initBackend({ backend: 'cpu' });
  const cpu = grad();
  await initBackend({ backend: 'wasm', threads: 1 });
  assert.deepEqual(grad(), cpu);
  assert.deepEqual(cpu, [18, -36, 9]);
});
