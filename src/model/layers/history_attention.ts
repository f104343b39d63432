/**
 * Target attention over the history items: scaled dot-product scores of one query per sample
 * against the step keys, softmax over the real steps only (item id > 0), weighted sum of the step
 * values. An empty history gives a zero vector. Used by SAR-Net and DFFM.
 */
import * as tf from '@tensorflow/tfjs-core';

/**
 * keys, values: [batch, steps, dk] / [batch, steps, dv]; query: [batch, dk]; mask: [batch, steps]
 * (1 real, 0 padding) → [batch, dv].
 */
export function attendHistory(keys: tf.Tensor3D, values: tf.Tensor3D, query: tf.Tensor2D, mask: tf.Tensor2D): tf.Tensor2D {
  const dk = keys.shape[2];
  const scores = tf.div(tf.sum(tf.mul(keys, tf.expandDims(query, 1)), 2), Math.sqrt(dk)); // [b, T]
  // Subtracting the row max of the real steps keeps exp finite; padded steps get weight 0.
  const masked = tf.add(scores, tf.mul(tf.sub(1, mask), -1e9));
  const e = tf.mul(tf.exp(tf.sub(masked, tf.max(masked, 1, true))), mask);
  const att = tf.div(e, tf.maximum(tf.sum(e, 1, true), 1e-12));
  return tf.sum(tf.mul(values, tf.expandDims(att, 2)), 1) as tf.Tensor2D;
}

/** [batch, steps] float mask of the real history slots (item id > 0). */
export function historyMask(history: tf.Tensor2D): tf.Tensor2D {
  return tf.cast(tf.greater(history, 0), 'float32') as tf.Tensor2D;
}
