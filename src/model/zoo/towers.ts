/** One MLP tower per training domain (`tower.<k>.<layer>.*`), each ending in a logit. */
import * as tf from '@tensorflow/tfjs-core';
import { MlpBlock } from '../layers/mlp_block.js';
import type { VariableStore } from '../layers/variable_store.js';
import type { ForwardOptions } from '../types.js';

export interface TowersOptions {
  count: number;
  inputDim: number;
  hiddenUnits: readonly number[];
  dropout: number;
  batchNorm: boolean;
}

export class Towers {
  readonly towers: MlpBlock[] = [];

  constructor(store: VariableStore, o: TowersOptions) {
    for (let k = 0; k < o.count; k++) {
      this.towers.push(
        new MlpBlock(store.scope(k), { inputDim: o.inputDim, hiddenUnits: o.hiddenUnits, dropout: o.dropout, batchNorm: o.batchNorm, outputDim: 1 }),
      );
    }
  }

  /** Tower k applied to inputs[k] (or the one shared input) → [batch, towers]. */
  apply(inputs: tf.Tensor2D | tf.Tensor2D[], opts: ForwardOptions): tf.Tensor2D {
    const outs = this.towers.map((t, k) => t.apply(Array.isArray(inputs) ? inputs[k]! : inputs, opts));
    return tf.concat(outs, 1) as tf.Tensor2D;
  }
}
