/** PNN (inner-product variant): flat embeddings plus all pairwise inner products → DNN → logit. */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { FeatureEmbedding, flattenFields, NUM_FIELDS } from '../layers/feature_embedding.js';
import { innerProductPairs, numPairs } from '../layers/inner_product.js';
import { MlpBlock } from '../layers/mlp_block.js';
import type { BatchTensors, ForwardOptions } from '../types.js';
import { commonOptions, schemaParts, SingleDomainModel, type ZooArgs } from './base.js';

export const PNNOptions = z.strictObject({
  ...commonOptions,
  hidden_units: schemaParts.units.default([512, 256, 128]),
});
export type PNNOptions = z.output<typeof PNNOptions>;

export class PNN extends SingleDomainModel {
  private readonly embedding: FeatureEmbedding;
  private readonly mlp: MlpBlock;

  constructor(args: ZooArgs, o: PNNOptions) {
    super('pnn', args.domains, args.seed);
    const d = o.embedding_dim;
    this.embedding = this.fieldEmbedding(args, o);
    this.mlp = this.deepLogit(NUM_FIELDS * d + numPairs(NUM_FIELDS), o);
  }

  protected logits(batch: BatchTensors, opts: ForwardOptions): tf.Tensor1D {
    const e = this.embedding.apply(batch);
    const x = tf.concat([flattenFields(e), innerProductPairs(e)], 1) as tf.Tensor2D;
    return tf.reshape(this.mlp.apply(x, opts), [-1]) as tf.Tensor1D;
  }
}
