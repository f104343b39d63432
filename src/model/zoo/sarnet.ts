/**
 * SAR-Net (Shen et al., "SAR-Net: A Scenario-Aware Ranking Network for Personalized Fair
 * Recommendation in Hundreds of Travel Scenarios", CIKM 2021), on the ID features. Scenario =
 * training domain.
 *
 * 1. Cross-scenario behaviour extraction: two attention modules over the history items, one whose
 *    query is the scenario embedding, one whose query is the target item embedding (keys: the
 *    behaviours through a shared projection, values: the behaviours themselves).
 * 2. Scenario-specific linear transformation of the concatenated features:
 *    x' = x ⊙ γ_s + β_s (γ starts at 1, β at 0).
 * 3. Debias expert networks: scenario-specific experts (each scenario its own) and scenario-shared
 *    experts, all reading x'; a multi-scenario gate (softmax over the sample's own scenario's
 *    experts and the shared ones, from x') fuses their outputs; an MLP tower gives the logit.
 * The paper's fairness coefficient reweighs samples by their manual-promotion exposure, a signal
 * these data do not have, so it is left out (docs/baselines.md).
 *
 * Variables: `embedding.*`, `scenario_embedding` [m, d], `attention.{key,scenario_query,item_query}.kernel`
 * [d, d], `transform.{gamma,beta}` [m, 8d], `shared_expert.<j>.*`, `specific_expert.<k>.<j>.*`,
 * `gate.{kernel,bias}`, `tower.*`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { embeddingLookup } from '../ops/embedding_lookup.js';
import { Experts, Gate } from '../layers/experts.js';
import { FeatureEmbedding, NUM_FIELDS } from '../layers/feature_embedding.js';
import { attendHistory, historyMask } from '../layers/history_attention.js';
import { Linear } from '../layers/linear.js';
import { MlpBlock } from '../layers/mlp_block.js';
import type { BatchTensors, ForwardOptions } from '../types.js';
import { commonOptions, DomainConditionedModel, schemaParts, type ZooArgs } from './base.js';

export const SARNetOptions = z.strictObject({
  ...commonOptions,
  num_shared_experts: z.number().int().positive().default(2),
  num_specific_experts: z.number().int().positive().default(1),
  expert_hidden_units: schemaParts.units.nonempty().default([1024, 512]),
  tower_hidden_units: schemaParts.units.default([256]),
});
export type SARNetOptions = z.output<typeof SARNetOptions>;

/** Width of x: 5 ID fields, two attention readouts, scenario embedding. */
const INPUT_FIELDS = NUM_FIELDS - 1 + 3;

export class SARNet extends DomainConditionedModel {
  private readonly embedding: FeatureEmbedding;
  private readonly scenario: tf.Variable;
  private readonly key: Linear;
  private readonly scenarioQuery: Linear;
  private readonly itemQuery: Linear;
  private readonly gamma: tf.Variable;
  private readonly beta: tf.Variable;
  private readonly shared: Experts;
  private readonly specific: Experts[] = [];
  private readonly gate: Gate;
  private readonly tower: MlpBlock;

  constructor(args: ZooArgs, o: SARNetOptions) {
    super('sarnet', args.domains, args.seed);
    const d = o.embedding_dim;
    const m = args.domains.length;
    const width = INPUT_FIELDS * d;
    this.embedding = this.fieldEmbedding(args, o);
    // Scale 1/√d rather than the ID tables' tiny init: the scenario drives queries, gate and transform from the start.
    this.scenario = this.store.normal('scenario_embedding', [m, d], 1 / Math.sqrt(d));
    const att = this.store.scope('attention');
    this.key = new Linear(att.scope('key'), d, d, { useBias: false });
    this.scenarioQuery = new Linear(att.scope('scenario_query'), d, d, { useBias: false });
    this.itemQuery = new Linear(att.scope('item_query'), d, d, { useBias: false });
    this.gamma = this.store.constant('transform.gamma', [m, width], 1);
    this.beta = this.store.zeros('transform.beta', [m, width]);
    const expert = { inputDim: width, hiddenUnits: o.expert_hidden_units, dropout: o.net_dropout, batchNorm: o.batch_norm };
    this.shared = new Experts(this.store.scope('shared_expert'), { ...expert, count: o.num_shared_experts });
    for (let k = 0; k < m; k++) this.specific.push(new Experts(this.store.scope('specific_expert').scope(k), { ...expert, count: o.num_specific_experts }));
    this.gate = new Gate(this.store.scope('gate'), width, o.num_specific_experts + o.num_shared_experts);
    this.tower = new MlpBlock(this.store.scope('tower'), {
      inputDim: this.shared.outputDim,
      hiddenUnits: o.tower_hidden_units,
      dropout: o.net_dropout,
      batchNorm: o.batch_norm,
      outputDim: 1,
    });
  }

  protected conditionedLogits(batch: BatchTensors, indicator: tf.Tensor2D, opts: ForwardOptions): tf.Tensor1D {
    const fields = tf.unstack(this.embedding.apply(batch), 1) as tf.Tensor2D[];
    const s = tf.matMul(indicator, this.scenario as tf.Tensor2D); // [b, d]
    const behaviours = embeddingLookup(this.embedding.tables.item, batch.history) as tf.Tensor3D; // [b, T, d]
    const mask = historyMask(batch.history);
    const keys = this.key.apply(behaviours) as tf.Tensor3D;
    const byScenario = attendHistory(keys, behaviours, this.scenarioQuery.apply(s) as tf.Tensor2D, mask);
    const byItem = attendHistory(keys, behaviours, this.itemQuery.apply(fields[1]!), mask);
    const x = tf.concat([...fields.slice(0, NUM_FIELDS - 1), byScenario, byItem, s], 1) as tf.Tensor2D;
    const xs = tf.add(tf.mul(x, tf.matMul(indicator, this.gamma as tf.Tensor2D)), tf.matMul(indicator, this.beta as tf.Tensor2D)) as tf.Tensor2D;
    // The sample's own scenario's specific experts: every scenario's, weighted by the one-hot indicator.
    const cols = tf.split(indicator, this.specific.length, 1);
    const perScenario = this.specific.map((e) => e.apply(xs, opts));
    const own = perScenario[0]!.map((_, j) => tf.addN(perScenario.map((outs, k) => tf.mul(outs[j]!, cols[k]!))) as tf.Tensor2D);
    const fused = this.gate.mix(xs, [...own, ...this.shared.apply(xs, opts)]);
    return tf.reshape(this.tower.apply(fused, opts), [-1]) as tf.Tensor1D;
  }
}
