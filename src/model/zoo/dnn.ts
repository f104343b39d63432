/**
 * The "w/o LLM" ablation of Uni-CTR: the same multi-domain layout (one tower per domain plus a
 * general tower, towers [1024, 512, 256] of Linear → BatchNorm → ReLU → Dropout) on the ID-feature
 * embeddings instead of the language-model states. The general tower's logit is an auxiliary
 * logit (equal-weight loss, as in Uni-CTR) and scores unseen domains via head "general".
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { ConfigError } from '../../util/errors.js';
import { FeatureEmbedding, flattenFields, NUM_FIELDS } from '../layers/feature_embedding.js';
import { MlpBlock } from '../layers/mlp_block.js';
import type { BatchTensors, ForwardOptions, ModelOutputs } from '../types.js';
import { commonOptions, MultiDomainModel, schemaParts, selectTowerLogits, type ZooArgs } from './base.js';
import { Towers } from './towers.js';

export const DNNOptions = z.strictObject({
  ...commonOptions,
  batch_norm: z.boolean().default(true),
  hidden_units: schemaParts.units.default([1024, 512, 256]),
  general_network: z.boolean().default(true),
});
export type DNNOptions = z.output<typeof DNNOptions>;

export class DNN extends MultiDomainModel {
  private readonly embedding: FeatureEmbedding;
  private readonly towers: Towers;
  private readonly general?: MlpBlock;

  constructor(args: ZooArgs, o: DNNOptions) {
    super('dnn', args.domains, args.seed);
    const d = o.embedding_dim;
    const tower = { inputDim: NUM_FIELDS * d, hiddenUnits: o.hidden_units, dropout: o.net_dropout, batchNorm: o.batch_norm };
    this.embedding = this.fieldEmbedding(args, o);
    this.towers = new Towers(this.store.scope('tower'), { count: args.domains.length, ...tower });
    if (o.general_network) this.general = new MlpBlock(this.store.scope('general'), { ...tower, outputDim: 1 });
  }

  towerLogits(batch: BatchTensors, opts: ForwardOptions): tf.Tensor2D {
    return this.towers.apply(flattenFields(this.embedding.apply(batch)), opts);
  }

  override forward(batch: BatchTensors, opts: ForwardOptions): ModelOutputs {
    const x = flattenFields(this.embedding.apply(batch));
    const general = this.general ? (tf.reshape(this.general.apply(x, opts), [-1]) as tf.Tensor1D) : undefined;
    if (opts.head === 'general') {
      if (!general) throw new ConfigError('model "dnn": head "general" needs the option general_network: true');
      return { logits: general };
    }
    const own = selectTowerLogits(this.name, this.towers.apply(x, opts), batch.domainIndex, opts.head);
    return general ? { logits: own, auxLogits: [general] } : { logits: own };
  }
}
