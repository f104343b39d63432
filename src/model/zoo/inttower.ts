/**
 * IntTower (Li et al., "IntTower: the Next Generation of Two-Tower Model for Pre-Ranking System",
 * CIKM 2022), a single-domain model: a user tower (user, history) and an item tower (item, brand,
 * title, price bucket) with light early interaction.
 *
 * - Light-SE on each tower's field embeddings: a = softmax(mean_d(E)·W + b) over the fields,
 *   E' = E ⊙ a.
 * - Towers: MLPs (ReLU, dropout) over the flattened E'.
 * - FE-Block (fine-grained early interaction): every user-tower layer output u_l and the item
 *   tower's output v are projected to `fe_heads` heads of width `fe_head_dim`; the logit is
 *   Σ_l Σ_h max_h' ⟨U_l[h], V[h']⟩ + b (a learnt scalar bias carries the base click rate).
 * - CIR (contrastive interaction regularization), training only: for each positive row, in-batch
 *   InfoNCE between its L2-normalized user vector u_L and item vector v against every item of the
 *   batch, temperature τ; its mean over the positive rows, times `cir_weight`, joins the loss.
 *
 * Variables: `embedding.*`, `user_se.{kernel,bias}` [2, 2], `item_se.*` [4, 4], `user_tower.*`,
 * `item_tower.*`, `fe.user.<l>.kernel` [width_l, heads·k], `fe.item.kernel`, `fe.bias` [1].
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { ConfigError } from '../../util/errors.js';
import { embeddingLookup } from '../ops/embedding_lookup.js';
import { dense } from '../ops/dense.js';
import { FeatureEmbedding } from '../layers/feature_embedding.js';
import { Linear } from '../layers/linear.js';
import { MlpBlock } from '../layers/mlp_block.js';
import type { VariableStore } from '../layers/variable_store.js';
import type { BatchTensors, ForwardOptions, ModelOutputs } from '../types.js';
import { commonOptions, schemaParts, SingleDomainModel, type ZooArgs } from './base.js';

export const IntTowerOptions = z.strictObject({
  ...commonOptions,
  user_hidden_units: schemaParts.units.nonempty().default([300, 300, 128]),
  item_hidden_units: schemaParts.units.nonempty().default([300, 300, 128]),
  fe_heads: z.number().int().positive().default(4),
  fe_head_dim: z.number().int().positive().default(32),
  /** Weight of the CIR loss (0 switches it off). */
  cir_weight: z.number().nonnegative().default(0.004),
  cir_temperature: z.number().positive().default(0.1),
});
export type IntTowerOptions = z.output<typeof IntTowerOptions>;

/** Light-SE: one softmax weight per field from the fields' mean activations. */
class LightSE {
  readonly kernel: tf.Variable;
  readonly bias: tf.Variable;

  constructor(store: VariableStore, fields: number) {
    this.kernel = store.glorot('kernel', [fields, fields]);
    this.bias = store.zeros('bias', [fields]);
  }

  /** [b, f, d] → [b, f, d]. */
  apply(e: tf.Tensor3D): tf.Tensor3D {
    const a = tf.softmax(dense(tf.mean(e, 2), this.kernel, this.bias) as tf.Tensor2D);
    return tf.mul(e, tf.expandDims(a, 2)) as tf.Tensor3D;
  }
}

/** Field embeddings [b, f, d] from per-field [b, d] parts. */
function stackFields(parts: tf.Tensor[]): tf.Tensor3D {
  return tf.concat(parts.map((p) => tf.expandDims(p, 1)), 1) as tf.Tensor3D;
}

export class IntTower extends SingleDomainModel {
  private readonly embedding: FeatureEmbedding;
  private readonly userSE: LightSE;
  private readonly itemSE: LightSE;
  private readonly userLayers: MlpBlock[] = [];
  private readonly itemTower: MlpBlock;
  private readonly feUser: Linear[] = [];
  private readonly feItem: Linear;
  private readonly feBias: tf.Variable;
  private readonly heads: number;
  private readonly headDim: number;
  private readonly cirWeight: number;
  private readonly tau: number;

