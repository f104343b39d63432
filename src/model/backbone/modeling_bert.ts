/**
 * BERT encoder in tfjs: embeddings (word + position + token type, LayerNorm) and post-LN layers of
 * masked multi-head self-attention and a GELU feed-forward block, returning H0 … HL.
 *
 * Variables are keyed by Hugging Face names without the `bert.` prefix. Linear kernels are stored
 * [in, out] (transposed once at load from Hugging Face's [out, in]) so every matMul is untransposed.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BertConfig } from './configuration_bert.js';
import { LoraAdapter, LORA_TARGETS, initLoraValues, tunedUnder } from './lora.js';
import { TfjsEncoder, type EncoderOptions, type EncoderWeights, type WeightSpec } from './tfjs_encoder.js';
import { dense, embeddingLookup } from '../ops/index.js';
import type { Rng } from '../../util/rng.js';

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

export class BertEncoder extends TfjsEncoder {
  readonly config: BertConfig;
  private readonly layers: Layer[] = [];

  constructor(cfg: BertConfig, weights: EncoderWeights, opts: EncoderOptions) {
    super('BertEncoder', cfg, bertWeightSpecs(cfg), weights, opts, (name) => tunedUnder(opts.tuning, name));
    this.config = cfg;
    const g = (name: string): tf.Variable => this.weight(name);
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
          const init = initLoraValues(d, d, opts.lora.r, this.initRng);
          adapters[t] = new LoraAdapter(this.make(`${base}.lora_A`, [d, opts.lora.r], init.a), this.make(`${base}.lora_B`, [opts.lora.r, d], init.b), opts.lora);
        }
        layer.lora = adapters as Layer['lora'];
      }
      this.layers.push(layer);
    }
  }

  forward(inputIds: tf.Tensor2D, attentionMask: tf.Tensor2D, layers: readonly number[], opts: { training: boolean; rng?: Rng }): tf.Tensor3D[] {
    const { seedOrUndef, want, last } = this.beginForward(inputIds, attentionMask, layers, opts);
    const [batch, seq] = inputIds.shape;
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
      const v = (n: string): tf.Variable => this.weight(n);
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
