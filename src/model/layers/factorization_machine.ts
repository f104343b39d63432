/**
 * Factorization machine: global bias + first-order weights per id + pairwise interactions
 * ½·Σ_d[(Σ_f v_f)² − Σ_f v_f²]. The first-order weights are a 1-wide FeatureEmbedding (`lr.*`),
 * so the history field's first-order term is the mean of its items' weights.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BatchTensors } from '../types.js';
import { FeatureEmbedding, type VocabSizes } from './feature_embedding.js';
import type { VariableStore } from './variable_store.js';

/** Second-order FM term: x [batch, fields, dim] → [batch]. */
export function fmSecondOrder(x: tf.Tensor3D): tf.Tensor1D {
  const sumSq = tf.square(tf.sum(x, 1));
  const sqSum = tf.sum(tf.square(x), 1);
  return tf.mul(0.5, tf.sum(tf.sub(sumSq, sqSum), 1)) as tf.Tensor1D;
}

/** First-order part: bias + Σ_f w_f. Variables `<scope>.user` … [vocab, 1] and `<scope>.bias` [1]. */
export class LogisticRegression {
  private readonly weights: FeatureEmbedding;
  private readonly bias: tf.Variable;

  constructor(store: VariableStore, vocab: VocabSizes) {
    this.weights = new FeatureEmbedding(store, vocab, { dim: 1 });
    this.bias = store.zeros('bias', [1]);
  }

  /** [batch] */
  apply(batch: BatchTensors): tf.Tensor1D {
    const w = this.weights.apply(batch); // [b, f, 1]
    return tf.add(tf.sum(w, [1, 2]), this.bias) as tf.Tensor1D;
  }
}

export class FactorizationMachine {
  private readonly lr: LogisticRegression;

  constructor(store: VariableStore, vocab: VocabSizes) {
    this.lr = new LogisticRegression(store, vocab);
  }

  /** embeddings: [batch, fields, dim] of the same batch → [batch] logit. */
  apply(batch: BatchTensors, embeddings: tf.Tensor3D): tf.Tensor1D {
    return tf.add(this.lr.apply(batch), fmSecondOrder(embeddings)) as tf.Tensor1D;
  }
}
