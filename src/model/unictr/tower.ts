/**
 * A branch's tower: per hidden size Linear → norm → ReLU → Dropout, then Linear → 1 logit. The
 * norm is BatchNorm (reference), LayerNorm or none (`tower_norm`).
 * Variables `<scope>.<j>.linear.kernel|bias`, `<scope>.<j>.bn.gamma|beta|moving_mean|moving_variance`
 * (or `<scope>.<j>.ln.gamma|beta`), `<scope>.out.kernel|bias`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { BatchNorm } from '../layers/batch_norm.js';
import { Linear } from '../layers/linear.js';
import { LayerNorm } from '../layers/layer_norm.js';
import { applyDropout } from '../layers/mlp_block.js';
import type { VariableStore } from '../layers/variable_store.js';
import type { ForwardOptions } from '../types.js';
import type { UniCtrConfig } from './config.js';

export class Tower {
  private readonly layers: { linear: Linear; bn?: BatchNorm; ln?: LayerNorm }[] = [];
  private readonly out: Linear;
  private readonly dropout: number;

  constructor(store: VariableStore, inputDim: number, cfg: Pick<UniCtrConfig, 'tower_hidden' | 'tower_dropout' | 'batch_norm_momentum' | 'batch_norm_epsilon'> & Partial<Pick<UniCtrConfig, 'tower_norm' | 'layer_norm_epsilon'>>) {
    let din = inputDim;
    const norm = cfg.tower_norm ?? 'batch_norm';
    cfg.tower_hidden.forEach((units, j) => {
      const s = store.scope(j);
      this.layers.push({
        linear: new Linear(s.scope('linear'), din, units),
        bn: norm === 'batch_norm' ? new BatchNorm(s.scope('bn'), units, { momentum: cfg.batch_norm_momentum, epsilon: cfg.batch_norm_epsilon }) : undefined,
        ln: norm === 'layer_norm' ? new LayerNorm(s.scope('ln'), units, cfg.layer_norm_epsilon ?? 1e-5) : undefined,
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
      for (const { linear, bn, ln } of this.layers) {
        h = linear.apply(h);
        if (bn) h = bn.apply(h, opts.training, updateStatistics);
        if (ln) h = ln.apply(h);
        h = applyDropout(tf.relu(h), this.dropout, opts);
      }
      return tf.reshape(this.out.apply(h), [-1]) as tf.Tensor1D;
    });
  }

  static paramCount(inputDim: number, hidden: readonly number[], includeStatistics = false, norm: UniCtrConfig['tower_norm'] = 'batch_norm'): number {
    let n = 0;
    let din = inputDim;
    for (const u of hidden) {
      n += Linear.paramCount(din, u) + (norm === 'batch_norm' ? BatchNorm.paramCount(u, includeStatistics) : norm === 'layer_norm' ? LayerNorm.paramCount(u) : 0);
      din = u;
    }
    return n + Linear.paramCount(din, 1);
  }
}
