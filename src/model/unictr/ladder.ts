/**
 * The ladder of a Uni-CTR branch (spec §3): K = floor(L/φ) + 1 blocks; block 0 reads H0, block i
 * reads H(i·φ) + the output of block i − 1, all [n, t, d].
 *
 * Variables (under the branch scope): `ladder.<i>.down.0|1.kernel|bias`, `ladder.<i>.attn.*`,
 * `ladder.<i>.attn_norm.gamma|beta`, `ladder.<i>.up.0|1.*`, `ladder.<i>.out_norm.*` for the
 * bottleneck block; `ladder.<i>.attn.*`, `ladder.<i>.out_norm.*` for the plain-attention block.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ConfigError } from '../../util/errors.js';
import { LayerNorm } from '../layers/layer_norm.js';
import { Linear } from '../layers/linear.js';
import { applyDropout } from '../layers/mlp_block.js';
import type { VariableStore } from '../layers/variable_store.js';
import type { ForwardOptions } from '../types.js';
import type { UniCtrConfig } from './config.js';
import { SelfAttention } from './self_attention.js';

/** Backbone layers the ladder blocks read: [0, φ, 2φ, …, floor(L/φ)·φ] (K entries). */
export function ladderLayers(numLayers: number, frequency: number): number[] {
  if (!Number.isInteger(numLayers) || numLayers < 0) throw new ConfigError(`backbone: number of layers must be a non-negative integer, got ${numLayers}`);
  if (!Number.isInteger(frequency) || frequency < 1) throw new ConfigError(`model.ladder_frequency: expected an integer ≥ 1, got ${frequency}`);
  const k = Math.floor(numLayers / frequency) + 1;
  return Array.from({ length: k }, (_, i) => i * frequency);
}

/**
 * Hidden states a Uni-CTR model needs, in the order `TokenStates.layers` must hold them: the
 * ladder's layers, plus L when φ does not divide L (the gate always reads HL). With
 * `ladder: none` only [L].
 */
export function stateLayers(numLayers: number, config: Pick<UniCtrConfig, 'ladder' | 'ladder_frequency'>): number[] {
  if (config.ladder === 'none') return [numLayers];
  const layers = ladderLayers(numLayers, config.ladder_frequency);
  if (layers[layers.length - 1] !== numLayers) layers.push(numLayers);
  return layers;
}

interface LadderBlock {
  apply(x: tf.Tensor3D, keyBias: tf.Tensor4D, opts: ForwardOptions): tf.Tensor3D;
}

/** Bottleneck transformer block: d → d/r → self-attention → d/r → d, two residuals. */
class BottleneckBlock implements LadderBlock {
  private readonly down0: Linear;
  private readonly down1: Linear;
  private readonly attn: SelfAttention;
  private readonly attnNorm: LayerNorm;
  private readonly up0: Linear;
  private readonly up1: Linear;
  private readonly outNorm: LayerNorm;

  constructor(
    store: VariableStore,
    d: number,
    private readonly cfg: UniCtrConfig,
  ) {
    if (d % cfg.ladder_reduction !== 0) {
      throw new ConfigError(`model.ladder_reduction: hidden size ${d} is not a multiple of ${cfg.ladder_reduction}`);
    }
    const w = d / cfg.ladder_reduction;
    this.down0 = new Linear(store.scope('down').scope(0), d, w);
    this.down1 = new Linear(store.scope('down').scope(1), w, w);
    this.attn = new SelfAttention(store.scope('attn'), w, cfg.ladder_heads);
    this.attnNorm = new LayerNorm(store.scope('attn_norm'), w, cfg.layer_norm_epsilon);
    this.up0 = new Linear(store.scope('up').scope(0), w, w);
    this.up1 = new Linear(store.scope('up').scope(1), w, d);
    this.outNorm = new LayerNorm(store.scope('out_norm'), d, cfg.layer_norm_epsilon);
  }

