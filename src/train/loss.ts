/**
 * Training loss over a model's outputs: mean BCE of the own-domain logits plus, with weight
 * `generalWeight` (1 = the spec's equal weights), that of every auxiliary logit (Uni-CTR's general
 * network), plus the model's own extra loss term if it returns one (DIEN's next-behaviour loss,
 * IntTower's CIR). Samples only reach their own domain's tower, so other towers get no gradient
 * from them ("masked loss").
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
  /** The model's own extra loss term, when it has one. */
  extra?: tf.Scalar;
}

/** The loss and its terms (no tidy: call inside tf.variableGrads or tidy, keep what you read). */
export function lossTerms(out: ModelOutputs, labels: tf.Tensor1D, generalWeight = 1): LossTerms {
  const own = bceWithLogits(out.logits, labels);
  const aux = (out.auxLogits ?? []).map((a) => bceWithLogits(a, labels));
  let total: tf.Scalar = own;
  for (const a of aux) total = tf.add(total, generalWeight === 1 ? a : tf.mul(a, generalWeight));
  const extra = out.auxLoss?.(labels);
  if (extra) total = tf.add(total, extra);
  return { total, own, aux, ...(extra ? { extra } : {}) };
}

export function totalLoss(out: ModelOutputs, labels: tf.Tensor1D, generalWeight = 1): tf.Scalar {
  return tf.tidy(() => lossTerms(out, labels, generalWeight).total);
}