  constructor(args: ZooArgs, o: IntTowerOptions) {
    super('inttower', args.domains, args.seed);
    const d = o.embedding_dim;
    this.heads = o.fe_heads;
    this.headDim = o.fe_head_dim;
    this.cirWeight = o.cir_weight;
    this.tau = o.cir_temperature;
    this.embedding = this.fieldEmbedding(args, o);
    this.userSE = new LightSE(this.store.scope('user_se'), 2);
    this.itemSE = new LightSE(this.store.scope('item_se'), 4);
    // The user tower is built layer by layer because the FE-Block reads every layer's output.
    let width = 2 * d;
    o.user_hidden_units.forEach((units, l) => {
      this.userLayers.push(new MlpBlock(this.store.scope('user_tower').scope(l), { inputDim: width, hiddenUnits: [units], dropout: o.net_dropout, batchNorm: o.batch_norm }));
      this.feUser.push(new Linear(this.store.scope('fe').scope('user').scope(l), units, o.fe_heads * o.fe_head_dim, { useBias: false }));
      width = units;
    });
    this.itemTower = new MlpBlock(this.store.scope('item_tower'), { inputDim: 4 * d, hiddenUnits: o.item_hidden_units, dropout: o.net_dropout, batchNorm: o.batch_norm });
    this.feItem = new Linear(this.store.scope('fe').scope('item'), this.itemTower.outputDim, o.fe_heads * o.fe_head_dim, { useBias: false });
    this.feBias = this.store.zeros('fe.bias', [1]);
    if (o.cir_weight > 0 && width !== this.itemTower.outputDim) {
      throw new ConfigError(`model "inttower": CIR compares the towers' outputs, so user_hidden_units and item_hidden_units must end with the same width (${width} vs ${this.itemTower.outputDim})`);
    }
  }

  protected logits(batch: BatchTensors, opts: ForwardOptions): tf.Tensor1D {
    return this.run(batch, opts).logits;
  }

  override forward(batch: BatchTensors, opts: ForwardOptions): ModelOutputs {
    this.checkHead(opts);
    return this.run(batch, opts);
  }

  private run(batch: BatchTensors, opts: ForwardOptions): ModelOutputs {
    const t = this.embedding.tables;
    const user = stackFields([embeddingLookup(t.user, batch.userId), this.embedding.history(batch.history)]);
    const item = stackFields([embeddingLookup(t.item, batch.itemId), embeddingLookup(t.brand, batch.brandId), embeddingLookup(t.title, batch.titleId), embeddingLookup(t.price_bucket, batch.priceBucket)]);
    const flat = (e: tf.Tensor3D) => tf.reshape(e, [e.shape[0], -1]) as tf.Tensor2D;
    const layers: tf.Tensor2D[] = [];
    let u = flat(this.userSE.apply(user));
    for (const l of this.userLayers) layers.push((u = l.apply(u, opts)));
    const v = this.itemTower.apply(flat(this.itemSE.apply(item)), opts);
    const heads = (x: tf.Tensor2D, proj: Linear) => tf.reshape(proj.apply(x), [-1, this.heads, this.headDim]) as tf.Tensor3D;
    const vh = heads(v, this.feItem);
    // For each user layer and user head: the best-matching item head.
    const perLayer = layers.map((ul, l) => tf.sum(tf.max(tf.matMul(heads(ul, this.feUser[l]!), vh, false, true), 2), 1));
    const logits = tf.add(tf.addN(perLayer), this.feBias) as tf.Tensor1D;
    if (!opts.training || this.cirWeight === 0) return { logits };
    return { logits, auxLoss: (labels) => tf.mul(this.cir(u, v, labels), this.cirWeight) as tf.Scalar };
  }

  /** In-batch InfoNCE of the positive rows' (user, item) pairs; 0 when the batch has no positive. */
  cir(u: tf.Tensor2D, v: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
    // ε inside the root: a dead (all-zero) ReLU output would otherwise give a NaN gradient.
    const norm = (x: tf.Tensor2D) => tf.div(x, tf.sqrt(tf.add(tf.sum(tf.square(x), 1, true), 1e-12)));
    const sim = tf.div(tf.matMul(norm(u), norm(v), false, true), this.tau); // [b, b]
    const logProb = tf.sub(sim, tf.logSumExp(sim, 1, true));
    const diag = tf.sum(tf.mul(logProb, tf.eye(u.shape[0])), 1); // [b]
    const pos = tf.cast(labels, 'float32');
    return tf.div(tf.neg(tf.sum(tf.mul(diag, pos))), tf.maximum(tf.sum(pos), 1)) as tf.Scalar;
  }
}
