/**
 * Multi-head self-attention across the tokens of each sample, with padded keys masked out.
 *
 * Q, K and V come from one fused Linear ([w, 3w], one 2-D matMul instead of three), heads are
 * folded into the batch axis for the score and mixing matMuls, and an output Linear follows.
 * Variables `<scope>.qkv.kernel|bias`, `<scope>.output.kernel|bias`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ConfigError } from '../../util/errors.js';
import { Linear } from '../layers/linear.js';
import type { VariableStore } from '../layers/variable_store.js';

export class SelfAttention {
  private readonly qkv: Linear;
  private readonly output: Linear;
  private readonly headDim: number;

  constructor(
    store: VariableStore,
    readonly width: number,
    readonly heads: number,
  ) {
    if (width % heads !== 0) {
      throw new ConfigError(`model.ladder_heads: attention width ${width} is not a multiple of the number of heads (${heads})`);
    }
    this.headDim = width / heads;
    this.qkv = new Linear(store.scope('qkv'), width, 3 * width);
    this.output = new Linear(store.scope('output'), width, width);
  }

  /**
   * x: [n, t, w]; keyBias: [n, 1, 1, t] additive mask (0 real, −1e9 padding) → [n, t, w].
   * Padded query positions produce values too, but no real position reads them.
   */
  apply(x: tf.Tensor3D, keyBias: tf.Tensor4D): tf.Tensor3D {
    return tf.tidy(() => {
      const [n, t, w] = x.shape;
      const h = this.heads;
      const dh = this.headDim;
      const qkv = this.qkv.apply(x);
      const [q, k, v] = tf.split(qkv, 3, 2) as [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D];
      const toHeads = (z: tf.Tensor3D): tf.Tensor3D =>
        tf.reshape(tf.transpose(tf.reshape(z, [n, t, h, dh]), [0, 2, 1, 3]), [n * h, t, dh]);
      const qh = tf.mul(toHeads(q), 1 / Math.sqrt(dh));
      const kh = toHeads(k);
      const vh = toHeads(v);
      const scores = tf.reshape(tf.matMul(qh, kh, false, true), [n, h, t, t]);
      const probs = tf.softmax(tf.add(scores, keyBias));
      const mixed = tf.matMul(tf.reshape(probs, [n * h, t, t]), vh);
      const merged = tf.reshape(tf.transpose(tf.reshape(mixed, [n, h, t, dh]), [0, 2, 1, 3]), [n, t, w]) as tf.Tensor3D;
      return this.output.apply(merged);
    });
  }

  static paramCount(width: number): number {
    return Linear.paramCount(width, 3 * width) + Linear.paramCount(width, width);
  }
}
