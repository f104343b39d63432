/**
 * Pairwise inner products ⟨v_i, v_j⟩ (i < j) of field embeddings, as used by PNN.
 *
 * The i<j entries are picked with a constant 0/1 matrix instead of gather, whose gradient needs
 * UnsortedSegmentSum (missing on wasm).
 */
import * as tf from '@tensorflow/tfjs-core';

/** Number of unordered field pairs. */
export function numPairs(numFields: number): number {
  return (numFields * (numFields - 1)) / 2;
}

/** [f·f, pairs] selector of the strictly upper triangle, row-major. */
export function pairSelector(numFields: number): tf.Tensor2D {
  const p = numPairs(numFields);
  const vals = new Float32Array(numFields * numFields * p);
  let col = 0;
  for (let i = 0; i < numFields; i++) {
    for (let j = i + 1; j < numFields; j++) vals[(i * numFields + j) * p + col++] = 1;
  }
  return tf.tensor2d(vals, [numFields * numFields, p]);
}

/** x: [batch, fields, dim] → [batch, fields·(fields−1)/2], pairs in (0,1), (0,2), …, (1,2), … order. */
export function innerProductPairs(x: tf.Tensor3D): tf.Tensor2D {
  const [b, f] = x.shape;
  const all = tf.sum(tf.mul(tf.expandDims(x, 2), tf.expandDims(x, 1)), 3); // [b, f, f]
  return tf.matMul(tf.reshape(all, [b, f * f]), pairSelector(f));
}
