/**
 * Uni-CTR's masked loss (spec §3): mean BCE of each sample's own-domain logit + mean BCE of each
 * auxiliary logit (the general network's), equal weights. Masking is structural: the forward pass
 * runs DSN k only on the rows of domain k, so other domains' towers get no gradient from a sample.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ModelOutputs } from '../types.js';

/** Elementwise BCE from logits, stable for large |z|: max(z, 0) − z·y + log(1 + e^−|z|). */
export function sigmoidCrossEntropyWithLogits(logits: tf.Tensor1D, labels: tf.Tensor1D): tf.Tensor1D {
  return tf.tidy(() => {
    const y = labels.dtype === 'float32' ? labels : tf.cast(labels, 'float32');
    return tf.add(tf.sub(tf.relu(logits), tf.mul(logits, y)), tf.log1p(tf.exp(tf.neg(tf.abs(logits))))) as tf.Tensor1D;
  });
}

/** labels: [batch] 0/1 → scalar loss. */
export function maskedBceLoss(outputs: ModelOutputs, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    if (outputs.logits.shape[0] !== labels.shape[0]) {
      throw new Error(`maskedBceLoss: logits [${outputs.logits.shape}] and labels [${labels.shape}] differ in length`);
    }
    let loss = tf.mean(sigmoidCrossEntropyWithLogits(outputs.logits, labels));
    for (const aux of outputs.auxLogits ?? []) loss = tf.add(loss, tf.mean(sigmoidCrossEntropyWithLogits(aux, labels)));
    return loss as tf.Scalar;
  });
}
