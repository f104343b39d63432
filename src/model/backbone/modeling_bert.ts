/**
 * BERT encoder in tfjs: embeddings (word + position + token type, LayerNorm) and post-LN layers of
 * masked multi-head self-attention and a GELU feed-forward block, returning H0 … HL.
 *
 * Variables are keyed by Hugging Face names without the `bert.` prefix. Linear kernels are stored
 * [in, out] (transposed once at load from Hugging Face's [out, in]) so every matMul is untransposed.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Backbone, TokenizedBatch, TuningMode } from './types.js';
import type { BertConfig } from './configuration_bert.js';
import { LoraAdapter, LORA_TARGETS, initLoraValues, type LoraOptions } from './lora.js';
import { dense, embeddingLookup } from '../ops/index.js';
import { Rng } from '../../util/rng.js';

/** A weight as the encoder expects it: HF name, HF shape, and whether it is a Linear kernel. */
export interface WeightSpec {
  name: string;
  /** Shape in the Hugging Face checkpoint. */
  hfShape: number[];
  /** Linear weights are [out, in] in HF and [in, out] here. */
  transpose: boolean;
}

/** Every weight the encoder needs, in load order (the pooler is not needed). */
export function bertWeightSpecs(cfg: BertConfig): WeightSpec[] {
  const d = cfg.hiddenSize;
  const specs: WeightSpec[] = [
    { name: 'embeddings.word_embeddings.weight', hfShape: [cfg.vocabSize, d], transpose: false },
    { name: 'embeddings.position_embeddings.weight', hfShape: [cfg.maxPositionEmbeddings, d], transpose: false },
    { name: 'embeddings.token_type_embeddings.weight', hfShape: [cfg.typeVocabSize, d], transpose: false },
    { name: 'embeddings.LayerNorm.weight', hfShape: [d], transpose: false },
    { name: 'embeddings.LayerNorm.bias', hfShape: [d], transpose: false },
  ];
  const linear = (name: string, out: number, inp: number): void => {
    specs.push({ name: `${name}.weight`, hfShape: [out, inp], transpose: true });
    specs.push({ name: `${name}.bias`, hfShape: [out], transpose: false });
  };
  const ln = (name: string): void => {
    specs.push({ name: `${name}.weight`, hfShape: [d], transpose: false });
    specs.push({ name: `${name}.bias`, hfShape: [d], transpose: false });
  };
  for (let i = 0; i < cfg.numHiddenLayers; i++) {
    const p = `encoder.layer.${i}`;
    linear(`${p}.attention.self.query`, d, d);
    linear(`${p}.attention.self.key`, d, d);
    linear(`${p}.attention.self.value`, d, d);
    linear(`${p}.attention.output.dense`, d, d);
    ln(`${p}.attention.output.LayerNorm`);
    linear(`${p}.intermediate.dense`, cfg.intermediateSize, d);
    linear(`${p}.output.dense`, d, cfg.intermediateSize);
    ln(`${p}.output.LayerNorm`);
  }
  return specs;
}

/** Float32 values in the encoder's own layout (kernels already [in, out]). */
export type EncoderWeights = ReadonlyMap<string, { shape: number[]; data: Float32Array }>;

export interface BertEncoderOptions {
  tuning: TuningMode;
  lora: LoraOptions;
  /** Identity for cache keys. */
  id: string;
  tokenize: (texts: readonly string[], maxLength: number) => TokenizedBatch;
  /** Seeds LoRA's A initialisation, and dropout when forward() gets no rng. */
  seed: number;
}

let instanceCounter = 0;

interface Layer {
  query: [tf.Variable, tf.Variable];
  key: [tf.Variable, tf.Variable];
  value: [tf.Variable, tf.Variable];
  attnOut: [tf.Variable, tf.Variable];
  attnLn: [tf.Variable, tf.Variable];
  inter: [tf.Variable, tf.Variable];
  out: [tf.Variable, tf.Variable];
  outLn: [tf.Variable, tf.Variable];
  lora?: { query: LoraAdapter; value: LoraAdapter };
}

export class BertEncoder implements Backbone {
  readonly id: string;
  readonly numLayers: number;
  readonly hiddenSize: number;
  readonly tuning: TuningMode;
  readonly config: BertConfig;
  private readonly vars = new Map<string, tf.Variable>();
  private readonly layers: Layer[] = [];
  private readonly tokenizeFn: BertEncoderOptions['tokenize'];
  private readonly fallbackRng: Rng;
  private disposed = false;

