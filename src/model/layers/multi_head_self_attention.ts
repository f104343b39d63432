/**
 * Multi-head self-attention across the feature fields of each sample (AutoInt's interacting
 * layer), with a projected residual and ReLU. Variables `query`, `key`, `value`, `residual`
 * ([in, attentionDim] each, no bias).
 */
import * as tf from '@tensorflow/tfjs-core';
import { dense } from '../ops/dense.js';
import { ConfigError } from '../../util/errors.js';
import type { VariableStore } from './variable_store.js';

export interface MultiHeadSelfAttentionOptions {
  inputDim: number;
  attentionDim: number;
  numHeads: number;
  useResidual?: boolean;
  /** Divide scores by √(head dim). */
  useScale?: boolean;
}

export class MultiHeadSelfAttention {
  private readonly wq: tf.Variable;
  private readonly wk: tf.Variable;
  private readonly wv: tf.Variable;
  private readonly wr?: tf.Variable;
  readonly outputDim: number;

  constructor(store: VariableStore, private readonly opts: MultiHeadSelfAttentionOptions) {
    const { inputDim, attentionDim, numHeads } = opts;
    if (attentionDim % numHeads !== 0) {
      throw new ConfigError(`attention_dim (${attentionDim}) is not a multiple of num_heads (${numHeads})`);
    }
    this.wq = store.glorot('query', [inputDim, attentionDim]);
    this.wk = store.glorot('key', [inputDim, attentionDim]);
    this.wv = store.glorot('value', [inputDim, attentionDim]);
    if (opts.useResidual ?? true) this.wr = store.glorot('residual', [inputDim, attentionDim]);
    this.outputDim = attentionDim;
  }

  /** x: [batch, fields, in] → [batch, fields, attentionDim]. */
  apply(x: tf.Tensor3D): tf.Tensor3D {
    const [b, f] = x.shape;
    const { attentionDim: a, numHeads: nh } = this.opts;
    const dh = a / nh;
    const heads = (w: tf.Variable): tf.Tensor3D =>
      tf.reshape(tf.transpose(tf.reshape(dense(x, w), [b, f, nh, dh]), [0, 2, 1, 3]), [b * nh, f, dh]);
    const q = heads(this.wq);
    const k = heads(this.wk);
    const v = heads(this.wv);
    let scores = tf.matMul(q, k, false, true); // [b·nh, f, f]
    if (this.opts.useScale) scores = tf.div(scores, Math.sqrt(dh));
    const att = tf.matMul(tf.softmax(scores), v); // [b·nh, f, dh]
    let out: tf.Tensor = tf.reshape(tf.transpose(tf.reshape(att, [b, nh, f, dh]), [0, 2, 1, 3]), [b, f, a]);
    if (this.wr) out = tf.add(out, dense(x, this.wr));
    return tf.relu(out) as tf.Tensor3D;
  }
}
