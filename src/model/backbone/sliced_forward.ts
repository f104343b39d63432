/**
 * A backbone pass over a batch too large for one kernel call. tfjs-wasm fails inside its kernels
 * ("table index is out of bounds") on one pass of 512 rows × 64 tokens through USE-lite, the size of
 * an evaluation batch; rows are independent, so such a batch runs in slices of rows and the states
 * are concatenated. Gradients flow through the concatenation, so a tuned backbone trains the same.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Backbone } from './types.js';
import type { Rng } from '../../util/rng.js';

/** Tokens (rows × sequence length) one pass holds at most. */
export const MAX_TOKENS_PER_PASS = 8192;

/**
 * `backbone.forward` on slices of at most `maxTokens` tokens (at least one row each); a batch that
 * fits is one plain call. Dropout draws its seeds from `opts.rng` slice by slice.
 */
export function forwardInSlices(
  backbone: Pick<Backbone, 'forward'>,
  inputIds: tf.Tensor2D,
  attentionMask: tf.Tensor2D,
  layers: readonly number[],
  opts: { training: boolean; rng?: Rng },
  maxTokens = MAX_TOKENS_PER_PASS,
): tf.Tensor3D[] {
  const [rows, seq] = inputIds.shape;
  const step = Math.max(1, Math.floor(maxTokens / Math.max(1, seq)));
  if (rows <= step) return backbone.forward(inputIds, attentionMask, layers, opts);
  return tf.tidy(() => {
    const parts: tf.Tensor3D[][] = [];
    for (let r = 0; r < rows; r += step) {
      const n = Math.min(step, rows - r);
      parts.push(backbone.forward(tf.slice(inputIds, [r, 0], [n, seq]), tf.slice(attentionMask, [r, 0], [n, seq]), layers, opts));
    }
    return layers.map((_, i) => tf.concat(parts.map((p) => p[i]!), 0) as tf.Tensor3D);
  });
}