  constructor(cfg: BertConfig, weights: EncoderWeights, opts: BertEncoderOptions) {
    this.config = cfg;
    this.id = opts.id;
    this.numLayers = cfg.numHiddenLayers;
    this.hiddenSize = cfg.hiddenSize;
    this.tuning = opts.tuning;
    this.tokenizeFn = opts.tokenize;
    const rng = new Rng(opts.seed);
    this.fallbackRng = new Rng(rng.seed());
    // tfjs variable names are process-global; the stable HF name is the map key.
    const scope = `bert_${instanceCounter++}`;
    const trainable = (name: string): boolean =>
      opts.tuning === 'full' || (opts.tuning === 'lora' && (name.endsWith('.bias') || name.includes('.lora_')));
    const make = (name: string, shape: number[], data: Float32Array): tf.Variable => {
      const v = tf.variable(tf.tensor(data, shape, 'float32'), trainable(name), `${scope}/${name}`);
      this.vars.set(name, v);
      return v;
    };
    for (const spec of bertWeightSpecs(cfg)) {
      const w = weights.get(spec.name);
      if (!w) throw new Error(`BertEncoder: weight "${spec.name}" not provided`);
      make(spec.name, w.shape, w.data);
    }
    const g = (name: string): tf.Variable => this.vars.get(name)!;
    const pair = (name: string): [tf.Variable, tf.Variable] => [g(`${name}.weight`), g(`${name}.bias`)];
    const d = cfg.hiddenSize;
    for (let i = 0; i < cfg.numHiddenLayers; i++) {
      const p = `encoder.layer.${i}`;
      const layer: Layer = {
        query: pair(`${p}.attention.self.query`),
        key: pair(`${p}.attention.self.key`),
        value: pair(`${p}.attention.self.value`),
        attnOut: pair(`${p}.attention.output.dense`),
        attnLn: pair(`${p}.attention.output.LayerNorm`),
        inter: pair(`${p}.intermediate.dense`),
        out: pair(`${p}.output.dense`),
        outLn: pair(`${p}.output.LayerNorm`),
      };
      if (opts.tuning === 'lora') {
        const adapters: Partial<Record<(typeof LORA_TARGETS)[number], LoraAdapter>> = {};
        for (const t of LORA_TARGETS) {
          const base = `${p}.attention.self.${t}`;
          const init = initLoraValues(d, d, opts.lora.r, rng);
          adapters[t] = new LoraAdapter(make(`${base}.lora_A`, [d, opts.lora.r], init.a), make(`${base}.lora_B`, [opts.lora.r, d], init.b), opts.lora);
        }
        layer.lora = adapters as Layer['lora'];
      }
      this.layers.push(layer);
    }
  }

  tokenize(texts: readonly string[], maxLength: number): TokenizedBatch {
    return this.tokenizeFn(texts, Math.min(maxLength, this.config.maxPositionEmbeddings));
  }

  trainableVariables(): tf.Variable[] {
    return [...this.vars.values()].filter((v) => v.trainable);
  }

  namedVariables(): Map<string, tf.Variable> {
    return new Map(this.vars);
  }

