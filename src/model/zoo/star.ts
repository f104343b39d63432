/**
 * STAR (star topology adaptive recommender): every fully connected layer has shared weights and
 * per-domain weights combined element-wise, W_k = W_shared ⊙ W_domain_k and b_k = b_shared +
 * b_domain_k, so each domain gets its own network that still shares most statistics. An auxiliary
 * network reads the domain indicator (a learnt domain embedding) together with the features and
 * its logit is added to the star logit. Optional partitioned normalization (PN) normalizes the star
 * input with each domain's own statistics and scale/shift (γ·γ_k, β + β_k).
 *
 * Variables: `star.<layer>.shared.{kernel,bias}`, `star.<layer>.domain.<k>.{kernel,bias}` (domain
 * kernels start at 1 so that every domain starts from the shared network), `domain_embedding`,
 * `aux.<layer>.*`; with PN `pn.{gamma,beta}` [D], `pn.domain_{gamma,beta}` [domains, D] and the
 * non-trainable `pn.moving_{mean,variance}` [domains, D].
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { dense } from '../ops/dense.js';
import { FeatureEmbedding, flattenFields, NUM_FIELDS } from '../layers/feature_embedding.js';
import { applyDropout, MlpBlock } from '../layers/mlp_block.js';
import type { VariableStore } from '../layers/variable_store.js';
import type { BatchTensors, ForwardOptions, ModelOutputs } from '../types.js';
import { commonOptions, MultiDomainModel, schemaParts, scoringIndicator, selectTowerLogits, type ZooArgs } from './base.js';

export const STAROptions = z.strictObject({
  ...commonOptions,
  star_hidden_units: schemaParts.units.default([1024, 512, 256]),
  aux_hidden_units: schemaParts.units.default([256, 128]),
  partitioned_norm: z.boolean().default(false),
});
export type STAROptions = z.output<typeof STAROptions>;

/**
 * Partitioned normalization: in training each sample is normalized with the batch statistics of
 * its own domain's rows (batches mix domains), and each domain's running statistics move towards
 * them; in evaluation the running statistics of the scoring domain are used. Scale γ ⊙ γ_k, shift
 * β + β_k. `indicator` is the [batch, domains] one-hot of the domain whose parameters apply.
 */
export class PartitionedNorm {
  readonly gamma: tf.Variable;
  readonly beta: tf.Variable;
  readonly domainGamma: tf.Variable;
  readonly domainBeta: tf.Variable;
  readonly movingMean: tf.Variable;
  readonly movingVariance: tf.Variable;

  constructor(
    store: VariableStore,
    domains: number,
    dim: number,
    readonly momentum = 0.1,
    readonly epsilon = 1e-5,
  ) {
    this.gamma = store.constant('gamma', [dim], 1);
    this.beta = store.zeros('beta', [dim]);
    this.domainGamma = store.constant('domain_gamma', [domains, dim], 1);
    this.domainBeta = store.zeros('domain_beta', [domains, dim]);
    this.movingMean = store.zeros('moving_mean', [domains, dim], false);
    this.movingVariance = store.constant('moving_variance', [domains, dim], 1, false);
  }

  apply(x: tf.Tensor2D, indicator: tf.Tensor2D, training: boolean): tf.Tensor2D {
    let mean: tf.Tensor2D;
    let variance: tf.Tensor2D;
    if (training) {
      const indT = tf.transpose(indicator) as tf.Tensor2D; // [domains, b]
      const count = tf.sum(indT, 1, true); // [domains, 1]
      const n = tf.maximum(count, 1);
      const dMean = tf.div(tf.matMul(indT, x), n) as tf.Tensor2D;
      const dVar = tf.relu(tf.sub(tf.div(tf.matMul(indT, tf.square(x) as tf.Tensor2D), n), tf.square(dMean))) as tf.Tensor2D;
      this.updateRunning(dMean, dVar, count as tf.Tensor2D);
      mean = tf.matMul(indicator, dMean);
      variance = tf.matMul(indicator, dVar);
    } else {
      mean = tf.matMul(indicator, this.movingMean as tf.Tensor2D);
      variance = tf.matMul(indicator, this.movingVariance as tf.Tensor2D);
    }
    const normed = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, this.epsilon)));
    const g = tf.mul(this.gamma, tf.matMul(indicator, this.domainGamma as tf.Tensor2D));
    const b = tf.add(this.beta, tf.matMul(indicator, this.domainBeta as tf.Tensor2D));
    return tf.add(tf.mul(normed, g), b) as tf.Tensor2D;
  }

  /** Domains absent from the batch keep their running statistics. */
  private updateRunning(dMean: tf.Tensor2D, dVar: tf.Tensor2D, count: tf.Tensor2D): void {
    tf.tidy(() => {
      const present = tf.mul(tf.cast(tf.greater(count, 0), 'float32'), this.momentum); // [domains, 1]
      const unbiased = tf.mul(dVar, tf.div(count, tf.maximum(tf.sub(count, 1), 1)));
      const mix = (old: tf.Tensor, now: tf.Tensor) => tf.add(tf.mul(old, tf.sub(1, present)), tf.mul(now, present));
      this.movingMean.assign(mix(this.movingMean, dMean));
      this.movingVariance.assign(mix(this.movingVariance, unbiased));
    });
  }
}

