/** DCN: a cross network and a DNN side by side on the flat embeddings, concatenated → logit. */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { CrossNet } from '../layers/cross_net.js';
import { FeatureEmbedding, flattenFields, NUM_FIELDS } from '../layers/feature_embedding.js';
import { Linear } from '../layers/linear.js';
import { MlpBlock } from '../layers/mlp_block.js';
import type { BatchTensors, ForwardOptions } from '../types.js';
import { commonOptions, schemaParts, SingleDomainModel, type ZooArgs } from './base.js';

export const DCNOptions = z.strictObject({
  ...commonOptions,
  hidden_units: schemaParts.units.default([512, 256, 128]),
  crossing_layers: z.number().int().positive().default(3),
});
export type DCNOptions = z.output<typeof DCNOptions>;

export class DCN extends SingleDomainModel {
  private readonly embedding: FeatureEmbedding;
  private readonly cross: CrossNet;
  private readonly mlp: MlpBlock;
  private readonly fc: Linear;

  constructor(args: ZooArgs, o: DCNOptions) {
    super('dcn', args.domains, args.seed);
    const d = o.embedding_dim;
    const flat = NUM_FIELDS * d;
    this.embedding = this.fieldEmbedding(args, o);
    this.cross = new CrossNet(this.store.scope('cross'), flat, o.crossing_layers);
    this.mlp = new MlpBlock(this.store.scope('mlp'), { inputDim: flat, hiddenUnits: o.hidden_units, dropout: o.net_dropout, batchNorm: o.batch_norm });
    this.fc = new Linear(this.store.scope('fc'), flat + this.mlp.outputDim, 1);
  }

  protected logits(batch: BatchTensors, opts: ForwardOptions): tf.Tensor1D {
    const x = flattenFields(this.embedding.apply(batch));
    const h = tf.concat([this.cross.apply(x), this.mlp.apply(x, opts)], 1);
    return tf.reshape(this.fc.apply(h), [-1]) as tf.Tensor1D;
  }
}
