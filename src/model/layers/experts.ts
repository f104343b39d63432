/**
 * Mixture-of-experts pieces for the multi-domain baselines: a group of MLP experts and a softmax
 * gate that mixes them. Variables `<scope>.<k>.<layer>.kernel` (experts) and `kernel`/`bias` (gate).
 */
import * as tf from '@tensorflow/tfjs-core';
import { dense } from '../ops/dense.js';
import type { ForwardOptions } from '../types.js';
import { MlpBlock } from './mlp_block.js';
import type { VariableStore } from './variable_store.js';

export interface ExpertsOptions {
  count: number;
  inputDim: number;
  hiddenUnits: readonly number[];
  dropout?: number;
  batchNorm?: boolean;
}

export class Experts {
  private readonly experts: MlpBlock[] = [];
  readonly outputDim: number;

  constructor(store: VariableStore, opts: ExpertsOptions) {
    for (let k = 0; k < opts.count; k++) {
      this.experts.push(new MlpBlock(store.scope(k), { inputDim: opts.inputDim, hiddenUnits: opts.hiddenUnits, dropout: opts.dropout, batchNorm: opts.batchNorm }));
    }
    this.outputDim = opts.hiddenUnits.length ? opts.hiddenUnits[opts.hiddenUnits.length - 1]! : opts.inputDim;
  }

  get count(): number {
    return this.experts.length;
  }

  /** x: [batch, in] → one [batch, out] per expert. */
  apply(x: tf.Tensor2D, opts: ForwardOptions): tf.Tensor2D[] {
    return this.experts.map((e) => e.apply(x, opts));
  }
}

export class Gate {
  readonly kernel: tf.Variable;
  readonly bias: tf.Variable;

  constructor(store: VariableStore, inputDim: number, numExperts: number) {
    this.kernel = store.glorot('kernel', [inputDim, numExperts]);
    this.bias = store.zeros('bias', [numExperts]);
  }

  /** [batch, in] → softmax weights [batch, experts]. */
  weights(x: tf.Tensor2D): tf.Tensor2D {
    return tf.softmax(dense(x, this.kernel, this.bias) as tf.Tensor2D);
  }

  /** Weighted sum of the expert outputs (each [batch, out]) → [batch, out]. */
  mix(x: tf.Tensor2D, expertOutputs: tf.Tensor2D[]): tf.Tensor2D {
    const w = this.weights(x);
    // Column-wise weighted sum; stacking the experts instead makes the backward pass an Unpack,
    // which is very slow on the cpu backend.
    const cols = tf.split(w, expertOutputs.length, 1);
    return tf.addN(expertOutputs.map((e, i) => tf.mul(e, cols[i]!))) as tf.Tensor2D;
  }
}
