/**
 * DIEN (deep interest evolution network) on the 5-item history: a GRU extracts interest states
 * from the history item embeddings; an attention-gated GRU (AUGRU: the update gate scaled by the
 * attention of each state to the target item) evolves them; its final state joins the other
 * field embeddings in a DNN. Padding steps (item id 0) leave the states unchanged and get no
 * attention; an empty history gives a zero interest vector. The auxiliary next-behaviour loss of
 * the paper is not used (the history holds item ids only, no sampled negatives).
 *
 * Variables: `embedding.*`, `interest_gru.{input,recurrent}.kernel` [in, 3H] / [H, 3H] and
 * `.bias` [3H] (update, reset, candidate), `attention.kernel` [H, d], `evolving_gru.*`, `mlp.*`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { dense } from '../ops/dense.js';
import { embeddingLookup } from '../ops/embedding_lookup.js';
import { FeatureEmbedding, NUM_FIELDS } from '../layers/feature_embedding.js';
import { MlpBlock } from '../layers/mlp_block.js';
import type { VariableStore } from '../layers/variable_store.js';
import type { BatchTensors, ForwardOptions } from '../types.js';
import { commonOptions, schemaParts, SingleDomainModel, type ZooArgs } from './base.js';

export const DIENOptions = z.strictObject({
  ...commonOptions,
  hidden_units: schemaParts.units.default([512, 256, 128]),
  gru_units: z.number().int().positive().default(32),
});
export type DIENOptions = z.output<typeof DIENOptions>;

class GruCell {
  private readonly wx: tf.Variable;
  private readonly wh: tf.Variable;
  private readonly b: tf.Variable;

  constructor(store: VariableStore, inputDim: number, readonly units: number) {
    this.wx = store.glorot('input.kernel', [inputDim, 3 * units]);
    this.wh = store.glorot('recurrent.kernel', [units, 3 * units]);
    this.b = store.zeros('bias', [3 * units]);
  }

  /**
   * One step. `gate` [b, 1] scales the update gate (AUGRU; 1 for a plain GRU, 0 keeps h).
   * h' = (1 − g·u) ⊙ h + g·u ⊙ ĥ, with ĥ = tanh(x·Wn + r ⊙ (h·Un) + bn).
   */
  step(x: tf.Tensor2D, h: tf.Tensor2D, gate: tf.Tensor2D): tf.Tensor2D {
    const gx = dense(x, this.wx, this.b as tf.Variable);
    const gh = dense(h, this.wh);
    const [xu, xr, xn] = tf.split(gx, 3, 1);
    const [hu, hr, hn] = tf.split(gh, 3, 1);
    const u = tf.mul(tf.sigmoid(tf.add(xu!, hu!)), gate);
    const r = tf.sigmoid(tf.add(xr!, hr!));
    const cand = tf.tanh(tf.add(xn!, tf.mul(r, hn!)));
    return tf.add(h, tf.mul(u, tf.sub(cand, h))) as tf.Tensor2D;
  }
}

export class DIEN extends SingleDomainModel {
  private readonly embedding: FeatureEmbedding;
  private readonly interest: GruCell;
  private readonly evolving: GruCell;
  private readonly attention: tf.Variable;
  private readonly mlp: MlpBlock;
  private readonly units: number;

  constructor(args: ZooArgs, o: DIENOptions) {
    super('dien', args.domains, args.seed);
    const d = o.embedding_dim;
    this.units = o.gru_units;
    this.embedding = this.fieldEmbedding(args, o);
    this.interest = new GruCell(this.store.scope('interest_gru'), d, o.gru_units);
    this.attention = this.store.glorot('attention.kernel', [o.gru_units, d]);
    this.evolving = new GruCell(this.store.scope('evolving_gru'), o.gru_units, o.gru_units);
    this.mlp = this.deepLogit((NUM_FIELDS - 1) * d + o.gru_units, o);
  }

  /** Final evolved interest [batch, H]. */
  private interestState(batch: BatchTensors, target: tf.Tensor2D): tf.Tensor2D {
    const b = batch.size;
    const steps = batch.history.shape[1];
    const seq = tf.unstack(embeddingLookup(this.embedding.tables.item, batch.history), 1) as tf.Tensor2D[];
    const mask = tf.unstack(tf.cast(tf.greater(batch.history, 0), 'float32'), 1).map((m) => tf.reshape(m, [b, 1]) as tf.Tensor2D);
    let h = tf.zeros([b, this.units]) as tf.Tensor2D;
    const states: tf.Tensor2D[] = [];
    for (let t = 0; t < steps; t++) {
      h = this.interest.step(seq[t]!, h, mask[t]!);
      states.push(h);
    }
    // Attention of each interest state to the target item, softmax over the real steps only.
    const q = dense(target, tf.transpose(this.attention) as tf.Tensor2D); // [b, H]
    const scores = tf.concat(states.map((s) => tf.sum(tf.mul(s, q), 1, true)), 1); // [b, T]
    const m = tf.concat(mask, 1);
    const e = tf.mul(tf.exp(tf.sub(scores, tf.max(scores, 1, true))), m);
    const att = tf.div(e, tf.maximum(tf.sum(e, 1, true), 1e-12));
    const attCols = tf.split(att, steps, 1) as tf.Tensor2D[];
    let g = tf.zeros([b, this.units]) as tf.Tensor2D;
    for (let t = 0; t < steps; t++) g = this.evolving.step(states[t]!, g, attCols[t]!);
    return g;
  }

  protected logits(batch: BatchTensors, opts: ForwardOptions): tf.Tensor1D {
    const e = this.embedding.apply(batch); // [b, 6, d]; the history field is replaced by DIEN's interest
    const fields = tf.unstack(e, 1) as tf.Tensor2D[];
    const interest = this.interestState(batch, fields[1]!);
    const x = tf.concat([...fields.slice(0, NUM_FIELDS - 1), interest], 1) as tf.Tensor2D;
    return tf.reshape(this.mlp.apply(x, opts), [-1]) as tf.Tensor1D;
  }
}
