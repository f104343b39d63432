/**
 * Layer normalisation over the last axis with a learned scale and shift.
 * Variables `<scope>.gamma` (ones) and `<scope>.beta` (zeros), both [dim].
 */
import * as tf from '@tensorflow/tfjs-core';
import type { VariableStore } from './variable_store.js';

export class LayerNorm {
  readonly gamma: tf.Variable;
  readonly beta: tf.Variable;

  constructor(
    store: VariableStore,
    readonly dim: number,
    readonly epsilon = 1e-5,
  ) {
    this.gamma = store.constant('gamma', [dim], 1);
    this.beta = store.zeros('beta', [dim]);
  }

  /** x: [..., dim] → same shape; statistics per position, never across positions or samples. */
  apply<T extends tf.Tensor>(x: T): T {
    return tf.tidy(() => {
      const axis = x.rank - 1;
      const { mean, variance } = tf.moments(x, axis, true);
      const normed = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, this.epsilon)));
      return tf.add(tf.mul(normed, this.gamma), this.beta) as T;
    });
  }

  static paramCount(dim: number): number {
    return 2 * dim;
  }
}
