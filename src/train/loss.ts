/**
 * Training loss over a model's outputs: mean BCE of the own-domain logits plus, with equal
 * weight, that of every auxiliary logit (Uni-CTR's general network), plus the model's own extra
 * loss term if it returns one (DIEN's next-behaviour loss, IntTower's CIR). Samples only reach their own
 * domain's tower, so other towers get no gradient from them ("masked loss").
 */
import * as tf from '@tensorflow/tfjs-core';
import { bceWithLogits } from '../model/loss.js';
import type { ModelOutputs } from '../model/types.js';

export function totalLoss(out: ModelOutputs, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    let loss = bceWithLogits(out.logits, labels);
    for (const aux of out.auxLogits ?? []) loss = tf.add(loss, bceWithLogits(aux, labels));
    if (out.auxLoss) loss = tf.add(loss, out.auxLoss(labels));
    return loss;
  });
}
