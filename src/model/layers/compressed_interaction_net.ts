/**
 * Compressed Interaction Network of xDeepFM: each layer takes the outer product of the field
 * embeddings with the previous layer's feature maps along the embedding axis and compresses the
 * m·h maps to H with a 1×1 convolution; every layer's maps are sum-pooled over the embedding axis.
 * Variables `<i>.kernel` [m·h_prev, H_i], `<i>.bias` [H_i].
 */
import * as tf from '@tensorflow/tfjs-core';
import { dense } from '../ops/dense.js';
import type { VariableStore } from './variable_store.js';

export class CompressedInteractionNet {
  private readonly layers: { kernel: tf.Variable; bias: tf.Variable }[] = [];
  /** Sum of the layer sizes (width of the pooled output). */
  readonly outputDim: number;

  constructor(store: VariableStore, readonly numFields: number, layerUnits: readonly number[]) {
    let prev = numFields;
    layerUnits.forEach((h, i) => {
      const s = store.scope(i);
      this.layers.push({ kernel: s.glorot('kernel', [numFields * prev, h]), bias: s.zeros('bias', [h]) });
      prev = h;
    });
    this.outputDim = layerUnits.reduce((a, b) => a + b, 0);
  }

  /** x0: [batch, m, d] → [batch, ΣH]. */
  apply(x0: tf.Tensor3D): tf.Tensor2D {
    const [b, m, d] = x0.shape;
    let xk: tf.Tensor3D = x0;
    const pooled: tf.Tensor[] = [];
    for (const l of this.layers) {
      const h = xk.shape[1];
      // [b, m, 1, d] ⊙ [b, 1, h, d] → [b, m·h, d] → maps along the last axis for the 1×1 conv.
      const z = tf.reshape(tf.mul(tf.expandDims(x0, 2), tf.expandDims(xk, 1)), [b, m * h, d]);
      const zt = tf.transpose(z, [0, 2, 1]); // [b, d, m·h]
      const y = dense(zt, l.kernel as tf.Variable, l.bias as tf.Variable); // [b, d, H]
      xk = tf.transpose(y, [0, 2, 1]) as tf.Tensor3D; // [b, H, d]
      pooled.push(tf.sum(xk, 2));
    }
    return tf.concat(pooled, 1) as tf.Tensor2D;
  }
}
