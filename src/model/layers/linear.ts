/**
 * Linear layer y = x·W + b on top of the wasm-friendly `dense` op. Variables `<scope>.kernel`
 * ([in, out], Glorot uniform) and `<scope>.bias` (zeros).
 */
import type * as tf from '@tensorflow/tfjs-core';
import { dense } from '../ops/dense.js';
import type { VariableStore } from './variable_store.js';

export class Linear {
  readonly kernel: tf.Variable;
  readonly bias?: tf.Variable;

  constructor(
    store: VariableStore,
    readonly inputDim: number,
    readonly outputDim: number,
    opts: { useBias?: boolean } = {},
  ) {
    this.kernel = store.glorot('kernel', [inputDim, outputDim]);
    if (opts.useBias ?? true) this.bias = store.zeros('bias', [outputDim]);
  }

  /** x: [..., in] → [..., out]. */
  apply<T extends tf.Tensor>(x: T): T {
    return dense(x, this.kernel, this.bias) as T;
  }

  static paramCount(inputDim: number, outputDim: number, useBias = true): number {
    return inputDim * outputDim + (useBias ? outputDim : 0);
  }
}
