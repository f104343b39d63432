/**
 * Fully connected stack: Linear → [BatchNorm] → activation → Dropout per hidden layer, then an
 * optional output Linear. Variables `<scope>.<i>.kernel` / `.bias` (and `<scope>.<i>.bn.*`); the
 * output layer takes the next index.
 */
import * as tf from '@tensorflow/tfjs-core';
import { dense } from '../ops/dense.js';
import type { ForwardOptions } from '../types.js';
import { BatchNorm } from './batch_norm.js';
import type { VariableStore } from './variable_store.js';

export type Activation = 'relu' | 'tanh' | 'sigmoid' | 'none';

export function activate(x: tf.Tensor, act: Activation): tf.Tensor {
  switch (act) {
    case 'relu':
      return tf.relu(x);
    case 'tanh':
      return tf.tanh(x);
    case 'sigmoid':
      return tf.sigmoid(x);
    case 'none':
      return x;
  }
}

/** Inverted dropout seeded from the forward rng, so runs and resumes are reproducible. */
export function applyDropout<T extends tf.Tensor>(x: T, rate: number, opts: ForwardOptions): T {
  if (!opts.training || rate <= 0) return x;
  return tf.dropout(x, rate, undefined, opts.rng ? opts.rng.seed() : undefined) as T;
}

export interface MlpBlockOptions {
  inputDim: number;
  hiddenUnits: readonly number[];
  activation?: Activation;
  dropout?: number;
  /** Width of a final Linear without activation (1 for a logit); omitted → no output layer. */
  outputDim?: number;
  /** Whether the hidden and output Linears have biases (default true). */
  useBias?: boolean;
  /** BatchNorm after each hidden Linear (default false). */
  batchNorm?: boolean;
}

export class MlpBlock {
  private readonly layers: { kernel: tf.Variable; bias?: tf.Variable; bn?: BatchNorm }[] = [];
  readonly outputDim: number;
  private readonly act: Activation;
  private readonly rate: number;
  private readonly hasOutput: boolean;

  constructor(store: VariableStore, opts: MlpBlockOptions) {
    this.act = opts.activation ?? 'relu';
    this.rate = opts.dropout ?? 0;
    const useBias = opts.useBias ?? true;
    const dims = [opts.inputDim, ...opts.hiddenUnits];
    if (opts.outputDim !== undefined) dims.push(opts.outputDim);
    this.hasOutput = opts.outputDim !== undefined;
    for (let i = 0; i + 1 < dims.length; i++) {
      const s = store.scope(i);
      const isHidden = i < opts.hiddenUnits.length;
      this.layers.push({
        kernel: s.glorot('kernel', [dims[i]!, dims[i + 1]!]),
        bias: useBias ? s.zeros('bias', [dims[i + 1]!]) : undefined,
        bn: isHidden && opts.batchNorm ? new BatchNorm(s.scope('bn'), dims[i + 1]!) : undefined,
      });
    }
    this.outputDim = dims[dims.length - 1]!;
  }

  apply(x: tf.Tensor2D, opts: ForwardOptions): tf.Tensor2D {
    let h: tf.Tensor = x;
    const nHidden = this.layers.length - (this.hasOutput ? 1 : 0);
    this.layers.forEach((l, i) => {
      h = dense(h, l.kernel as tf.Variable, l.bias as tf.Variable | undefined);
      if (l.bn) h = l.bn.apply(h as tf.Tensor2D, opts.training);
      if (i < nHidden) h = applyDropout(activate(h, this.act), this.rate, opts);
    });
    return h as tf.Tensor2D;
  }

  /** Parameters of an MLP with these sizes (for documentation and tests). */
  static paramCount(inputDim: number, hiddenUnits: readonly number[], outputDim?: number, useBias = true): number {
    const dims = [inputDim, ...hiddenUnits, ...(outputDim !== undefined ? [outputDim] : [])];
    let n = 0;
    for (let i = 0; i + 1 < dims.length; i++) n += dims[i]! * dims[i + 1]! + (useBias ? dims[i + 1]! : 0);
    return n;
  }
}
