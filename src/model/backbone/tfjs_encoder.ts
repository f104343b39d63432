/**
 * What the tfjs encoders (BERT, LLaMA) share: weights held as variables keyed by their Hugging Face
 * names, which of them a tuning mode trains, the tokenizer hook and the checks every forward pass
 * makes. Each architecture's file holds its layers and its forward pass.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Backbone, TokenizedBatch, TuningMode } from './types.js';
import type { LoraOptions } from './lora.js';
import { Rng } from '../../util/rng.js';

/** A weight as the encoder expects it: HF name, HF shape, and whether it is a Linear kernel. */
export interface WeightSpec {
  name: string;
  /** Shape in the Hugging Face checkpoint. */
  hfShape: number[];
  /** Linear weights are [out, in] in HF and [in, out] here. */
  transpose: boolean;
}

/** Float32 values in the encoder's own layout (kernels already [in, out]). */
export type EncoderWeights = ReadonlyMap<string, { shape: number[]; data: Float32Array }>;

export interface EncoderOptions {
  tuning: TuningMode;
  lora: LoraOptions;
  /** Identity for cache keys. */
  id: string;
  tokenize: (texts: readonly string[], maxLength: number) => TokenizedBatch;
  /** Seeds LoRA's A initialisation, and dropout when forward() gets no rng. */
  seed: number;
}

/** The sizes the shared checks read off an architecture's config. */
interface EncoderShape {
  numHiddenLayers: number;
  hiddenSize: number;
  maxPositionEmbeddings: number;
}

let instanceCounter = 0;

export abstract class TfjsEncoder implements Backbone {
  readonly id: string;
  readonly numLayers: number;
  readonly hiddenSize: number;
  readonly tuning: TuningMode;
  protected readonly vars = new Map<string, tf.Variable>();
  /** Seeds LoRA's A initialisation (subclasses draw from it after the base weights exist). */
  protected readonly initRng: Rng;
  private readonly fallbackRng: Rng;
  private readonly tokenizeFn: EncoderOptions['tokenize'];
  private readonly maxPositions: number;
  /** tfjs variable names are process-global; the stable HF name is the map key. */
  private readonly scope: string;
  private disposed = false;

  /**
   * Makes a variable of every weight in `specs` (in order) from `weights`; `trainable` says which
   * names the tuning mode updates (adapters made later by `make` included).
   */
  protected constructor(
    private readonly kind: string,
    shape: EncoderShape,
    specs: readonly WeightSpec[],
    weights: EncoderWeights,
    opts: EncoderOptions,
    private readonly trainable: (name: string) => boolean,
  ) {
    this.id = opts.id;
    this.numLayers = shape.numHiddenLayers;
    this.hiddenSize = shape.hiddenSize;
    this.maxPositions = shape.maxPositionEmbeddings;
    this.tuning = opts.tuning;
    this.tokenizeFn = opts.tokenize;
    this.initRng = new Rng(opts.seed);
    this.fallbackRng = new Rng(this.initRng.seed());
    this.scope = `${kind.toLowerCase()}_${instanceCounter++}`;
    for (const spec of specs) {
      const w = weights.get(spec.name);
      if (!w) throw new Error(`${kind}: weight "${spec.name}" not provided`);
      this.make(spec.name, w.shape, w.data);
    }
  }

  protected make(name: string, shape: number[], data: Float32Array): tf.Variable {
    const v = tf.variable(tf.tensor(data, shape, 'float32'), this.trainable(name), `${this.scope}/${name}`);
    this.vars.set(name, v);
    return v;
  }

  protected weight(name: string): tf.Variable {
    return this.vars.get(name)!;
  }

  tokenize(texts: readonly string[], maxLength: number): TokenizedBatch {
    return this.tokenizeFn(texts, Math.min(maxLength, this.maxPositions));
  }

  trainableVariables(): tf.Variable[] {
    return [...this.vars.values()].filter((v) => v.trainable);
  }

  namedVariables(): Map<string, tf.Variable> {
    return new Map(this.vars);
  }

  abstract forward(inputIds: tf.Tensor2D, attentionMask: tf.Tensor2D, layers: readonly number[], opts: { training: boolean; rng?: Rng }): tf.Tensor3D[];

  /**
   * The checks of a forward pass (not disposed, mask shape, length, layer range), then what the pass
   * needs: the dropout seed source (undefined seeds unless training with something tuned, since a
   * frozen backbone must give the same states live as from the frozen cache), the layers asked for
   * and the last one to run.
   */
  protected beginForward(
    inputIds: tf.Tensor2D,
    attentionMask: tf.Tensor2D,
    layers: readonly number[],
    opts: { training: boolean; rng?: Rng },
  ): { seedOrUndef: () => number | undefined; want: Set<number>; last: number } {
    if (this.disposed) throw new Error(`${this.kind}: used after dispose()`);
    const [batch, seq] = inputIds.shape;
    if (attentionMask.shape[0] !== batch || attentionMask.shape[1] !== seq) {
      throw new Error(`${this.kind}.forward: attentionMask shape [${attentionMask.shape.join(', ')}] does not match inputIds [${batch}, ${seq}]`);
    }
    if (seq > this.maxPositions) {
      throw new RangeError(`${this.kind}.forward: sequence length ${seq} exceeds max_position_embeddings ${this.maxPositions}`);
    }
    for (const l of layers) {
      if (!Number.isInteger(l) || l < 0 || l > this.numLayers) throw new RangeError(`${this.kind}.forward: layer ${l} outside 0..${this.numLayers}`);
    }
    const useDropout = opts.training && this.tuning !== 'frozen';
    const rng = opts.rng ?? this.fallbackRng;
    return { seedOrUndef: () => (useDropout ? rng.seed() : undefined), want: new Set(layers), last: Math.max(-1, ...layers) };
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const v of this.vars.values()) v.dispose();
    this.vars.clear();
  }
}
