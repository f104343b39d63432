/**
 * Attention pooling over the token axis (the Uni-CTR gate): score_t = q · tanh(W x_t + b),
 * softmax over the sample's real tokens only, weighted sum of x_t.
 * Variables `<scope>.proj.kernel|bias` (W, b) and `<scope>.query` ([hidden, 1]).
 */
import * as tf from '@tensorflow/tfjs-core';
import { dense } from '../ops/dense.js';
import { Linear } from '../layers/linear.js';
import type { VariableStore } from '../layers/variable_store.js';
import { maskedSoftmax } from './masked_softmax.js';

export class AttentionGate {
  private readonly proj: Linear;
  private readonly query: tf.Variable;

  constructor(
    store: VariableStore,
    readonly inputDim: number,
    readonly hidden: number = inputDim,
    queryInit: 'glorot' | 'zeros' = 'glorot',
  ) {
    this.proj = new Linear(store.scope('proj'), inputDim, hidden);
    this.query = queryInit === 'zeros' ? store.zeros('query', [hidden, 1]) : store.glorot('query', [hidden, 1]);
  }

  /** x: [n, t, din], mask: [n, t] → token weights [n, t] (0 on padding). */
  weights(x: tf.Tensor3D, mask: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const [n, t] = x.shape;
      const scores = tf.reshape(dense(tf.tanh(this.proj.apply(x)), this.query), [n, t]) as tf.Tensor2D;
      return maskedSoftmax(scores, mask);
    });
  }

  /** x: [n, t, din], mask: [n, t] → pooled [n, din]. */
  apply(x: tf.Tensor3D, mask: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => tf.sum(tf.mul(x, tf.expandDims(this.weights(x, mask), 2)), 1) as tf.Tensor2D);
  }

  static paramCount(inputDim: number, hidden: number = inputDim): number {
    return Linear.paramCount(inputDim, hidden) + hidden;
  }
}

/** Mean of x over real tokens: x [n, t, d], mask [n, t] → [n, d] (zeros for an all-padding row). */
export function maskedMeanPool(x: tf.Tensor3D, mask: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const m = tf.expandDims(mask, 2);
    const count = tf.maximum(tf.sum(mask, 1, true), 1);
    return tf.div(tf.sum(tf.mul(x, m), 1), count) as tf.Tensor2D;
  });
}