  apply(x: tf.Tensor3D, keyBias: tf.Tensor4D, opts: ForwardOptions): tf.Tensor3D {
    return tf.tidy(() => {
      let h = this.down1.apply(tf.relu(this.down0.apply(x)));
      h = applyDropout(h, this.cfg.ladder_dropout, opts);
      h = this.attnNorm.apply(tf.add(h, this.attn.apply(h, keyBias)));
      let u = this.up1.apply(tf.relu(this.up0.apply(h)));
      u = applyDropout(u, this.cfg.ladder_dropout, opts);
      return this.outNorm.apply(tf.add(x, u));
    });
  }

  static paramCount(d: number, r: number): number {
    const w = d / r;
    return (
      Linear.paramCount(d, w) + Linear.paramCount(w, w) + SelfAttention.paramCount(w) + LayerNorm.paramCount(w) +
      Linear.paramCount(w, w) + Linear.paramCount(w, d) + LayerNorm.paramCount(d)
    );
  }
}

/** Plain self-attention block at full width d: LayerNorm(x + Dropout(Attn(x))). */
class PlainAttentionBlock implements LadderBlock {
  private readonly attn: SelfAttention;
  private readonly outNorm: LayerNorm;

  constructor(
    store: VariableStore,
    d: number,
    private readonly cfg: UniCtrConfig,
  ) {
    this.attn = new SelfAttention(store.scope('attn'), d, cfg.ladder_heads);
    this.outNorm = new LayerNorm(store.scope('out_norm'), d, cfg.layer_norm_epsilon);
  }

  apply(x: tf.Tensor3D, keyBias: tf.Tensor4D, opts: ForwardOptions): tf.Tensor3D {
    return tf.tidy(() => {
      const a = applyDropout(this.attn.apply(x, keyBias), this.cfg.ladder_dropout, opts);
      return this.outNorm.apply(tf.add(x, a));
    });
  }

  static paramCount(d: number): number {
    return SelfAttention.paramCount(d) + LayerNorm.paramCount(d);
  }
}

export class LadderStack {
  private readonly blocks: LadderBlock[] = [];
  /** Backbone layer read by each block. */
  readonly layers: readonly number[];

  constructor(store: VariableStore, d: number, numLayers: number, cfg: UniCtrConfig) {
    if (cfg.ladder === 'none') throw new Error('LadderStack: built with ladder "none"');
    this.layers = ladderLayers(numLayers, cfg.ladder_frequency);
    this.layers.forEach((_, i) => {
      const s = store.scope(i);
      this.blocks.push(cfg.ladder === 'bottleneck' ? new BottleneckBlock(s, d, cfg) : new PlainAttentionBlock(s, d, cfg));
    });
  }

  /** inputs: the K states the blocks read (H0, Hφ, …), each [n, t, d] → last block's output. */
  apply(inputs: readonly tf.Tensor3D[], keyBias: tf.Tensor4D, opts: ForwardOptions): tf.Tensor3D {
    if (inputs.length !== this.blocks.length) {
      throw new Error(`LadderStack: expected ${this.blocks.length} input states, got ${inputs.length}`);
    }
    return tf.tidy(() => {
      let prev: tf.Tensor3D | null = null;
      this.blocks.forEach((block, i) => {
        const x: tf.Tensor3D = prev === null ? inputs[i]! : tf.add(inputs[i]!, prev);
        prev = block.apply(x, keyBias, opts);
      });
      return prev!;
    });
  }

  static paramCount(d: number, numLayers: number, cfg: UniCtrConfig): number {
    if (cfg.ladder === 'none') return 0;
    const k = ladderLayers(numLayers, cfg.ladder_frequency).length;
    const per = cfg.ladder === 'bottleneck' ? BottleneckBlock.paramCount(d, cfg.ladder_reduction) : PlainAttentionBlock.paramCount(d);
    return k * per;
  }
}
