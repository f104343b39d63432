/**
 * DFFM (Guan et al., "DFFM: Domain Facilitated Feature Modeling for CTR Prediction", CIKM 2023),
 * on the ID features: the domain enters the parameters of the feature-interaction and the
 * user-behaviour modules, and one shared MLP reads their outputs.
 *
 * - Domain embedding δ (one row per training domain).
 * - DFUB (domain-facilitated user behaviour): target attention over the history items whose query
 *   reads the target item and δ, q = [e_item ‖ δ]·W_q, and whose key projection is domain-specific,
 *   W_k(δ) = W_k + reshape(δ·G_k, [d, d]); values are the history item embeddings. Its readout
 *   replaces the history field.
 * - DFFI (domain-facilitated feature interaction): every field pair (i < j) of the six fields
 *   interacts through a domain-specific kernel, p_ij = e_iᵀ·W_f(δ)·e_j with
 *   W_f(δ) = W_f + reshape(δ·G_f, [d, d]).
 * - MLP over [fields ‖ p] → logit.
 *
 * Variables: `embedding.*`, `domain_embedding` [m, d], `dfub.query.kernel` [2d, d],
 * `dfub.key.{base,generator}` [d, d] / [d, d·d], `dffi.{base,generator}`, `mlp.*`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { embeddingLookup } from '../ops/embedding_lookup.js';
import { FeatureEmbedding, NUM_FIELDS } from '../layers/feature_embedding.js';
import { attendHistory, historyMask } from '../layers/history_attention.js';
import { numPairs, pairSelector } from '../layers/inner_product.js';
import { Linear } from '../layers/linear.js';
import { MlpBlock } from '../layers/mlp_block.js';
import type { VariableStore } from '../layers/variable_store.js';
import type { BatchTensors, ForwardOptions } from '../types.js';
import { commonOptions, DomainConditionedModel, schemaParts, type ZooArgs } from './base.js';

export const DFFMOptions = z.strictObject({
  ...commonOptions,
  hidden_units: schemaParts.units.default([1024, 512, 256]),
});
export type DFFMOptions = z.output<typeof DFFMOptions>;

/** A [d, d] kernel per sample: a shared base plus a part generated from the domain embedding. */
class DomainKernel {
  readonly base: tf.Variable;
  readonly generator: tf.Variable;

  constructor(
    store: VariableStore,
    readonly dim: number,
  ) {
    this.base = store.glorot('base', [dim, dim]);
    this.generator = store.glorot('generator', [dim, dim * dim]);
  }

  /** δ: [batch, d] → [batch, d, d]. */
  apply(delta: tf.Tensor2D): tf.Tensor3D {
    const generated = tf.reshape(tf.matMul(delta, this.generator as tf.Tensor2D), [-1, this.dim, this.dim]);
    return tf.add(generated, this.base) as tf.Tensor3D;
  }
}

export class DFFM extends DomainConditionedModel {
  private readonly embedding: FeatureEmbedding;
  private readonly domainEmbedding: tf.Variable;
  private readonly query: Linear;
  private readonly key: DomainKernel;
  private readonly interaction: DomainKernel;
  private readonly mlp: MlpBlock;

  constructor(args: ZooArgs, o: DFFMOptions) {
    super('dffm', args.domains, args.seed);
    const d = o.embedding_dim;
    this.embedding = this.fieldEmbedding(args, o);
    // Scale 1/√d: δ generates parameters, so the ID tables' tiny init would switch the domain off at first.
    this.domainEmbedding = this.store.normal('domain_embedding', [args.domains.length, d], 1 / Math.sqrt(d));
    this.query = new Linear(this.store.scope('dfub').scope('query'), 2 * d, d, { useBias: false });
    this.key = new DomainKernel(this.store.scope('dfub').scope('key'), d);
    this.interaction = new DomainKernel(this.store.scope('dffi'), d);
    this.mlp = this.deepLogit(NUM_FIELDS * d + numPairs(NUM_FIELDS), o);
  }

  protected conditionedLogits(batch: BatchTensors, indicator: tf.Tensor2D, opts: ForwardOptions): tf.Tensor1D {
    const delta = tf.matMul(indicator, this.domainEmbedding as tf.Tensor2D) as tf.Tensor2D; // [b, d]
    const fields = tf.unstack(this.embedding.apply(batch), 1) as tf.Tensor2D[];
    // DFUB
    const behaviours = embeddingLookup(this.embedding.tables.item, batch.history) as tf.Tensor3D; // [b, T, d]
    const keys = tf.matMul(behaviours, this.key.apply(delta)) as tf.Tensor3D; // [b, T, d]
    const q = this.query.apply(tf.concat([fields[1]!, delta], 1) as tf.Tensor2D) as tf.Tensor2D;
    const interest = attendHistory(keys, behaviours, q, historyMask(batch.history));
    const e = tf.concat([...fields.slice(0, NUM_FIELDS - 1), interest].map((f) => tf.expandDims(f, 1)), 1) as tf.Tensor3D; // [b, 6, d]
    // DFFI: all e_iᵀ·W(δ)·e_j at once, then the i < j entries.
    const all = tf.matMul(tf.matMul(e, this.interaction.apply(delta)), e, false, true); // [b, 6, 6]
    const pairs = tf.matMul(tf.reshape(all, [-1, NUM_FIELDS * NUM_FIELDS]) as tf.Tensor2D, pairSelector(NUM_FIELDS));
    const x = tf.concat([tf.reshape(e, [-1, NUM_FIELDS * e.shape[2]]), pairs], 1) as tf.Tensor2D;
    return tf.reshape(this.mlp.apply(x, opts), [-1]) as tf.Tensor1D;
  }
}
