/**
 * AdaSparse (Yang et al., "AdaSparse: Learning Adaptively Sparse Structures for Multi-Domain
 * Click-Through Rate Prediction", CIKM 2022): a shared DNN whose hidden neurons are weighted per
 * sample by a domain-aware pruner, h_l = ReLU(h_{l-1}·W_l + b_l) ⊙ π_l with
 * π_l = form(z_l), z_l = (e_d ⊕ h_{l-1})·P_l + p_l (e_d: the domain embedding). Forms:
 * - "scaling": π = β·sigmoid(z) (soft weights in (0, β));
 * - "binarization": π = 1[z > 0], gradient through sigmoid(z) (straight-through);
 * - "fusion": π = β·sigmoid(z) where that is ≥ ε, else 0 (pruned), gradient of β·sigmoid(z).
 *
 * Flexible sparsity regularisation (the forms that prune, binarization and fusion; training
 * forwards only): R = Σ_l λ_l · ‖π_l‖₁ / (rows · n_l), λ_l = λ̂ · (2^{α·(r − r_l)} − 1), where r_l
 * is the batch's share of zero factors in layer l (no gradient) and r the target share. Below the
 * target λ_l > 0 pushes factors down (more pruning), above it λ_l < 0 pushes them up; it joins the
 * loss through `auxLoss`. `stats.pruned_fraction` (share of zero factors over all layers) and
 * `stats.sparsity_loss` are logged by the trainer.
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
import type { BatchTensors, ForwardOptions, ModelOutputs } from '../types.js';
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
  /** λ̂: base weight of the sparsity regulariser (0 = off; binarization and fusion only). */
  sparsity_weight: z.number().min(0).default(0.1),
  /** r: target share of pruned (zero) factors per layer. */
  sparsity_target: z.number().min(0).lt(1).default(0.25),
  /** α: how steeply λ_l grows with the gap r − r_l. */
  sparsity_alpha: z.number().positive().default(1),
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
    return this.run(batch, indicator, opts).logits;
  }

  protected override conditionedOutputs(batch: BatchTensors, indicator: tf.Tensor2D, opts: ForwardOptions): ModelOutputs {
    const { logits, factors } = this.run(batch, indicator, opts);
    if (!opts.training) return { logits };
    // Rows of an unknown domain (indicator row 0) are scored 0 and take no part in the regulariser.
    const known = tf.expandDims(tf.sum(indicator, 1), 1);
    const rows = tf.maximum(tf.sum(known), 1);
    const perLayer = factors.map((pi) => {
      // 1 − step(π) marks the zeros (π ≥ 0); tf.equal has no gradient function and would break the tape.
      const zeros = tf.sum(tf.mul(tf.sub(1, tf.step(stopGradient(pi))), known));
      return { zeros, share: tf.div(zeros, tf.mul(rows, pi.shape[1])), l1: tf.div(tf.sum(tf.mul(pi, known)), tf.mul(rows, pi.shape[1])) };
    });
    const width = factors.reduce((n, pi) => n + pi.shape[1], 0);
    const pruned = tf.div(tf.addN(perLayer.map((l) => l.zeros)), tf.mul(rows, width)) as tf.Scalar;
    const o = this.o;
    if (o.form === 'scaling' || o.sparsity_weight === 0) return { logits, stats: { pruned_fraction: pruned } };
    // λ_l = λ̂·(2^{α(r − r_l)} − 1): r_l comes from a step function and carries no gradient.
    const reg = tf.addN(
      perLayer.map((l) => {
        const lambda = tf.mul(tf.sub(tf.pow(2, tf.mul(tf.sub(o.sparsity_target, l.share), o.sparsity_alpha)), 1), o.sparsity_weight);
        return tf.mul(lambda, l.l1);
      }),
    ) as tf.Scalar;
    return { logits, auxLoss: () => reg, stats: { pruned_fraction: pruned, sparsity_loss: reg } };
  }

  /** Logits and the pruning factors π_l of every layer ([batch, n_l] each). */
  private run(batch: BatchTensors, indicator: tf.Tensor2D, opts: ForwardOptions): { logits: tf.Tensor1D; factors: tf.Tensor2D[] } {
    const dom = tf.matMul(indicator, this.domainEmbedding as tf.Tensor2D);
    let h = flattenFields(this.embedding.apply(batch));
    const factors: tf.Tensor2D[] = [];
    for (const l of this.layers) {
      const pi = pruningFactors(l.pruner.apply(tf.concat([dom, h], 1) as tf.Tensor2D), this.o.form, this.o.beta, this.o.epsilon);
      factors.push(pi);
      let y = l.linear.apply(h);
      if (l.bn) y = l.bn.apply(y, opts.training);
      h = applyDropout(tf.mul(tf.relu(y), pi) as tf.Tensor2D, this.o.net_dropout, opts);
    }
    return { logits: tf.reshape(this.output.apply(h), [-1]) as tf.Tensor1D, factors };
  }
}
