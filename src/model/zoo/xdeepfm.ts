/** xDeepFM: linear part + compressed interaction network + DNN, logits summed. */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { CompressedInteractionNet } from '../layers/compressed_interaction_net.js';
import { LogisticRegression } from '../layers/factorization_machine.js';
import { FeatureEmbedding, flattenFields, NUM_FIELDS } from '../layers/feature_embedding.js';
import { Linear } from '../layers/linear.js';
import { MlpBlock } from '../layers/mlp_block.js';
import type { BatchTensors, ForwardOptions } from '../types.js';
import { commonOptions, schemaParts, SingleDomainModel, type ZooArgs } from './base.js';

export const XDeepFMOptions = z.strictObject({
  ...commonOptions,
  hidden_units: schemaParts.units.default([512, 256, 128]),
  cin_hidden_units: schemaParts.units.nonempty().default([16, 16, 16]),
});
export type XDeepFMOptions = z.output<typeof XDeepFMOptions>;

export class XDeepFM extends SingleDomainModel {
  private readonly embedding: FeatureEmbedding;
  private readonly lr: LogisticRegression;
  private readonly cin: CompressedInteractionNet;
  private readonly cinFc: Linear;
  private readonly mlp: MlpBlock;

  constructor(args: ZooArgs, o: XDeepFMOptions) {
    super('xdeepfm', args.domains, args.seed);
    const d = o.embedding_dim;
    this.embedding = this.fieldEmbedding(args, o);
    this.lr = new LogisticRegression(this.store.scope('lr'), args.vocab);
    this.cin = new CompressedInteractionNet(this.store.scope('cin'), NUM_FIELDS, o.cin_hidden_units);
    this.cinFc = new Linear(this.store.scope('cin_fc'), this.cin.outputDim, 1);
    this.mlp = this.deepLogit(NUM_FIELDS * d, o);
  }

  protected logits(batch: BatchTensors, opts: ForwardOptions): tf.Tensor1D {
    const e = this.embedding.apply(batch);
    const cin = tf.reshape(this.cinFc.apply(this.cin.apply(e)), [-1]);
    const deep = tf.reshape(this.mlp.apply(flattenFields(e), opts), [-1]);
    return tf.addN([this.lr.apply(batch), cin, deep]) as tf.Tensor1D;
  }
}
