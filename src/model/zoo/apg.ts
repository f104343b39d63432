/**
 * APG (Yan et al., "APG: Adaptive Parameter Generation Network for Click-Through Rate
 * Prediction", NeurIPS 2022) with the low-rank decomposition: every hidden layer's kernel is
 * instance-specific, W_i = V · S_i · U with shared V [in, K], U [K, out] and a K×K matrix S_i
 * generated per sample from its condition z_i by a small MLP; computed as ((x·V)·S_i)·U + b, so
 * no [in, out] matrix is ever built per sample. The condition is the domain embedding together
 * with the sample's flat embeddings (the paper's "mix-wise" condition), so the generated
 * parameters differ per domain and per instance. The logit layer is a shared Linear.
 *
 * Over-parameterisation (the paper's training-time trick, `overparam_dim: P` > 0): V and U are
 * trained as products of wider factors, V = V_l·V_r (V_l [in, P], V_r [P, K]) and
 * U = U_l·U_r (U_l [K, P], U_r [P, out]), P ≥ K. The products are formed once per forward pass (not
 * per sample), which is the paper's merge: the function is the same low-rank layer, only the
 * parameterisation the optimizer sees is wider. Off by default (P = 0), so checkpoints written
 * before the option existed keep loading.
 *
 * Variables: `embedding.*`, `domain_embedding`, `apg.<l>.{v,u,bias}` (with P > 0
 * `apg.<l>.{v_left,v_right,u_left,u_right,bias}` instead),
 * `apg.<l>.generator.<j>.{kernel,bias}`, `output.{kernel,bias}` (+ `apg.<l>.bn`). S_i is written
 * I + MLP(z_i) (the generator's output is an offset from the identity), so that every layer starts
 * close to the shared low-rank layer V·U rather than near zero.
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { BatchNorm } from '../layers/batch_norm.js';
import { FeatureEmbedding, flattenFields, NUM_FIELDS } from '../layers/feature_embedding.js';
import { Linear } from '../layers/linear.js';
import { applyDropout, MlpBlock } from '../layers/mlp_block.js';
import type { VariableStore } from '../layers/variable_store.js';
import { dense } from '../ops/dense.js';
import type { BatchTensors, ForwardOptions } from '../types.js';
import { commonOptions, DomainConditionedModel, schemaParts, type ZooArgs } from './base.js';
import { domainEmbedding } from './domain_embedding.js';

export const APGOptions = z
  .strictObject({
    ...commonOptions,
    hidden_units: schemaParts.units.nonempty().default([1024, 512, 256]),
    /** K of the low-rank decomposition (S_i is K×K). */
    rank: z.number().int().positive().default(32),
    /** Hidden widths of the MLP that generates S_i from the condition. */
    generator_hidden_units: schemaParts.units.default([64]),
    /** P: inner width of the over-parameterised factors of V and U (0 = off, else ≥ rank). */
    overparam_dim: z.number().int().min(0).default(0),
  })
  .superRefine((o, ctx) => {
    if (o.overparam_dim > 0 && o.overparam_dim < o.rank) {
      ctx.addIssue({ code: 'custom', path: ['overparam_dim'], message: `must be 0 (off) or at least rank (${o.rank}), got ${o.overparam_dim}` });
    }
  });
export type APGOptions = z.output<typeof APGOptions>;

/** A shared matrix [rows, cols], trained directly or as the product of [rows, P]·[P, cols] factors. */
class Factor {
  private readonly parts: tf.Variable[];

  constructor(store: VariableStore, name: string, rows: number, cols: number, overparam: number) {
    this.parts = overparam > 0 ? [store.glorot(`${name}_left`, [rows, overparam]), store.glorot(`${name}_right`, [overparam, cols])] : [store.glorot(name, [rows, cols])];
  }

  /** The (merged) matrix. */
  value(): tf.Tensor2D {
    const [a, b] = this.parts;
    return (b ? tf.matMul(a!, b) : a!) as tf.Tensor2D;
  }
}

/** One adaptive layer: x → ((x·V)·S(z))·U + b. */
export class APGLayer {
  readonly v: Factor;
  readonly u: Factor;
  readonly bias: tf.Variable;
  private readonly generator: MlpBlock;

  constructor(
    store: VariableStore,
    inputDim: number,
    outputDim: number,
    readonly rank: number,
    conditionDim: number,
    generatorHidden: readonly number[],
    overparam = 0,
  ) {
    this.v = new Factor(store, 'v', inputDim, rank, overparam);
    this.u = new Factor(store, 'u', rank, outputDim, overparam);
    this.bias = store.zeros('bias', [outputDim]);
    this.generator = new MlpBlock(store.scope('generator'), { inputDim: conditionDim, hiddenUnits: generatorHidden, outputDim: rank * rank });
  }

  /** x [batch, in], condition [batch, c] → [batch, out] (no activation). */
  apply(x: tf.Tensor2D, condition: tf.Tensor2D): tf.Tensor2D {
    const k = this.rank;
    // S_i = I + MLP(z_i): the generator's output is an offset from the identity.
    const s = tf.add(tf.reshape(this.generator.apply(condition, { training: false }), [-1, k, k]), tf.eye(k)); // [b, K, K]
    const p = dense(x, this.v.value()); // [b, K]
    const q = tf.sum(tf.mul(tf.expandDims(p, 2), s), 1); // [b, K]: p·S per sample
    return dense(q, this.u.value(), this.bias) as tf.Tensor2D;
  }
}

export class APG extends DomainConditionedModel {
  private readonly embedding: FeatureEmbedding;
  private readonly domainEmbedding: tf.Variable;
  private readonly layers: { apg: APGLayer; bn?: BatchNorm }[] = [];
  private readonly output: Linear;
  private readonly dropout: number;

  constructor(args: ZooArgs, o: APGOptions) {
    super('apg', args.domains, args.seed);
    const d = o.embedding_dim;
    const flat = NUM_FIELDS * d;
    this.dropout = o.net_dropout;
    this.embedding = this.fieldEmbedding(args, o);
    this.domainEmbedding = domainEmbedding(this.store, args.domains.length, d);
    let input = flat;
    o.hidden_units.forEach((width, l) => {
      const s = this.store.scope('apg').scope(l);
      this.layers.push({
        apg: new APGLayer(s, input, width, o.rank, d + flat, o.generator_hidden_units, o.overparam_dim),
        bn: o.batch_norm ? new BatchNorm(s.scope('bn'), width) : undefined,
      });
      input = width;
    });
    this.output = new Linear(this.store.scope('output'), input, 1);
  }

  protected conditionedLogits(batch: BatchTensors, indicator: tf.Tensor2D, opts: ForwardOptions): tf.Tensor1D {
    const x = flattenFields(this.embedding.apply(batch));
    const condition = tf.concat([tf.matMul(indicator, this.domainEmbedding as tf.Tensor2D), x], 1) as tf.Tensor2D;
    let h = x;
    for (const l of this.layers) {
      h = l.apg.apply(h, condition);
      if (l.bn) h = l.bn.apply(h, opts.training);
      h = applyDropout(tf.relu(h) as tf.Tensor2D, this.dropout, opts);
    }
    return tf.reshape(this.output.apply(h), [-1]) as tf.Tensor1D;
  }
}
