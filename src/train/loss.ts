/**
 * Training loss over a model's outputs: mean sigmoid cross-entropy of the own-domain logits plus,
 * with equal weight, that of every auxiliary logit (Uni-CTR's general network). Samples only
 * reach their own domain's tower, so other towers get no gradient from them ("masked loss").
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ModelOutputs } from '../model/types.js';

/** Mean of max(x,0) − x·y + log(1 + e^(−|x|)): stable for large |x|. */
export function meanBceWithLogits(logits: tf.Tensor1D, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const relu = tf.relu(logits);
    const term = tf.log1p(tf.exp(tf.neg(tf.abs(logits))));
    return tf.mean(tf.add(tf.sub(relu, tf.mul(logits, labels)), term)) as tf.Scalar;
  });
}

export function totalLoss(out: ModelOutputs, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    let loss = meanBceWithLogits(out.logits, labels);
    for (const aux of out.auxLogits ?? []) loss = tf.add(loss, meanBceWithLogits(aux, labels));
    return loss;
  });
}
