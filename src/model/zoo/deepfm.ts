/** DeepFM: factorization machine and a DNN over the same field embeddings, logits summed. */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { FactorizationMachine } from '../layers/factorization_machine.js';
import { FeatureEmbedding, flattenFields, NUM_FIELDS } from '../layers/feature_embedding.js';
import { MlpBlock } from '../layers/mlp_block.js';
import type { BatchTensors, ForwardOptions } from '../types.js';
import { commonOptions, schemaParts, SingleDomainModel, type ZooArgs } from './base.js';

export const DeepFMOptions = z.strictObject({
  ...commonOptions,
  hidden_units: schemaParts.units.default([512, 256, 128]),
});
export type DeepFMOptions = z.output<typeof DeepFMOptions>;

export class DeepFM extends SingleDomainModel {
  private readonly embedding: FeatureEmbedding;
  private readonly fm: FactorizationMachine;
  private readonly mlp: MlpBlock;

  constructor(args: ZooArgs, o: DeepFMOptions) {
    super('deepfm', args.domains, args.seed);
    const d = o.embedding_dim;
    this.embedding = this.fieldEmbedding(args, o);
    this.fm = new FactorizationMachine(this.store.scope('lr'), args.vocab);
    this.mlp = this.deepLogit(NUM_FIELDS * d, o);
  }

  protected logits(batch: BatchTensors, opts: ForwardOptions): tf.Tensor1D {
    const e = this.embedding.apply(batch);
    const deep = tf.reshape(this.mlp.apply(flattenFields(e), opts), [-1]);
    return tf.add(this.fm.apply(batch, e), deep) as tf.Tensor1D;
  }
}
