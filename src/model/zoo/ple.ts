/**
 * PLE (progressive layered extraction): per level, each domain has its own specific experts and a
 * gate over them plus the shared experts; below the last level a shared gate mixes every expert
 * for the next level's shared input. One tower per domain on its final mixture.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { Experts, Gate } from '../layers/experts.js';
import { FeatureEmbedding, flattenFields, NUM_FIELDS } from '../layers/feature_embedding.js';
import type { BatchTensors, ForwardOptions } from '../types.js';
import { commonOptions, MultiDomainModel, schemaParts, type ZooArgs } from './base.js';
import { Towers } from './towers.js';

export const PLEOptions = z.strictObject({
  ...commonOptions,
  num_layers: z.number().int().positive().default(1),
  num_shared_experts: z.number().int().positive().default(1),
  num_specific_experts: z.number().int().positive().default(2),
  expert_hidden_units: schemaParts.units.nonempty().default([1024, 512]),
  tower_hidden_units: schemaParts.units.default([1024, 1024]),
});
export type PLEOptions = z.output<typeof PLEOptions>;

interface Level {
  shared: Experts;
  specific: Experts[];
  gates: Gate[];
  sharedGate?: Gate;
}

export class PLE extends MultiDomainModel {
  private readonly embedding: FeatureEmbedding;
  readonly levels: Level[] = [];
  readonly towers: Towers;

  constructor(args: ZooArgs, o: PLEOptions) {
    super('ple', args.domains, args.seed);
    const d = o.embedding_dim;
    const m = args.domains.length;
    this.embedding = this.fieldEmbedding(args, o);
    let input = NUM_FIELDS * d;
    const width = o.expert_hidden_units[o.expert_hidden_units.length - 1]!;
    for (let l = 0; l < o.num_layers; l++) {
      const s = this.store.scope('level').scope(l);
      const experts = (scope: string, count: number): Experts =>
        new Experts(s.scope(scope), { count, inputDim: input, hiddenUnits: o.expert_hidden_units, dropout: o.net_dropout, batchNorm: o.batch_norm });
      const level: Level = {
        shared: experts('shared', o.num_shared_experts),
        specific: Array.from({ length: m }, (_, k) => experts(`specific.${k}`, o.num_specific_experts)),
        gates: Array.from({ length: m }, (_, k) => new Gate(s.scope('gate').scope(k), input, o.num_specific_experts + o.num_shared_experts)),
      };
      if (l + 1 < o.num_layers) level.sharedGate = new Gate(s.scope('gate').scope('shared'), input, m * o.num_specific_experts + o.num_shared_experts);
      this.levels.push(level);
      input = width;
    }
    this.towers = new Towers(this.store.scope('tower'), {
      count: m,
      inputDim: width,
      hiddenUnits: o.tower_hidden_units,
      dropout: o.net_dropout,
      batchNorm: o.batch_norm,
    });
  }

  /** Each domain's final gate mixture ([batch, expert width] per domain): its tower's input. */
  mixtures(batch: BatchTensors, opts: ForwardOptions): tf.Tensor2D[] {
    const x = flattenFields(this.embedding.apply(batch));
    let inputs: tf.Tensor2D[] = this.domains.map(() => x);
    let sharedInput = x;
    for (const level of this.levels) {
      const shared = level.shared.apply(sharedInput, opts);
      const specific = level.specific.map((e, k) => e.apply(inputs[k]!, opts));
      const next = level.gates.map((g, k) => g.mix(inputs[k]!, [...specific[k]!, ...shared]));
      if (level.sharedGate) sharedInput = level.sharedGate.mix(sharedInput, [...specific.flat(), ...shared]);
      inputs = next;
    }
    return inputs;
  }

  towerLogits(batch: BatchTensors, opts: ForwardOptions): tf.Tensor2D {
    return this.towers.apply(this.mixtures(batch, opts), opts);
  }
}
