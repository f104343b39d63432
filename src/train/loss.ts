/**
 * Training loss over a model's outputs: mean BCE of the own-domain logits plus, with weight
 * `generalWeight` (1 = the spec's equal weights), that of every auxiliary logit (Uni-CTR's general
 * network). Samples only reach their own domain's tower, so other towers get no gradient from
 * them ("masked loss").
 */
import * as tf from '@tensorflow/tfjs-core';
import { bceWithLogits } from '../model/loss.js';
import type { ModelOutputs } from '../model/types.js';

export interface LossTerms {
  total: tf.Scalar;
  /** BCE of the own-domain logits. */
  own: tf.Scalar;
  /** BCE of each auxiliary logit, unweighted. */
  aux: tf.Scalar[];
}

/** The loss and its terms (no tidy: call inside tf.variableGrads or tidy, keep what you read). */
export function lossTerms(out: ModelOutputs, labels: tf.Tensor1D, generalWeight = 1): LossTerms {
  const own = bceWithLogits(out.logits, labels);
  const aux = (out.auxLogits ?? []).map((a) => bceWithLogits(a, labels));
  let total: tf.Scalar = own;
  for (const a of aux) total = tf.add(total, generalWeight === 1 ? a : tf.mul(a, generalWeight));
  return { total, own, aux };
}

export function totalLoss(out: ModelOutputs, labels: tf.Tensor1D, generalWeight = 1): tf.Scalar {
  return tf.tidy(() => lossTerms(out, labels, generalWeight).total);
}
