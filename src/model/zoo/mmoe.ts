/**
 * MMoE: shared experts over the flat embeddings; every domain has its own softmax gate mixing
 * them and its own tower on that mixture.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { Experts, Gate } from '../layers/experts.js';
import { FeatureEmbedding, flattenFields, NUM_FIELDS } from '../layers/feature_embedding.js';
import type { BatchTensors, ForwardOptions } from '../types.js';
import { commonOptions, MultiDomainModel, schemaParts, type ZooArgs } from './base.js';
import { Towers } from './towers.js';

export const MMoEOptions = z.strictObject({
  ...commonOptions,
  num_experts: z.number().int().positive().default(3),
  expert_hidden_units: schemaParts.units.nonempty().default([1024, 512]),
  tower_hidden_units: schemaParts.units.default([1024, 1024]),
});
export type MMoEOptions = z.output<typeof MMoEOptions>;

export class MMoE extends MultiDomainModel {
  private readonly embedding: FeatureEmbedding;
  readonly experts: Experts;
  readonly gates: Gate[] = [];
  readonly towers: Towers;

  constructor(args: ZooArgs, o: MMoEOptions) {
    super('mmoe', args.domains, args.seed);
    const d = o.embedding_dim;
    const input = NUM_FIELDS * d;
    this.embedding = this.fieldEmbedding(args, o);
    this.experts = new Experts(this.store.scope('expert'), {
      count: o.num_experts,
      inputDim: input,
      hiddenUnits: o.expert_hidden_units,
      dropout: o.net_dropout,
      batchNorm: o.batch_norm,
    });
    for (let k = 0; k < args.domains.length; k++) this.gates.push(new Gate(this.store.scope('gate').scope(k), input, o.num_experts));
    this.towers = new Towers(this.store.scope('tower'), {
      count: args.domains.length,
      inputDim: this.experts.outputDim,
      hiddenUnits: o.tower_hidden_units,
      dropout: o.net_dropout,
      batchNorm: o.batch_norm,
    });
  }

  /** Each domain's gate mixture of the experts ([batch, expert width] per domain): its tower's input. */
  mixtures(batch: BatchTensors, opts: ForwardOptions): tf.Tensor2D[] {
    const x = flattenFields(this.embedding.apply(batch));
    const outs = this.experts.apply(x, opts);
    return this.gates.map((g) => g.mix(x, outs));
  }

  towerLogits(batch: BatchTensors, opts: ForwardOptions): tf.Tensor2D {
    return this.towers.apply(this.mixtures(batch, opts), opts);
  }
}
