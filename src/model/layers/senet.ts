/**
 * Squeeze-excitation over fields (FiBiNET): squeeze each field by its mean, excite through two
 * bias-free ReLU layers (fields → max(1, ⌊fields/ratio⌋) → fields) and reweight the fields.
 * Variables `squeeze.kernel` and `excite.kernel`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { dense } from '../ops/dense.js';
import type { VariableStore } from './variable_store.js';

export class SqueezeExcitation {
  private readonly w1: tf.Variable;
  private readonly w2: tf.Variable;

  constructor(store: VariableStore, numFields: number, reductionRatio: number) {
    const reduced = Math.max(1, Math.floor(numFields / reductionRatio));
    this.w1 = store.glorot('squeeze.kernel', [numFields, reduced]);
    this.w2 = store.glorot('excite.kernel', [reduced, numFields]);
  }

  /** x: [batch, fields, dim] → same shape, each field scaled by its learnt weight. */
  apply(x: tf.Tensor3D): tf.Tensor3D {
    const z = tf.mean(x, 2); // [b, f]
    const a = tf.relu(dense(tf.relu(dense(z, this.w1)), this.w2));
    return tf.mul(x, tf.expandDims(a, 2)) as tf.Tensor3D;
  }
}
