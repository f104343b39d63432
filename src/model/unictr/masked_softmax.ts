/**
 * Softmax over the token axis that gives padding tokens exactly zero weight.
 *
 * Padding enters as an additive bias of −1e9 on the scores (exp underflows to 0 in float32), and
 * the result is multiplied by the mask so that a padded token's weight is 0 even when its score
 * is huge or when a row has no real token at all (that row then pools to zeros).
 */
import * as tf from '@tensorflow/tfjs-core';

/** Large negative score for padded keys; finite so that 0 × bias stays 0. */
export const MASK_NEG = -1e9;

/** [n, t] float mask (1 = real, 0 = padding) → additive bias [n, t]: 0 or MASK_NEG. */
export function additiveMask(mask: tf.Tensor2D): tf.Tensor2D {
  return tf.mul(tf.sub(1, mask), MASK_NEG) as tf.Tensor2D;
}

/** scores, mask: [n, t] → weights [n, t] summing to 1 over real tokens, 0 on padding. */
export function maskedSoftmax(scores: tf.Tensor2D, mask: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.mul(tf.softmax(tf.add(scores, additiveMask(mask))), mask) as tf.Tensor2D);
}
