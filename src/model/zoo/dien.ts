/**
 * DIEN (deep interest evolution network) on the 5-item history: a GRU extracts interest states
 * from the history item embeddings; an attention-gated GRU (AUGRU: the update gate scaled by the
 * attention of each state to the target item) evolves them; its final state joins the other
 * field embeddings in a DNN. Padding steps (item id 0) leave the states unchanged and get no
 * attention; an empty history gives a zero interest vector.
 *
 * Auxiliary loss (Zhou et al., AAAI 2019, eq. 5; on by default as in the paper): in training each
 * interest state h_t is scored against the next clicked history item e[t+1] (positive) and a
 * sampled item ê[t+1] (negative) by inner product, L_aux = mean over real pairs of
 * −log σ(h_t·e[t+1]) − log(1 − σ(h_t·ê[t+1])), and α·L_aux joins the loss (`auxLoss`). A pair is
 * real when both history slots t and t+1 hold items. Negatives are uniform over the item ids other
 * than the positive, drawn from the forward rng (so runs and resumes are reproducible).
 *
 * Variables: `embedding.*`, `interest_gru.{input,recurrent}.kernel` [in, 3H] / [H, 3H] and
 * `.bias` [3H] (update, reset, candidate), `attention.kernel` [H, d], `evolving_gru.*`, `mlp.*`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { Rng } from '../../util/rng.js';
import { ConfigError } from '../../util/errors.js';
import { dense } from '../ops/dense.js';
import { embeddingLookup } from '../ops/embedding_lookup.js';
import { FeatureEmbedding, NUM_FIELDS } from '../layers/feature_embedding.js';
import { MlpBlock } from '../layers/mlp_block.js';
import type { VariableStore } from '../layers/variable_store.js';
import type { BatchTensors, ForwardOptions, ModelOutputs } from '../types.js';
import { commonOptions, schemaParts, SingleDomainModel, type ZooArgs } from './base.js';

export const DIENOptions = z.strictObject({
  ...commonOptions,
  hidden_units: schemaParts.units.default([512, 256, 128]),
  gru_units: z.number().int().positive().default(32),
  /** The paper's auxiliary next-behaviour loss (needs gru_units = embedding_dim: inner product). */
  aux_loss: z.boolean().default(true),
  /** α, the weight of the auxiliary loss. */
  aux_loss_weight: z.number().nonnegative().default(1),
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
  private readonly auxWeight: number;
  private readonly items: number;
  /** Negative sampler when the forward pass brings no rng. */
  private readonly fallbackRng: Rng;

  constructor(args: ZooArgs, o: DIENOptions) {
    super('dien', args.domains, args.seed);
    const d = o.embedding_dim;
    if (o.aux_loss && o.gru_units !== d) {
      throw new ConfigError(`model "dien": aux_loss scores interest states against item embeddings by inner product, so gru_units (${o.gru_units}) must equal embedding_dim (${d}); set aux_loss: false otherwise`);
    }
    this.units = o.gru_units;
    this.auxWeight = o.aux_loss ? o.aux_loss_weight : 0;
    this.items = args.vocab.item;
    this.fallbackRng = new Rng(args.seed ^ 0x5bd1e995);
    this.embedding = this.fieldEmbedding(args, o);
    this.interest = new GruCell(this.store.scope('interest_gru'), d, o.gru_units);
    this.attention = this.store.glorot('attention.kernel', [o.gru_units, d]);
    this.evolving = new GruCell(this.store.scope('evolving_gru'), o.gru_units, o.gru_units);
    this.mlp = this.deepLogit((NUM_FIELDS - 1) * d + o.gru_units, o);
  }

  /** Final evolved interest [batch, H] and the interest extractor's states (one [batch, H] per step). */
  private interestState(batch: BatchTensors, target: tf.Tensor2D): { evolved: tf.Tensor2D; states: tf.Tensor2D[] } {
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
    return { evolved: g, states };
  }

  /**
   * Negative item ids [batch, T − 1] for the next-behaviour pairs: id = 1 + ((pos − 1 + k) mod n)
   * with k uniform in [1, n − 1] and n the number of real items, so a negative never equals its
   * positive. Needs n ≥ 2 (else no negative exists and the loss is skipped).
   */
  sampleNegatives(history: tf.Tensor2D, rng: Rng): tf.Tensor2D {
    const [b, steps] = history.shape;
    const n = this.items - 1;
    const k = Int32Array.from({ length: b * (steps - 1) }, () => 1 + rng.int(n - 1));
    const pos = tf.slice(history, [0, 1], [-1, -1]);
    return tf.add(tf.mod(tf.add(tf.sub(pos, 1), tf.tensor2d(k, [b, steps - 1], 'int32')), n), 1) as tf.Tensor2D;
  }

  /** Unweighted L_aux of a batch for the given negatives [batch, T − 1] (what a training forward adds, times α). */
  auxiliaryLoss(batch: BatchTensors, negatives: tf.Tensor2D): tf.Scalar {
    const target = embeddingLookup(this.embedding.tables.item, batch.itemId) as tf.Tensor2D;
    return this.auxFromStates(this.interestState(batch, target).states, batch.history, negatives);
  }

  /** L_aux (paper eq. 5) of the interest states against the next items and the given negatives. */
  private auxFromStates(states: tf.Tensor2D[], history: tf.Tensor2D, negatives: tf.Tensor2D): tf.Scalar {
    const items = this.embedding.tables.item;
    const steps = history.shape[1];
    const real = tf.cast(tf.greater(history, 0), 'float32');
    const next = tf.slice(history, [0, 1], [-1, -1]);
    const posE = tf.unstack(embeddingLookup(items, next), 1) as tf.Tensor2D[];
    const negE = tf.unstack(embeddingLookup(items, negatives), 1) as tf.Tensor2D[];
    const pairMask = tf.mul(tf.slice(real, [0, 0], [-1, steps - 1]), tf.slice(real, [0, 1], [-1, -1])); // [b, T−1]
    const terms = Array.from({ length: steps - 1 }, (_, t) => {
      const sPos = tf.sum(tf.mul(states[t]!, posE[t]!), 1, true);
      const sNeg = tf.sum(tf.mul(states[t]!, negE[t]!), 1, true);
      // −log σ(s⁺) − log(1 − σ(s⁻)) = softplus(−s⁺) + softplus(s⁻)
      return tf.add(tf.softplus(tf.neg(sPos)), tf.softplus(sNeg));
    });
    const perPair = tf.concat(terms, 1);
    return tf.div(tf.sum(tf.mul(perPair, pairMask)), tf.maximum(tf.sum(pairMask), 1)) as tf.Scalar;
  }

  protected logits(batch: BatchTensors, opts: ForwardOptions): tf.Tensor1D {
    return this.run(batch, opts).logits;
  }

  override forward(batch: BatchTensors, opts: ForwardOptions): ModelOutputs {
    this.checkHead(opts);
    return this.run(batch, opts);
  }

  private run(batch: BatchTensors, opts: ForwardOptions): ModelOutputs {
    const e = this.embedding.apply(batch); // [b, 6, d]; the history field is replaced by DIEN's interest
    const fields = tf.unstack(e, 1) as tf.Tensor2D[];
    const { evolved, states } = this.interestState(batch, fields[1]!);
    const x = tf.concat([...fields.slice(0, NUM_FIELDS - 1), evolved], 1) as tf.Tensor2D;
    const logits = tf.reshape(this.mlp.apply(x, opts), [-1]) as tf.Tensor1D;
    if (!opts.training || this.auxWeight === 0 || this.items < 3 || batch.history.shape[1] < 2) return { logits };
    const negatives = this.sampleNegatives(batch.history, opts.rng ?? this.fallbackRng);
    const aux = tf.mul(this.auxFromStates(states, batch.history, negatives), this.auxWeight) as tf.Scalar;
    return { logits, auxLoss: () => aux };
  }
}
