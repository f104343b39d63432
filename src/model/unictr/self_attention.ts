/**
 * Multi-head self-attention across the tokens of each sample, with padded keys masked out.
 *
 * Q, K and V come from one fused Linear ([w, 3w], one 2-D matMul instead of three); each head's
 * scores and mixing are batched matMuls over the samples; an output Linear follows. Batched matMuls
 * run at ~1.5 GFLOP/s on wasm against ~17 for 2-D ones, but one 2-D matMul per sample and head
 * is 3–10× slower still (per-call overhead): benchmarks/attention_matmul.bench.ts. So on wasm,
 * when each head is a multiple of 16 wide, the scores, softmax and mixing (and their gradients)
 * run as one op in SIMD kernels (src/model/ops/fused_attention.ts); the ops below are the
 * definition and the path everywhere else.
 * Variables `<scope>.qkv.kernel|bias`, `<scope>.output.kernel|bias`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ConfigError } from '../../util/errors.js';
import { Linear } from '../layers/linear.js';
import { fusedAttentionApplies, fusedSelfAttention } from '../ops/fused_attention.js';
import type { VariableStore } from '../layers/variable_store.js';

export class SelfAttention {
  private readonly qkv: Linear;
  private readonly output: Linear;
  private readonly headDim: number;

  constructor(
    store: VariableStore,
    readonly width: number,
    readonly heads: number,
  ) {
    if (width % heads !== 0) {
      throw new ConfigError(`model.ladder_heads: attention width ${width} is not a multiple of the number of heads (${heads})`);
    }
    this.headDim = width / heads;
    this.qkv = new Linear(store.scope('qkv'), width, 3 * width);
    this.output = new Linear(store.scope('output'), width, width);
  }

  /**
   * x: [n, t, w]; keyBias: [n, 1, 1, t] additive mask (0 real, −1e9 padding) → [n, t, w].
   * Padded query positions produce values too, but no real position reads them.
   */
  apply(x: tf.Tensor3D, keyBias: tf.Tensor4D): tf.Tensor3D {
    return tf.tidy(() => {
      const [n, t] = x.shape;
      const h = this.heads;
      const qkv = this.qkv.apply(x);
      if (fusedAttentionApplies(this.width, h)) return this.output.apply(fusedSelfAttention(qkv, keyBias, h));
      // The fused kernel's columns are [q_0 … q_{h-1}, k_0 …, v_0 …] (head-major within q, k, v),
      // so one split yields every head's [n, t, dh] slice: no transposes, and split's gradient is
      // a single concat.
      const parts = tf.split(qkv, 3 * h, 2) as tf.Tensor3D[];
      const bias = tf.reshape(keyBias, [n, 1, t]);
      const scale = 1 / Math.sqrt(this.headDim);
      const heads: tf.Tensor3D[] = [];
      for (let i = 0; i < h; i++) {
        const scores = tf.matMul(tf.mul(parts[i]!, scale), parts[h + i]!, false, true);
        heads.push(tf.matMul(tf.softmax(tf.add(scores, bias)), parts[2 * h + i]!));
      }
      return this.output.apply(h === 1 ? heads[0]! : (tf.concat(heads, 2) as tf.Tensor3D));
    });
  }

  static paramCount(width: number): number {
    return Linear.paramCount(width, 3 * width) + Linear.paramCount(width, width);
  }
}
