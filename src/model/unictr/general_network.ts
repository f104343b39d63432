/**
 * Uni-CTR's general network, trained on every sample and used for zero-shot scoring.
 * `ladder` (default, released code): a branch of its own, like a DSN.
 * `pooled` (paper text): a tower on HL pooled by an attention gate or a masked mean; variables
 * `gate.*` (attention pooling only) and `tower.*`.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { VariableStore } from '../layers/variable_store.js';
import type { ForwardOptions } from '../types.js';
import { Branch, type BranchInput, type BranchNet } from './branch.js';
import type { UniCtrConfig } from './config.js';
import { AttentionGate, maskedMeanPool } from './gate.js';
import { Tower } from './tower.js';

class PooledGeneral implements BranchNet {
  private readonly gate: AttentionGate | null;
  private readonly tower: Tower;

  constructor(store: VariableStore, d: number, cfg: UniCtrConfig) {
    this.gate = cfg.general_pooling === 'attention' ? new AttentionGate(store.scope('gate'), d, cfg.gate_hidden ?? d, cfg.gate_query_init) : null;
    this.tower = new Tower(store.scope('tower'), d, cfg);
  }

  apply(input: BranchInput, opts: ForwardOptions): tf.Tensor1D {
    return tf.tidy(() => {
      const hl = input.states[input.states.length - 1]!;
      const pooled = this.gate ? this.gate.apply(hl, input.mask) : maskedMeanPool(hl, input.mask);
      return this.tower.apply(pooled, opts);
    });
  }
}

export function createGeneralNetwork(store: VariableStore, d: number, numLayers: number, cfg: UniCtrConfig): BranchNet {
  return cfg.general_network === 'ladder' ? new Branch(store, d, numLayers, cfg) : new PooledGeneral(store, d, cfg);
}

export function generalParamCount(d: number, numLayers: number, cfg: UniCtrConfig): number {
  if (cfg.general_network === 'ladder') return Branch.paramCount(d, numLayers, cfg);
  const gate = cfg.general_pooling === 'attention' ? AttentionGate.paramCount(d, cfg.gate_hidden ?? d) : 0;
  return gate + Tower.paramCount(d, cfg.tower_hidden, false, cfg.tower_norm);
}
