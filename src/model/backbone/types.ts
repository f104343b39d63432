/**
 * The backbone contract: a pretrained text encoder exposing the hidden states of every layer.
 * Implemented by the tfjs BERT encoder and LLaMA decoder (Hugging Face folders) and the USE-lite graph model.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../../util/rng.js';

export type TuningMode = 'frozen' | 'lora' | 'full';

/**
 * A `maxLength` this large asks a tokenizer for every token, even beyond the model's position
 * limit; the caller trims the result (middle truncation) before calling forward.
 */
export const NO_TRUNCATION = 1 << 20;

export interface TokenizedBatch {
  batch: number;
  /** Padded length of this batch (≤ maxLength): the longest sequence in it. */
  seqLen: number;
  /** batch × seqLen, row-major. */
  inputIds: Int32Array;
  /** batch × seqLen, 1 for real tokens, 0 for padding. */
  attentionMask: Int32Array;
}

export interface Backbone {
  /** Identity used in cache keys: architecture + weights fingerprint. */
  readonly id: string;
  /** Number of transformer layers L (states H0..HL exist). */
  readonly numLayers: number;
  /** Hidden width d. */
  readonly hiddenSize: number;
  readonly tuning: TuningMode;
  /** How a text's vector is read off the last layer: masked mean (default) or the last real token (decoders). */
  readonly pooling?: 'mean' | 'last';
  tokenize(texts: readonly string[], maxLength: number): TokenizedBatch;
  /**
   * Hidden states for `layers` (0 = embedding output, L = last layer), each [batch, seq, d],
   * in the order asked. Padded positions must not influence real positions.
   */
  forward(
    inputIds: tf.Tensor2D,
    attentionMask: tf.Tensor2D,
    layers: readonly number[],
    opts: { training: boolean; rng?: Rng },
  ): tf.Tensor3D[];
  /** Variables the optimizer may update under the current tuning mode (none when frozen). */
  trainableVariables(): tf.Variable[];
  /** Every variable, keyed by its stable (Hugging Face style) name, for checkpoints. */
  namedVariables(): Map<string, tf.Variable>;
  dispose(): void;
}
