/**
 * M2M (Zhang et al., "Leaving No One Behind: A Multi-Scenario Multi-Task Meta Learning Approach
 * for Advertiser Modeling", WSDM 2022), single-task form: one task embedding, one tower.
 *
 * Scenario knowledge representation S = ReLU(domain embedding·W_s + b_s). A meta unit layer has
 * parameters generated from S: W(S) = W_0 + reshape(S·A), b(S) = b_0 + S·B. Expert view: shared
 * MLP experts over the flat embeddings and the domain embedding (the scenario id is one of the
 * backbone's input features). Meta attention: expert i scores
 * a_i = v·ReLU(meta([E_i ⊕ T])) with the task embedding T, softmax over the experts,
 * R = Σ softmax(a)_i E_i. Meta tower: residual meta layers h ← ReLU(meta_l(h) + h) from h = R,
 * then a Linear to the logit.
 *
 * S depends on the domain only, so every meta layer is computed once per domain (x·W_k for all
 * k in one matMul) and each sample keeps its own domain's output: the same values as generating
 * per-sample parameters, at the cost of a dense layer per domain.
 *
 * Variables: `embedding.*`, `domain_embedding`, `scenario.{kernel,bias}`, `expert.<i>.<l>.*`,
 * `task_embedding` [1, view], `attention.meta.*` and `attention.score.kernel`, `tower.<l>.*`
 * (meta layers: `base_kernel`, `base_bias`, `kernel_generator`, `bias_generator`),
 * `output.{kernel,bias}`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { Experts } from '../layers/experts.js';
import { FeatureEmbedding, flattenFields, NUM_FIELDS } from '../layers/feature_embedding.js';
import { Linear } from '../layers/linear.js';
import { applyDropout } from '../layers/mlp_block.js';
import type { VariableStore } from '../layers/variable_store.js';
import { dense } from '../ops/dense.js';
import type { BatchTensors, ForwardOptions } from '../types.js';
import { commonOptions, DomainConditionedModel, schemaParts, type ZooArgs } from './base.js';
import { domainEmbedding } from './domain_embedding.js';

export const M2MOptions = z.strictObject({
  ...commonOptions,
  num_experts: z.number().int().positive().default(4),
  /** Expert MLP; the last width is the view dimension that attention and tower work in. */
  expert_hidden_units: schemaParts.units.nonempty().default([256, 64]),
  /** Width of the scenario knowledge representation S. */
  scenario_dim: z.number().int().positive().default(32),
  meta_tower_layers: z.number().int().positive().default(2),
});
export type M2MOptions = z.output<typeof M2MOptions>;

/** A dense layer whose kernel and bias are generated from the scenario representation. */
export class MetaLayer {
  readonly baseKernel: tf.Variable;
  readonly baseBias: tf.Variable;
  readonly kernelGenerator: tf.Variable;
  readonly biasGenerator: tf.Variable;

  constructor(store: VariableStore, readonly inputDim: number, readonly outputDim: number, scenarioDim: number) {
    this.baseKernel = store.glorot('base_kernel', [inputDim, outputDim]);
    this.baseBias = store.zeros('base_bias', [outputDim]);
    this.kernelGenerator = store.glorot('kernel_generator', [scenarioDim, inputDim * outputDim]);
    this.biasGenerator = store.glorot('bias_generator', [scenarioDim, outputDim]);
  }

  /**
   * x [batch, in], scenarios S of every domain [domains, s], indicator [batch, domains] →
   * [batch, out]: x·W(S_k) + b(S_k) for each sample's domain k.
   */
  apply(x: tf.Tensor2D, scenarios: tf.Tensor2D, indicator: tf.Tensor2D): tf.Tensor2D {
    const m = scenarios.shape[0];
    const [nIn, nOut] = [this.inputDim, this.outputDim];
    const kernels = tf.add(tf.reshape(tf.matMul(scenarios, this.kernelGenerator as tf.Tensor2D), [m, nIn, nOut]), this.baseKernel); // [m, in, out]
    const side = tf.reshape(tf.transpose(kernels, [1, 0, 2]), [nIn, m * nOut]) as tf.Tensor2D;
    const biases = tf.add(tf.matMul(scenarios, this.biasGenerator as tf.Tensor2D), this.baseBias); // [m, out]
    const all = tf.add(tf.reshape(dense(x, side), [-1, m, nOut]), biases); // [b, m, out]
    return tf.sum(tf.mul(all, tf.expandDims(indicator, 2)), 1) as tf.Tensor2D;
  }
}

export class M2M extends DomainConditionedModel {
  private readonly embedding: FeatureEmbedding;
  private readonly domainEmbedding: tf.Variable;
  private readonly scenario: Linear;
  private readonly experts: Experts;
  private readonly taskEmbedding: tf.Variable;
  private readonly attention: MetaLayer;
  private readonly attentionScore: tf.Variable;
  private readonly tower: MetaLayer[] = [];
  private readonly output: Linear;
  private readonly dropout: number;

  constructor(args: ZooArgs, o: M2MOptions) {
    super('m2m', args.domains, args.seed);
    const d = o.embedding_dim;
    this.dropout = o.net_dropout;
    this.embedding = this.fieldEmbedding(args, o);
    this.domainEmbedding = domainEmbedding(this.store, args.domains.length, d);
    this.scenario = new Linear(this.store.scope('scenario'), d, o.scenario_dim);
    this.experts = new Experts(this.store.scope('expert'), {
      count: o.num_experts,
      inputDim: NUM_FIELDS * d + d,
      hiddenUnits: o.expert_hidden_units,
      dropout: o.net_dropout,
      batchNorm: o.batch_norm,
    });
    const v = this.experts.outputDim;
    this.taskEmbedding = this.store.normal('task_embedding', [1, v], o.embedding_init_std);
    this.attention = new MetaLayer(this.store.scope('attention').scope('meta'), 2 * v, v, o.scenario_dim);
    this.attentionScore = this.store.glorot('attention.score.kernel', [v, 1]);
    for (let l = 0; l < o.meta_tower_layers; l++) this.tower.push(new MetaLayer(this.store.scope('tower').scope(l), v, v, o.scenario_dim));
    this.output = new Linear(this.store.scope('output'), v, 1);
  }

  protected conditionedLogits(batch: BatchTensors, indicator: tf.Tensor2D, opts: ForwardOptions): tf.Tensor1D {
    const x = flattenFields(this.embedding.apply(batch));
    const scenarios = tf.relu(this.scenario.apply(this.domainEmbedding as tf.Tensor2D)) as tf.Tensor2D; // [m, s]
    const views = this.experts.apply(tf.concat([x, tf.matMul(indicator, this.domainEmbedding as tf.Tensor2D)], 1) as tf.Tensor2D, opts);
    const task = tf.tile(this.taskEmbedding, [batch.size, 1]);
    const scores = views.map((e) => dense(tf.relu(this.attention.apply(tf.concat([e, task], 1) as tf.Tensor2D, scenarios, indicator)), this.attentionScore));
    const weights = tf.softmax(tf.concat(scores, 1) as tf.Tensor2D);
    // Column slices, not split: split's gradient fails when there is a single expert.
    let h = tf.addN(views.map((e, i) => tf.mul(e, tf.slice(weights, [0, i], [-1, 1])))) as tf.Tensor2D;
    for (const layer of this.tower) h = applyDropout(tf.relu(tf.add(layer.apply(h, scenarios, indicator), h)) as tf.Tensor2D, this.dropout, opts);
    return tf.reshape(this.output.apply(h), [-1]) as tf.Tensor1D;
  }
}
