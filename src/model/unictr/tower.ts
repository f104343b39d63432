/**
 * A branch's tower: per hidden size Linear → BatchNorm → ReLU → Dropout, then Linear → 1 logit.
 * Variables `<scope>.<j>.linear.kernel|bias`, `<scope>.<j>.bn.gamma|beta|moving_mean|moving_variance`,
 * `<scope>.out.kernel|bias`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { BatchNorm } from '../layers/batch_norm.js';
import { Linear } from '../layers/linear.js';
import { applyDropout } from '../layers/mlp_block.js';
import type { VariableStore } from '../layers/variable_store.js';
import type { ForwardOptions } from '../types.js';
import type { UniCtrConfig } from './config.js';

export class Tower {
  private readonly layers: { linear: Linear; bn: BatchNorm }[] = [];
  private readonly out: Linear;
  private readonly dropout: number;

  constructor(store: VariableStore, inputDim: number, cfg: Pick<UniCtrConfig, 'tower_hidden' | 'tower_dropout' | 'batch_norm_momentum' | 'batch_norm_epsilon'>) {
    let din = inputDim;
    cfg.tower_hidden.forEach((units, j) => {
      const s = store.scope(j);
      this.layers.push({
        linear: new Linear(s.scope('linear'), din, units),
        bn: new BatchNorm(s.scope('bn'), units, { momentum: cfg.batch_norm_momentum, epsilon: cfg.batch_norm_epsilon }),
      });
      din = units;
    });
    this.out = new Linear(store.scope('out'), din, 1);
    this.dropout = cfg.tower_dropout;
  }

  /**
   * x: [n, din] → logits [n]. `updateStatistics` false keeps the BatchNorm running statistics
   * unchanged (a frozen branch run in training mode).
   */
  apply(x: tf.Tensor2D, opts: ForwardOptions, updateStatistics = opts.training): tf.Tensor1D {
    return tf.tidy(() => {
      let h = x;
      for (const { linear, bn } of this.layers) {
        h = bn.apply(linear.apply(h), opts.training, updateStatistics);
        h = applyDropout(tf.relu(h), this.dropout, opts);
      }
      return tf.reshape(this.out.apply(h), [-1]) as tf.Tensor1D;
    });
  }

  static paramCount(inputDim: number, hidden: readonly number[], includeStatistics = false): number {
    let n = 0;
    let din = inputDim;
    for (const u of hidden) {
      n += Linear.paramCount(din, u) + BatchNorm.paramCount(u, includeStatistics);
      din = u;
    }
    return n + Linear.paramCount(din, 1);
  }
}
