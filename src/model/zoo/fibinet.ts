/**
 * FiBiNET: SENET reweights the field embeddings; bilinear interactions of the original and the
 * reweighted embeddings are concatenated into a DNN; a linear part is added to the logit.
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { BILINEAR_TYPES, BilinearInteraction } from '../layers/bilinear_interaction.js';
import { LogisticRegression } from '../layers/factorization_machine.js';
import { FeatureEmbedding, flattenFields, NUM_FIELDS } from '../layers/feature_embedding.js';
import { numPairs } from '../layers/inner_product.js';
import { MlpBlock } from '../layers/mlp_block.js';
import { SqueezeExcitation } from '../layers/senet.js';
import type { BatchTensors, ForwardOptions } from '../types.js';
import { commonOptions, schemaParts, SingleDomainModel, type ZooArgs } from './base.js';

export const FiBiNETOptions = z.strictObject({
  ...commonOptions,
  hidden_units: schemaParts.units.default([512, 256, 128]),
  reduction_ratio: z.number().positive().default(3),
  bilinear_type: z.enum(BILINEAR_TYPES).default('field_interaction'),
});
export type FiBiNETOptions = z.output<typeof FiBiNETOptions>;

export class FiBiNET extends SingleDomainModel {
  private readonly embedding: FeatureEmbedding;
  private readonly lr: LogisticRegression;
  private readonly senet: SqueezeExcitation;
  private readonly bilinear: BilinearInteraction;
  private readonly bilinearSe: BilinearInteraction;
  private readonly mlp: MlpBlock;

  constructor(args: ZooArgs, o: FiBiNETOptions) {
    super('fibinet', args.domains, args.seed);
    const d = o.embedding_dim;
    this.embedding = this.fieldEmbedding(args, o);
    this.lr = new LogisticRegression(this.store.scope('lr'), args.vocab);
    this.senet = new SqueezeExcitation(this.store.scope('senet'), NUM_FIELDS, o.reduction_ratio);
    this.bilinear = new BilinearInteraction(this.store.scope('bilinear'), NUM_FIELDS, d, o.bilinear_type);
    this.bilinearSe = new BilinearInteraction(this.store.scope('bilinear_se'), NUM_FIELDS, d, o.bilinear_type);
    this.mlp = this.deepLogit(2 * numPairs(NUM_FIELDS) * d, o);
  }

  protected logits(batch: BatchTensors, opts: ForwardOptions): tf.Tensor1D {
    const e = this.embedding.apply(batch);
    const p = flattenFields(this.bilinear.apply(e));
    const q = flattenFields(this.bilinearSe.apply(this.senet.apply(e)));
    const deep = tf.reshape(this.mlp.apply(tf.concat([p, q], 1) as tf.Tensor2D, opts), [-1]);
    return tf.add(this.lr.apply(batch), deep) as tf.Tensor1D;
  }
}
