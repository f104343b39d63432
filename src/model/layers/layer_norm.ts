/**
 * Layer normalisation over the last axis with a learned scale and shift.
 * Variables `<scope>.gamma` (ones) and `<scope>.beta` (zeros), both [dim].
 *
 * The gradient is written out (dx = rstd·(g − mean(g) − x̂·mean(g·x̂)), g = dy·γ) instead of
 * differentiating tf.moments: it saves about half of the elementwise passes over the activations,
 * which dominate the ladder's cost on wasm besides the matMuls.
 */
import * as tf from '@tensorflow/tfjs-core';
import { columnSum } from '../ops/column_sum.js';
import type { VariableStore } from './variable_store.js';

/** y = (x − mean) / sqrt(var + eps) · gamma + beta over the last axis of x. */
export function layerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, epsilon: number): tf.Tensor {
  const axis = x.rank - 1;
  const d = x.shape[axis]!;
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xs, g, b, save] = args as [tf.Tensor, tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    const xc = tf.sub(xs, tf.mean(xs, axis, true));
    const rstd = tf.rsqrt(tf.add(tf.mean(tf.square(xc), axis, true), epsilon));
    const xhat = tf.mul(xc, rstd);
    save([xhat, rstd, g]);
    return {
      value: tf.add(tf.mul(xhat, g), b),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xh, rs, gm] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
        const gdy = tf.mul(dy, gm);
        const inner = tf.sub(tf.sub(gdy, tf.mean(gdy, axis, true)), tf.mul(xh, tf.mean(tf.mul(gdy, xh), axis, true)));
        const dy2 = tf.reshape(dy, [-1, d]) as tf.Tensor2D;
        return [tf.mul(inner, rs), columnSum(tf.mul(dy2, tf.reshape(xh, [-1, d])) as tf.Tensor2D), columnSum(dy2)];
      },
    };
  });
  return op(x, gamma, beta);
}

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
    return layerNorm(x, this.gamma, this.beta, this.epsilon) as T;
  }

  static paramCount(dim: number): number {
    return 2 * dim;
  }
}
