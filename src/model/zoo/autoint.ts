/**
 * AutoInt+: stacked multi-head self-attention over the fields (flattened → logit) plus a DNN on
 * the flat embeddings, logits summed. `hidden_units: []` gives plain AutoInt.
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { FeatureEmbedding, flattenFields, NUM_FIELDS } from '../layers/feature_embedding.js';
import { Linear } from '../layers/linear.js';
import { MlpBlock } from '../layers/mlp_block.js';
import { MultiHeadSelfAttention } from '../layers/multi_head_self_attention.js';
import type { BatchTensors, ForwardOptions } from '../types.js';
import { commonOptions, schemaParts, SingleDomainModel, type ZooArgs } from './base.js';

export const AutoIntOptions = z.strictObject({
  ...commonOptions,
  hidden_units: schemaParts.units.default([512, 256, 128]),
  attention_layers: z.number().int().positive().default(3),
  num_heads: z.number().int().positive().default(2),
  attention_dim: z.number().int().positive().default(32),
  use_residual: z.boolean().default(true),
  use_scale: z.boolean().default(false),
});
export type AutoIntOptions = z.output<typeof AutoIntOptions>;

export class AutoInt extends SingleDomainModel {
  private readonly embedding: FeatureEmbedding;
  private readonly attention: MultiHeadSelfAttention[] = [];
  private readonly fc: Linear;
  private readonly mlp?: MlpBlock;

  constructor(args: ZooArgs, o: AutoIntOptions) {
    super('autoint', args.domains, args.seed);
    const d = o.embedding_dim;
    this.embedding = this.fieldEmbedding(args, o);
    let width = d;
    for (let i = 0; i < o.attention_layers; i++) {
      const layer = new MultiHeadSelfAttention(this.store.scope('attention').scope(i), {
        inputDim: width,
        attentionDim: o.attention_dim,
        numHeads: o.num_heads,
        useResidual: o.use_residual,
        useScale: o.use_scale,
      });
      this.attention.push(layer);
      width = layer.outputDim;
    }
    this.fc = new Linear(this.store.scope('fc'), NUM_FIELDS * width, 1);
    if (o.hidden_units.length) {
      this.mlp = this.deepLogit(NUM_FIELDS * d, o);
    }
  }

  protected logits(batch: BatchTensors, opts: ForwardOptions): tf.Tensor1D {
    const e = this.embedding.apply(batch);
    let h = e;
    for (const layer of this.attention) h = layer.apply(h);
    let logit = tf.reshape(this.fc.apply(flattenFields(h)), [-1]);
    if (this.mlp) logit = tf.add(logit, tf.reshape(this.mlp.apply(flattenFields(e), opts), [-1]));
    return logit as tf.Tensor1D;
  }
}
