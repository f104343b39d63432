/**
 * AdaSparse (Yang et al., "AdaSparse: Learning Adaptively Sparse Structures for Multi-Domain
 * Click-Through Rate Prediction", CIKM 2022): a shared DNN whose hidden neurons are weighted per
 * sample by a domain-aware pruner, h_l = ReLU(h_{l-1}·W_l + b_l) ⊙ π_l with
 * π_l = form(z_l), z_l = (e_d ⊕ h_{l-1})·P_l + p_l (e_d: the domain embedding). Forms:
 * - "scaling": π = β·sigmoid(z) (soft weights in (0, β));
 * - "binarization": π = 1[z > 0], gradient through sigmoid(z) (straight-through);
 * - "fusion": π = β·sigmoid(z) where that is ≥ ε, else 0 (pruned), gradient of β·sigmoid(z).
 * The paper's sparsity regularizer (a loss term steering the share of pruned neurons) is not
 * implemented: the trainer's loss has no slot for it, so "fusion" prunes as much as it learns to.
 *
 * Variables: `embedding.*`, `domain_embedding`, `mlp.<l>.{kernel,bias}` (the last one is the logit
 * layer; + `mlp.<l>.bn`), `pruner.<l>.{kernel,bias}`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { BatchNorm } from '../layers/batch_norm.js';
import { FeatureEmbedding, flattenFields, NUM_FIELDS } from '../layers/feature_embedding.js';
import { Linear } from '../layers/linear.js';
import { applyDropout } from '../layers/mlp_block.js';
import { stopGradient } from '../ops/stop_gradient.js';
import type { BatchTensors, ForwardOptions } from '../types.js';
import { commonOptions, DomainConditionedModel, schemaParts, type ZooArgs } from './base.js';
import { domainEmbedding } from './domain_embedding.js';

export const PRUNING_FORMS = ['scaling', 'binarization', 'fusion'] as const;
export type PruningForm = (typeof PRUNING_FORMS)[number];

export const AdaSparseOptions = z.strictObject({
  ...commonOptions,
  hidden_units: schemaParts.units.nonempty().default([1024, 512, 256]),
  form: z.enum(PRUNING_FORMS).default('fusion'),
  /** β: upper bound of the scaling and fusion factors. */
  beta: z.number().positive().default(2),
  /** ε: fusion factors below it are set to 0. */
  epsilon: z.number().min(0).default(0.25),
});
export type AdaSparseOptions = z.output<typeof AdaSparseOptions>;

/** Weighting factors π from the pruner's pre-activations z (same shape). */
export function pruningFactors(zs: tf.Tensor2D, form: PruningForm, beta: number, epsilon: number): tf.Tensor2D {
  const s = tf.sigmoid(zs);
  if (form === 'scaling') return tf.mul(s, beta) as tf.Tensor2D;
  // Straight-through: the forward value is the hard one, the gradient that of the soft one (step
  // and greaterEqual have zero gradients in tfjs; greater has none and would break the tape).
  const soft = form === 'binarization' ? s : tf.mul(s, beta);
  const hard = form === 'binarization' ? tf.step(zs) : tf.mul(soft, tf.cast(tf.greaterEqual(soft, epsilon), 'float32'));
  return tf.add(soft, stopGradient(tf.sub(hard, soft))) as tf.Tensor2D;
}

export class AdaSparse extends DomainConditionedModel {
  private readonly embedding: FeatureEmbedding;
  private readonly domainEmbedding: tf.Variable;
  private readonly layers: { linear: Linear; pruner: Linear; bn?: BatchNorm }[] = [];
  private readonly output: Linear;
  private readonly o: AdaSparseOptions;

  constructor(args: ZooArgs, o: AdaSparseOptions) {
    super('adasparse', args.domains, args.seed);
    const d = o.embedding_dim;
    this.o = o;
    this.embedding = this.fieldEmbedding(args, o);
    this.domainEmbedding = domainEmbedding(this.store, args.domains.length, d);
    let input = NUM_FIELDS * d;
    o.hidden_units.forEach((width, l) => {
      const s = this.store.scope('mlp').scope(l);
      this.layers.push({
        linear: new Linear(s, input, width),
        pruner: new Linear(this.store.scope('pruner').scope(l), d + input, width),
        bn: o.batch_norm ? new BatchNorm(s.scope('bn'), width) : undefined,
      });
      input = width;
    });
    this.output = new Linear(this.store.scope('mlp').scope(o.hidden_units.length), input, 1);
  }

  protected conditionedLogits(batch: BatchTensors, indicator: tf.Tensor2D, opts: ForwardOptions): tf.Tensor1D {
    const dom = tf.matMul(indicator, this.domainEmbedding as tf.Tensor2D);
    let h = flattenFields(this.embedding.apply(batch));
    for (const l of this.layers) {
      const pi = pruningFactors(l.pruner.apply(tf.concat([dom, h], 1) as tf.Tensor2D), this.o.form, this.o.beta, this.o.epsilon);
      let y = l.linear.apply(h);
      if (l.bn) y = l.bn.apply(y, opts.training);
      h = applyDropout(tf.mul(tf.relu(y), pi) as tf.Tensor2D, this.o.net_dropout, opts);
    }
    return tf.reshape(this.output.apply(h), [-1]) as tf.Tensor1D;
  }
}
