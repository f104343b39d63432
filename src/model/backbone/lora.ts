/**
 * LoRA adapter (Hu et al., 2021): y = x·W + b + (dropout(x)·A·B)·(alpha / r), with W frozen.
 * B starts at zero so an adapted model starts equal to the pretrained one; A starts uniform in
 * ±1/sqrt(in), the bound Kaiming-uniform(a=√5) gives for a Linear layer.
 */
import * as tf from '@tensorflow/tfjs-core';
import { dense } from '../ops/index.js';
import type { Rng } from '../../util/rng.js';
import { ConfigError } from '../../util/errors.js';
import type { TuningMode } from './types.js';

export interface LoraOptions {
  /** Rank of A·B. */
  r: number;
  /** Scale numerator: the update is multiplied by alpha / r. */
  alpha: number;
  /** Dropout on the adapter's input during training. */
  dropout: number;
}

export const DEFAULT_LORA: LoraOptions = { r: 4, alpha: 8, dropout: 0.1 };

/** Module names that get adapters: query and value of every self-attention block. */
export const LORA_TARGETS = ['query', 'value'] as const;

export class LoraAdapter {
  readonly scale: number;

  constructor(
    /** [in, r] */
    readonly a: tf.Variable,
    /** [r, out] */
    readonly b: tf.Variable,
    readonly opts: LoraOptions,
  ) {
    this.scale = opts.alpha / opts.r;
  }

  /** The low-rank update for input x [..., in] → [..., out]. `dropoutSeed` set only when training. */
  delta(x: tf.Tensor, dropoutSeed: number | undefined): tf.Tensor {
    const xin = dropoutSeed !== undefined && this.opts.dropout > 0 ? tf.dropout(x, this.opts.dropout, undefined, dropoutSeed) : x;
    return tf.mul(dense(dense(xin, this.a), this.b), this.scale);
  }
}

/** Validate user-supplied LoRA options, filling defaults. */
export function resolveLoraOptions(opts: Partial<LoraOptions> | undefined): LoraOptions {
  const o = { ...DEFAULT_LORA, ...(opts ?? {}) };
  if (!Number.isInteger(o.r) || o.r < 1) throw new ConfigError(`lora.r must be a positive integer, got ${o.r}`);
  if (!(o.alpha > 0)) throw new ConfigError(`lora.alpha must be positive, got ${o.alpha}`);
  if (!(o.dropout >= 0 && o.dropout < 1)) throw new ConfigError(`lora.dropout must be in [0, 1), got ${o.dropout}`);
  return o;
}

/** Initial A ([in, r], uniform ±1/sqrt(in)) and B ([r, out], zeros) values. */
export function initLoraValues(inDim: number, outDim: number, r: number, rng: Rng): { a: Float32Array; b: Float32Array } {
  const bound = 1 / Math.sqrt(inDim);
  const a = new Float32Array(inDim * r);
  for (let i = 0; i < a.length; i++) a[i] = (rng.next() * 2 - 1) * bound;
  return { a, b: new Float32Array(r * outDim) };
}

/**
 * Whether a tuning mode updates the weight `name`: `full` every weight, `lora` the adapters
 * (`.lora_A`, `.lora_B`) and the biases, `frozen` none.
 */
export function tunedUnder(tuning: TuningMode, name: string): boolean {
  return tuning === 'full' || (tuning === 'lora' && (name.endsWith('.bias') || name.includes('.lora_')));
}
