/**
 * `pooled_lr`: the floor baseline for Uni-CTR. Logistic regression (or, with one entry in
 * `hidden_units`, a one-hidden-layer MLP) on the frozen backbone's pooled embedding (masked mean
 * of the last layer's token states, read from the same state cache as Uni-CTR) concatenated with a
 * learned domain embedding. It is Uni-CTR without ladders, gates and towers: if Uni-CTR scores
 * below it, the head is failing to use states that demonstrably carry signal.
 *
 * All weights are shared across domains; only the domain embedding differs. A row of a domain
 * without an embedding (`domainIndex` −1, zero-shot) and `head: 'general'` use the neutral domain
 * embedding: the mean of the training domains' embeddings (for the linear model, the average of
 * their domain offsets). `head: k` scores every row as domain k.
 *
 * Variables: `domain_embedding` [domains, domain_embedding_dim], `mlp.<i>.kernel|bias`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { ConfigError, DataError } from '../../util/errors.js';
import { MlpBlock } from '../layers/mlp_block.js';
import { maskedMeanPool } from '../unictr/gate.js';
import type { BatchTensors, ForwardOptions, ModelOutputs } from '../types.js';
import { ZooModel, domainOneHot } from './base.js';

export const PooledLrOptions = z.strictObject({
  /** [] = logistic regression; [h] = one hidden layer of h ReLU units. */
  hidden_units: z.array(z.number().int().positive()).max(1).default([]),
  /** Width of the learned domain embedding (0 = no domain input at all). */
  domain_embedding_dim: z.number().int().min(0).default(8),
  /** Dropout on the input vector (and after the hidden layer). */
  dropout: z.number().min(0).lt(1).default(0),
  /** Normalise each pooled vector to zero mean and unit variance over its features (no parameters). */
  normalize: z.enum(['none', 'layer_norm']).default('none'),
});
export type PooledLrOptions = z.output<typeof PooledLrOptions>;

export interface PooledLrArgs {
  domains: readonly string[];
  seed: number;
  /** Width d of the backbone states. */
  hiddenSize: number;
  /** Backbone depth L: the model reads HL. */
  numLayers: number;
}

export class PooledLr extends ZooModel {
  /** The one backbone layer `batch.states.layers` must hold: HL. */
  readonly stateLayers: readonly number[];
  private readonly hiddenSize: number;
  private readonly domainTable?: tf.Variable;
  private readonly mlp: MlpBlock;

  constructor(
    args: PooledLrArgs,
    readonly options: PooledLrOptions,
  ) {
    if (args.domains.length < 1) throw new ConfigError('model "pooled_lr" needs at least one training domain');
    super('pooled_lr', args.domains, args.seed);
    this.stateLayers = [args.numLayers];
    const e = options.domain_embedding_dim;
    if (e > 0) this.domainTable = this.store.normal('domain_embedding', [args.domains.length, e], 0.01);
    this.mlp = new MlpBlock(this.store.scope('mlp'), {
      inputDim: args.hiddenSize + e,
      hiddenUnits: options.hidden_units,
      dropout: options.dropout,
      outputDim: 1,
    });
    this.hiddenSize = args.hiddenSize;
  }

  outputBiases(): tf.Variable[] {
    return [this.store.named().get(`mlp.${this.options.hidden_units.length}.bias`)!];
  }

  forward(batch: BatchTensors, opts: ForwardOptions): ModelOutputs {
    const states = batch.states;
    if (!states) throw new DataError('batch.states: pooled_lr reads the backbone states of the frozen cache');
    if (states.layers.length !== 1 || states.layers[0]!.shape[2] !== this.hiddenSize) {
      throw new DataError(`batch.states.layers: pooled_lr expects one [batch, seq, ${this.hiddenSize}] tensor (H${this.stateLayers[0]})`);
    }
    const m = this.domains.length;
    if (typeof opts.head === 'number' && (!Number.isInteger(opts.head) || opts.head < 0 || opts.head >= m)) {
      throw new ConfigError(`model "pooled_lr": head ${opts.head} is not a domain index 0..${m - 1}`);
    }
    return tf.tidy(() => {
      let x: tf.Tensor2D = maskedMeanPool(states.layers[0]!, states.mask);
      if (this.options.normalize === 'layer_norm') {
        // The states are frozen inputs: no gradient flows here, so plain moments suffice.
        const { mean, variance } = tf.moments(x, 1, true);
        x = tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5))) as tf.Tensor2D;
      }
      const n = x.shape[0];
      const parts: tf.Tensor2D[] = [x];
      if (this.domainTable) {
        const table = this.domainTable as tf.Tensor2D;
        const neutral = tf.mean(table, 0, true) as tf.Tensor2D;
        let emb: tf.Tensor2D;
        if (opts.head === 'general') emb = tf.tile(neutral, [n, 1]);
        else if (typeof opts.head === 'number') emb = tf.tile(tf.slice(table, [opts.head, 0], [1, -1]), [n, 1]);
        else {
          const oneHot = domainOneHot(batch.domainIndex, m);
          // Rows of −1 have an all-zero one-hot row: they get the neutral embedding instead.
          const unseen = tf.sub(1, tf.sum(oneHot, 1, true));
          emb = tf.add(tf.matMul(oneHot, table), tf.mul(unseen, neutral));
        }
        parts.push(emb);
      }
      const input = parts.length > 1 ? (tf.concat(parts, 1) as tf.Tensor2D) : x;
      const dropped = this.options.dropout > 0 && opts.training ? (tf.dropout(input, this.options.dropout, undefined, opts.rng?.seed()) as tf.Tensor2D) : input;
      return { logits: tf.reshape(this.mlp.apply(dropped, opts), [-1]) as tf.Tensor1D };
    });
  }

  /** Trainable scalars of a model with these sizes. */
  static paramCount(d: number, domains: number, o: PooledLrOptions): number {
    return domains * o.domain_embedding_dim + MlpBlock.paramCount(d + o.domain_embedding_dim, o.hidden_units, 1);
  }
}
