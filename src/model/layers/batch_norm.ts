/**
 * Batch normalisation over axis 0 of [batch, features] inputs.
 *
 * Training: normalises with the batch's own statistics and moves the running statistics towards
 * them (PyTorch convention: running = (1 − momentum)·running + momentum·batch, running variance
 * unbiased). Inference: normalises with the running statistics.
 *
 * A training batch of fewer than `MIN_BATCH_ROWS` rows (Uni-CTR runs each domain network on its
 * own sub-batch, which can be a single row) has no usable variance: its rows would normalise to 0
 * and a 1-row update would pull the running variance towards 0, blowing up inference outputs. Such
 * a batch is normalised with the running statistics and leaves them unchanged.
 *
 * The running statistics are non-trainable variables updated by `assign` during the forward pass.
 * `assign` is not a taped kernel and the new values lead nowhere into the loss, so a training step
 * run under tf.variableGrads still differentiates the batch-statistics path and leaves the running
 * statistics out of the gradients (test/model/unictr/components.test.ts checks both).
 *
 * Variables: `<scope>.gamma`, `<scope>.beta` (trainable), `<scope>.moving_mean`,
 * `<scope>.moving_variance` (not trainable).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { VariableStore } from './variable_store.js';

/** Smallest training batch whose own statistics are used (and enter the running ones). */
export const MIN_BATCH_ROWS = 2;

export interface BatchNormOptions {
  /** Weight of the current batch in the running statistics (PyTorch's `momentum`, default 0.1). */
  momentum?: number;
  epsilon?: number;
}

export class BatchNorm {
  readonly gamma: tf.Variable;
  readonly beta: tf.Variable;
  readonly movingMean: tf.Variable;
  readonly movingVariance: tf.Variable;
  readonly momentum: number;
  readonly epsilon: number;

  constructor(
    store: VariableStore,
    readonly dim: number,
    opts: BatchNormOptions = {},
  ) {
    this.momentum = opts.momentum ?? 0.1;
    this.epsilon = opts.epsilon ?? 1e-5;
    this.gamma = store.constant('gamma', [dim], 1);
    this.beta = store.zeros('beta', [dim]);
    this.movingMean = store.zeros('moving_mean', [dim], false);
    this.movingVariance = store.constant('moving_variance', [dim], 1, false);
  }

  /**
   * x: [n, dim]. With `updateStatistics` false in training mode the batch statistics are used but
   * the running ones are left alone (e.g. a frozen branch). Below MIN_BATCH_ROWS rows training
   * mode behaves like inference (running statistics, no update).
   */
  apply(x: tf.Tensor2D, training: boolean, updateStatistics = training): tf.Tensor2D {
    return tf.tidy(() => {
      let mean: tf.Tensor;
      let variance: tf.Tensor;
      if (training && x.shape[0] >= MIN_BATCH_ROWS) {
        const m = tf.moments(x, 0);
        mean = m.mean;
        variance = m.variance;
        if (updateStatistics) this.updateRunning(mean, variance, x.shape[0]);
      } else {
        mean = this.movingMean;
        variance = this.movingVariance;
      }
      const normed = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, this.epsilon)));
      return tf.add(tf.mul(normed, this.gamma), this.beta) as tf.Tensor2D;
    });
  }

  private updateRunning(mean: tf.Tensor, variance: tf.Tensor, n: number): void {
    tf.tidy(() => {
      const m = this.momentum;
      const unbiased = tf.mul(variance, n / (n - 1));
      this.movingMean.assign(tf.add(tf.mul(this.movingMean, 1 - m), tf.mul(mean, m)));
      this.movingVariance.assign(tf.add(tf.mul(this.movingVariance, 1 - m), tf.mul(unbiased, m)));
    });
  }

  static paramCount(dim: number, includeStatistics = false): number {
    return (includeStatistics ? 4 : 2) * dim;
  }
}
