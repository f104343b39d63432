/**
 * One Uni-CTR branch: ladder → gate → tower. Each domain-specific network (DSN) is one branch, and
 * so is the default general network; branches share nothing.
 * Variables under the branch scope: `ladder.*`, `gate.*`, `tower.*` (and `ladder_scale` for gate_input scaled_sum).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { VariableStore } from '../layers/variable_store.js';
import type { ForwardOptions } from '../types.js';
import type { UniCtrConfig } from './config.js';
import { AttentionGate } from './gate.js';
import { LadderStack } from './ladder.js';
import { Tower } from './tower.js';

/** What every branch reads: the states in `stateLayers` order (last = HL) and the padding mask. */
export interface BranchInput {
  /** [n, t, d] each, in the order of `stateLayers(L, config)`. */
  states: readonly tf.Tensor3D[];
  /** [n, t], 1 real / 0 padding. */
  mask: tf.Tensor2D;
  /** [n, 1, 1, t] additive attention bias built from mask. */
  keyBias: tf.Tensor4D;
}

export interface BranchNet {
  /** → logits [n]. */
  apply(input: BranchInput, opts: ForwardOptions): tf.Tensor1D;
}

export class Branch implements BranchNet {
  private readonly ladder: LadderStack | null;
  private readonly gate: AttentionGate;
  private readonly tower: Tower;
  /** `gate_input: scaled_sum`: the ladder output's weight α ([1], starts at 0). */
  private readonly ladderScale: tf.Variable | null;

  constructor(
    store: VariableStore,
    d: number,
    numLayers: number,
    private readonly cfg: UniCtrConfig,
  ) {
    this.ladder = cfg.ladder === 'none' ? null : new LadderStack(store.scope('ladder'), d, numLayers, cfg);
    const gateDim = this.ladder && cfg.gate_input === 'concat' ? 2 * d : d;
    this.gate = new AttentionGate(store.scope('gate'), gateDim, cfg.gate_hidden ?? gateDim, cfg.gate_query_init);
    this.tower = new Tower(store.scope('tower'), gateDim, cfg);
    this.ladderScale = this.ladder && cfg.gate_input === 'scaled_sum' ? store.zeros('ladder_scale', [1]) : null;
  }

  apply(input: BranchInput, opts: ForwardOptions): tf.Tensor1D {
    return tf.tidy(() => {
      const hl = input.states[input.states.length - 1]!;
      let gateIn = hl;
      if (this.ladder) {
        const out = this.ladder.apply(input.states.slice(0, this.ladder.layers.length), input.keyBias, opts);
        gateIn =
          this.cfg.gate_input === 'concat' ? tf.concat([out, hl], 2) : tf.add(this.ladderScale ? tf.mul(out, this.ladderScale) : out, hl);
      }
      return this.tower.apply(this.gate.apply(gateIn, input.mask), opts);
    });
  }

  static paramCount(d: number, numLayers: number, cfg: UniCtrConfig): number {
    const gateDim = cfg.ladder !== 'none' && cfg.gate_input === 'concat' ? 2 * d : d;
    return (
      LadderStack.paramCount(d, numLayers, cfg) +
      AttentionGate.paramCount(gateDim, cfg.gate_hidden ?? gateDim) +
      Tower.paramCount(gateDim, cfg.tower_hidden, false, cfg.tower_norm) +
      (cfg.ladder !== 'none' && cfg.gate_input === 'scaled_sum' ? 1 : 0)
    );
  }
}