interface StarLayer {
  kernel: tf.Variable;
  bias: tf.Variable;
  domainKernel: tf.Variable[];
  domainBias: tf.Variable[];
}

export class STAR extends MultiDomainModel {
  private readonly embedding: FeatureEmbedding;
  private readonly layers: StarLayer[] = [];
  private readonly domainEmbedding: tf.Variable;
  private readonly aux: MlpBlock;
  private readonly dropout: number;
  private readonly pn?: PartitionedNorm;

  constructor(args: ZooArgs, o: STAROptions) {
    super('star', args.domains, args.seed);
    const d = o.embedding_dim;
    const m = args.domains.length;
    this.dropout = o.net_dropout;
    this.embedding = this.fieldEmbedding(args, o);
    if (o.partitioned_norm) this.pn = new PartitionedNorm(this.store.scope('pn'), m, NUM_FIELDS * d);
    const dims = [NUM_FIELDS * d, ...o.star_hidden_units, 1];
    for (let i = 0; i + 1 < dims.length; i++) {
      const s = this.store.scope('star').scope(i);
      const shape: [number, number] = [dims[i]!, dims[i + 1]!];
      this.layers.push({
        kernel: s.glorot('shared.kernel', shape),
        bias: s.zeros('shared.bias', [shape[1]]),
        domainKernel: Array.from({ length: m }, (_, k) => s.constant(`domain.${k}.kernel`, shape, 1)),
        domainBias: Array.from({ length: m }, (_, k) => s.zeros(`domain.${k}.bias`, [shape[1]])),
      });
    }
    this.domainEmbedding = this.store.normal('domain_embedding', [m, d], o.embedding_init_std);
    this.aux = new MlpBlock(this.store.scope('aux'), {
      inputDim: d + NUM_FIELDS * d,
      hiddenUnits: o.aux_hidden_units,
      dropout: o.net_dropout,
      outputDim: 1,
    });
  }

  private starNet(x: tf.Tensor2D, k: number, opts: ForwardOptions): tf.Tensor2D {
    let h: tf.Tensor = x;
    this.layers.forEach((l, i) => {
      const w = tf.mul(l.kernel, l.domainKernel[k]!) as tf.Tensor2D;
      const b = tf.add(l.bias, l.domainBias[k]!) as tf.Tensor1D;
      h = dense(h, w, b);
      if (i + 1 < this.layers.length) h = applyDropout(tf.relu(h), this.dropout, opts);
    });
    return h as tf.Tensor2D;
  }

  private features(batch: BatchTensors): tf.Tensor2D {
    return flattenFields(this.embedding.apply(batch));
  }

  /** Star-topology logits of every domain network on the (normalized) features, without the auxiliary logit. */
  towerLogits(batch: BatchTensors, opts: ForwardOptions): tf.Tensor2D {
    return this.starLogits(this.features(batch), this.indicator(batch, opts), opts);
  }

  private starLogits(x: tf.Tensor2D, indicator: tf.Tensor2D, opts: ForwardOptions): tf.Tensor2D {
    // Every domain's network reads the sample normalized with the sample's own domain (or head).
    const xs = this.pn ? this.pn.apply(x, indicator, opts.training) : x;
    return tf.concat(this.domains.map((_, k) => this.starNet(xs, k, opts)), 1) as tf.Tensor2D;
  }

  /** [batch, domains] one-hot of the domain scoring each sample: `head` if given, else its own. */
  private indicator(batch: BatchTensors, opts: ForwardOptions): tf.Tensor2D {
    return scoringIndicator(this.name, batch, opts.head, this.domains.length);
  }

  /** Auxiliary logit [batch] for the given [batch, domains] indicator. */
  private auxLogit(x: tf.Tensor2D, indicator: tf.Tensor2D, opts: ForwardOptions): tf.Tensor1D {
    const dom = tf.matMul(indicator, this.domainEmbedding as tf.Tensor2D); // [b, d]
    return tf.reshape(this.aux.apply(tf.concat([dom, x], 1) as tf.Tensor2D, opts), [-1]) as tf.Tensor1D;
  }

  override forward(batch: BatchTensors, opts: ForwardOptions): ModelOutputs {
    const x = this.features(batch);
    const indicator = this.indicator(batch, opts);
    const own = selectTowerLogits(this.name, this.starLogits(x, indicator, opts), batch.domainIndex, opts.head);
    return { logits: tf.add(own, this.auxLogit(x, indicator, opts)) as tf.Tensor1D };
  }
}
