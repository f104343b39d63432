/**
 * What every CTR model (Uni-CTR and the baselines) offers the trainer.
 * Models never import the trainer; the trainer only talks to this interface.
 */
import type * as tf from '@tensorflow/tfjs-core';

/** ID features of a batch, as typed arrays (the trainer turns them into tensors). */
export interface IdFeatures {
  size: number;
  /** Index into the manifest's domain list. */
  domainId: Int32Array;
  userId: Int32Array;
  itemId: Int32Array;
  brandId: Int32Array;
  titleId: Int32Array;
  priceBucket: Int32Array;
  /** size × 5, 0 = padding. */
  history: Int32Array;
}

/** Per-token backbone states for a batch (Uni-CTR), either computed live or read from the cache. */
export interface TokenStates {
  /** One [batch, seq, hidden] tensor per ladder input layer (H0, Hφ, …, HL), in that order. */
  layers: tf.Tensor3D[];
  /** [batch, seq] float mask, 1 for real tokens, 0 for padding. */
  mask: tf.Tensor2D;
}

export interface ModelOutputs {
  /** [batch] logit of each sample's own domain tower (what is scored). */
  logits: tf.Tensor1D;
  /** Extra logits that enter the loss with equal weight (e.g. Uni-CTR's general network). */
  auxLogits?: tf.Tensor1D[];
  /**
   * Extra training-loss term added to the BCE terms (only in training forwards): DIEN's
   * next-behaviour loss, IntTower's contrastive regularizer. Gets the batch labels.
   */
  auxLoss?: (labels: tf.Tensor1D) => tf.Scalar;
  /**
   * Named scalar readings of a training forward that the trainer logs (per step and as epoch
   * means), e.g. AdaSparse's share of pruned neurons. Not part of the loss.
   */
  stats?: Record<string, tf.Scalar>;
}

/** Tensors of one batch, built by the trainer from a processed split. */
export interface BatchTensors {
  size: number;
  /**
   * [batch] int32 index of each sample's domain in the model's own list of training domains
   * (`CtrModel.domains`); -1 for a domain the model has no tower for (zero-shot).
   */
  domainIndex: tf.Tensor1D;
  userId: tf.Tensor1D;
  itemId: tf.Tensor1D;
  brandId: tf.Tensor1D;
  titleId: tf.Tensor1D;
  priceBucket: tf.Tensor1D;
  /** [batch, 5] int32, 0 = padding. */
  history: tf.Tensor2D;
  /** Backbone states from the frozen cache (Uni-CTR, frozen mode). */
  states?: TokenStates;
  /** Token ids for a live backbone (Uni-CTR, lora/full mode): [batch, seq] int32 and float mask. */
  tokens?: { inputIds: tf.Tensor2D; attentionMask: tf.Tensor2D };
}

export interface ForwardOptions {
  training: boolean;
  /** Seeds dropout so that runs and resumed runs are reproducible. */
  rng?: import('../util/rng.js').Rng;
  /**
   * Score every sample with one head instead of its own domain's: a training-domain index, or
   * "general" (Uni-CTR's general network, used for zero-shot).
   */
  head?: number | 'general';
}

export interface CtrModel {
  /** Registry name, e.g. "unictr", "deepfm". */
  readonly name: string;
  /** Training domains, in tower order. */
  readonly domains: readonly string[];
  /** Must be called inside tf.tidy or its outputs disposed by the caller. */
  forward(batch: BatchTensors, opts: ForwardOptions): ModelOutputs;
  /** Variables the optimizer updates. */
  trainableVariables(): tf.Variable[];
  /** Every variable (trainable or not, e.g. BatchNorm statistics) by stable checkpoint name. */
  namedVariables(): Map<string, tf.Variable>;
  /** The [1] bias variable of every output logit (for `train.output_bias_init: prior`). */
  outputBiases?(): tf.Variable[];
  dispose(): void;
}
