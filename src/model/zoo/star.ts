/**
 * STAR (star topology adaptive recommender): every fully connected layer has shared weights and
 * per-domain weights combined element-wise, W_k = W_shared ⊙ W_domain_k and b_k = b_shared +
 * b_domain_k, so each domain gets its own network that still shares most statistics. An auxiliary
 * network reads the domain indicator (a learnt domain embedding) together with the features and
 * its logit is added to the star logit. Partitioned normalization is not implemented (the towers
 * have no normalization).
 *
 * Variables: `star.<layer>.shared.{kernel,bias}`, `star.<layer>.domain.<k>.{kernel,bias}` (domain
 * kernels start at 1 so that every domain starts from the shared network), `domain_embedding`,
 * `aux.<layer>.*`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { dense } from '../ops/dense.js';
import { FeatureEmbedding, flattenFields, NUM_FIELDS } from '../layers/feature_embedding.js';
import { applyDropout, MlpBlock } from '../layers/mlp_block.js';
import type { BatchTensors, ForwardOptions, ModelOutputs } from '../types.js';
import { commonOptions, domainOneHot, MultiDomainModel, schemaParts, selectTowerLogits, type ZooArgs } from './base.js';

export const STAROptions = z.strictObject({
  ...commonOptions,
  star_hidden_units: schemaParts.units.default([1024, 512, 256]),
  aux_hidden_units: schemaParts.units.default([256, 128]),
});
export type STAROptions = z.output<typeof STAROptions>;

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

  constructor(args: ZooArgs, o: STAROptions) {
    super('star', args.domains, args.seed);
    const d = o.embedding_dim;
    const m = args.domains.length;
    this.dropout = o.net_dropout;
    this.embedding = new FeatureEmbedding(this.store.scope('embedding'), args.vocab, { dim: d, initStd: o.embedding_init_std });
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

  /** Star-topology logits of every domain network, without the auxiliary logit. */
  towerLogits(batch: BatchTensors, opts: ForwardOptions): tf.Tensor2D {
    const x = this.features(batch);
    return tf.concat(this.domains.map((_, k) => this.starNet(x, k, opts)), 1) as tf.Tensor2D;
  }

  /** Auxiliary logit [batch] for the given [batch, domains] indicator. */
  private auxLogit(x: tf.Tensor2D, indicator: tf.Tensor2D, opts: ForwardOptions): tf.Tensor1D {
    const dom = tf.matMul(indicator, this.domainEmbedding as tf.Tensor2D); // [b, d]
    return tf.reshape(this.aux.apply(tf.concat([dom, x], 1) as tf.Tensor2D, opts), [-1]) as tf.Tensor1D;
  }

  override forward(batch: BatchTensors, opts: ForwardOptions): ModelOutputs {
    const x = this.features(batch);
    const m = this.domains.length;
    const star = tf.concat(this.domains.map((_, k) => this.starNet(x, k, opts)), 1) as tf.Tensor2D;
    const own = selectTowerLogits(this.name, star, batch.domainIndex, opts.head);
    const indicator =
      typeof opts.head === 'number'
        ? domainOneHot(tf.fill([batch.size], opts.head, 'int32') as tf.Tensor1D, m)
        : domainOneHot(batch.domainIndex, m);
    return { logits: tf.add(own, this.auxLogit(x, indicator, opts)) as tf.Tensor1D };
  }
}
