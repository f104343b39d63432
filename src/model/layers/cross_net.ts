/**
 * Cross network of DCN: x_{l+1} = x0 ⊙ (x_l · w_l) + b_l + x_l, explicit feature crosses of
 * bounded degree. Variables `<i>.weight` [D, 1] and `<i>.bias` [D].
 */
import * as tf from '@tensorflow/tfjs-core';
import { dense } from '../ops/dense.js';
import type { VariableStore } from './variable_store.js';

export class CrossNet {
  private readonly layers: { weight: tf.Variable; bias: tf.Variable }[] = [];

  constructor(store: VariableStore, readonly inputDim: number, numLayers: number) {
    for (let i = 0; i < numLayers; i++) {
      const s = store.scope(i);
      this.layers.push({ weight: s.glorot('weight', [inputDim, 1]), bias: s.zeros('bias', [inputDim]) });
    }
  }

  /** x0: [batch, D] → [batch, D]. */
  apply(x0: tf.Tensor2D): tf.Tensor2D {
    let x: tf.Tensor2D = x0;
    for (const l of this.layers) {
      const s = dense(x, l.weight as tf.Variable); // [b, 1]
      x = tf.add(tf.add(tf.mul(x0, s), l.bias), x) as tf.Tensor2D;
    }
    return x;
  }
}
