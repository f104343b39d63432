/** Shared-Bottom: one shared MLP over the flat embeddings, one tower per domain on top. */
import type * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { FeatureEmbedding, flattenFields, NUM_FIELDS } from '../layers/feature_embedding.js';
import { MlpBlock } from '../layers/mlp_block.js';
import type { BatchTensors, ForwardOptions } from '../types.js';
import { commonOptions, MultiDomainModel, schemaParts, type ZooArgs } from './base.js';
import { Towers } from './towers.js';

export const SharedBottomOptions = z.strictObject({
  ...commonOptions,
  bottom_hidden_units: schemaParts.units.default([1024, 1024]),
  tower_hidden_units: schemaParts.units.default([1024, 512, 256]),
});
export type SharedBottomOptions = z.output<typeof SharedBottomOptions>;

export class SharedBottom extends MultiDomainModel {
  private readonly embedding: FeatureEmbedding;
  private readonly bottom: MlpBlock;
  private readonly towers: Towers;

  constructor(args: ZooArgs, o: SharedBottomOptions) {
    super('shared_bottom', args.domains, args.seed);
    const d = o.embedding_dim;
    this.embedding = this.fieldEmbedding(args, o);
    this.bottom = new MlpBlock(this.store.scope('bottom'), {
      inputDim: NUM_FIELDS * d,
      hiddenUnits: o.bottom_hidden_units,
      dropout: o.net_dropout,
      batchNorm: o.batch_norm,
    });
    this.towers = new Towers(this.store.scope('tower'), {
      count: args.domains.length,
      inputDim: this.bottom.outputDim,
      hiddenUnits: o.tower_hidden_units,
      dropout: o.net_dropout,
      batchNorm: o.batch_norm,
    });
  }

  towerLogits(batch: BatchTensors, opts: ForwardOptions): tf.Tensor2D {
    const h = this.bottom.apply(flattenFields(this.embedding.apply(batch)), opts);
    return this.towers.apply(h, opts);
  }
}