  forward(inputIds: tf.Tensor2D, attentionMask: tf.Tensor2D, layers: readonly number[], opts: { training: boolean; rng?: Rng }): tf.Tensor3D[] {
    if (this.disposed) throw new Error('BertEncoder: used after dispose()');
    const [batch, seq] = inputIds.shape;
    if (attentionMask.shape[0] !== batch || attentionMask.shape[1] !== seq) {
      throw new Error(`BertEncoder.forward: attentionMask shape [${attentionMask.shape.join(', ')}] does not match inputIds [${batch}, ${seq}]`);
    }
    if (seq > this.config.maxPositionEmbeddings) {
      throw new RangeError(`BertEncoder.forward: sequence length ${seq} exceeds max_position_embeddings ${this.config.maxPositionEmbeddings}`);
    }
    for (const l of layers) {
      if (!Number.isInteger(l) || l < 0 || l > this.numLayers) throw new RangeError(`BertEncoder.forward: layer ${l} outside 0..${this.numLayers}`);
    }
    const want = new Set(layers);
    const last = Math.max(-1, ...layers);
    // Dropout only where something is being tuned: a frozen backbone must give the same states
    // live as from the frozen cache.
    const useDropout = opts.training && this.tuning !== 'frozen';
    const rng = opts.rng ?? this.fallbackRng;
    const seedOrUndef = (): number | undefined => (useDropout ? rng.seed() : undefined);
    const cfg = this.config;
    const dropout = (x: tf.Tensor, rate: number): tf.Tensor => {
      const s = seedOrUndef();
      return s !== undefined && rate > 0 ? tf.dropout(x, rate, undefined, s) : x;
    };
    const heads = cfg.numAttentionHeads;
    const dh = cfg.hiddenSize / heads;
    const d = cfg.hiddenSize;
    return tf.tidy(() => {
      const states = new Map<number, tf.Tensor3D>();
      const ids = inputIds.dtype === 'int32' ? inputIds : tf.cast(inputIds, 'int32');
      const v = (n: string): tf.Variable => this.vars.get(n)!;
      const word = embeddingLookup(v('embeddings.word_embeddings.weight'), ids);
      const pos = embeddingLookup(v('embeddings.position_embeddings.weight'), tf.range(0, seq, 1, 'int32'));
      // Token type 0 everywhere: single-segment inputs.
      const tt = embeddingLookup(v('embeddings.token_type_embeddings.weight'), tf.zeros([1], 'int32'));
      let h: tf.Tensor = layerNorm(tf.add(tf.add(word, pos), tt), v('embeddings.LayerNorm.weight'), v('embeddings.LayerNorm.bias'), cfg.layerNormEps);
      h = dropout(h, cfg.hiddenDropoutProb);
      if (want.has(0)) states.set(0, h as tf.Tensor3D);
      const maskF = attentionMask.dtype === 'float32' ? attentionMask : tf.cast(attentionMask, 'float32');
      // Additive mask: padded keys get a large negative score so softmax gives them zero weight.
      const maskAdd = tf.reshape(tf.mul(tf.sub(1, maskF), -1e9), [batch, 1, 1, seq]);
      const splitHeads = (x: tf.Tensor): tf.Tensor =>
        tf.reshape(tf.transpose(tf.reshape(x, [batch, seq, heads, dh]), [0, 2, 1, 3]), [batch * heads, seq, dh]);
      for (let i = 0; i < Math.min(last, this.numLayers); i++) {
        const L = this.layers[i]!;
        let q = dense(h, L.query[0], L.query[1]);
        let val = dense(h, L.value[0], L.value[1]);
        if (L.lora) {
          q = tf.add(q, L.lora.query.delta(h, seedOrUndef()));
          val = tf.add(val, L.lora.value.delta(h, seedOrUndef()));
        }
        const k = dense(h, L.key[0], L.key[1]);
        const qh = splitHeads(q);
        const kh = splitHeads(k);
        const vh = splitHeads(val);
        let scores = tf.mul(tf.matMul(qh, kh, false, true), 1 / Math.sqrt(dh));
        scores = tf.add(tf.reshape(scores, [batch, heads, seq, seq]), maskAdd);
        const probs = dropout(tf.softmax(scores, -1), cfg.attentionProbsDropoutProb);
        const ctx = tf.matMul(tf.reshape(probs, [batch * heads, seq, seq]) as tf.Tensor3D, vh as tf.Tensor3D);
        const merged = tf.reshape(tf.transpose(tf.reshape(ctx, [batch, heads, seq, dh]), [0, 2, 1, 3]), [batch, seq, d]);
        const attn = dropout(dense(merged, L.attnOut[0], L.attnOut[1]), cfg.hiddenDropoutProb);
        const h1 = layerNorm(tf.add(attn, h), L.attnLn[0], L.attnLn[1], cfg.layerNormEps);
        const inter = activation(dense(h1, L.inter[0], L.inter[1]), cfg.hiddenAct);
        const ffn = dropout(dense(inter, L.out[0], L.out[1]), cfg.hiddenDropoutProb);
        h = layerNorm(tf.add(ffn, h1), L.outLn[0], L.outLn[1], cfg.layerNormEps);
        if (want.has(i + 1)) states.set(i + 1, h as tf.Tensor3D);
      }
      return layers.map((l) => states.get(l)!);
    });
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const v of this.vars.values()) v.dispose();
    this.vars.clear();
  }
}

function layerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps: number): tf.Tensor {
  const mean = tf.mean(x, -1, true);
  const xc = tf.sub(x, mean);
  const variance = tf.mean(tf.square(xc), -1, true);
  return tf.add(tf.mul(tf.mul(xc, tf.rsqrt(tf.add(variance, eps))), gamma), beta);
}

function activation(x: tf.Tensor, act: BertConfig['hiddenAct']): tf.Tensor {
  switch (act) {
    case 'gelu':
      return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))));
    case 'gelu_new': {
      const inner = tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.pow(x, 3))));
      return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.tanh(inner)));
    }
    case 'relu':
      return tf.relu(x);
  }
}
