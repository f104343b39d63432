/**
 * LLaMA decoder in tfjs (Hugging Face LlamaModel): token embeddings, then pre-norm layers of causal
 * grouped-query self-attention with rotary positions and a SwiGLU feed-forward block, each with an
 * RMSNorm in front; the final RMSNorm is applied to the last state. Returns H0 … HL as Hugging
 * Face's `output_hidden_states` does: H0 = token embeddings, Hi = output of layer i, HL normed.
 *
 * Padding: position ids count real tokens only (cumulative sum of the mask − 1), and keys are masked
 * both causally and where padded, so a left- or right-padded row gives the states it has alone.
 *
 * Variables are keyed by Hugging Face names without the `model.` prefix. Linear kernels are stored
 * [in, out] (transposed once at load from Hugging Face's [out, in]).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LlamaConfig } from './configuration_llama.js';
import { LoraAdapter, initLoraValues, tunedUnder } from './lora.js';
import { TfjsEncoder, type EncoderOptions, type EncoderWeights, type WeightSpec } from './tfjs_encoder.js';
import { dense, embeddingLookup } from '../ops/index.js';
import type { Rng } from '../../util/rng.js';

/** Attention projections that get LoRA adapters (as in the Uni-CTR paper's PEFT setup). */
export const LLAMA_LORA_TARGETS = ['q_proj', 'v_proj'] as const;

/** Every weight the decoder needs (the LM head is not needed). */
export function llamaWeightSpecs(cfg: LlamaConfig): WeightSpec[] {
  const d = cfg.hiddenSize;
  const q = cfg.numAttentionHeads * cfg.headDim;
  const kv = cfg.numKeyValueHeads * cfg.headDim;
  const specs: WeightSpec[] = [{ name: 'embed_tokens.weight', hfShape: [cfg.vocabSize, d], transpose: false }];
  const linear = (name: string, out: number, inp: number): void => {
    specs.push({ name: `${name}.weight`, hfShape: [out, inp], transpose: true });
  };
  for (let i = 0; i < cfg.numHiddenLayers; i++) {
    const p = `layers.${i}`;
    specs.push({ name: `${p}.input_layernorm.weight`, hfShape: [d], transpose: false });
    linear(`${p}.self_attn.q_proj`, q, d);
    linear(`${p}.self_attn.k_proj`, kv, d);
    linear(`${p}.self_attn.v_proj`, kv, d);
    linear(`${p}.self_attn.o_proj`, d, q);
    specs.push({ name: `${p}.post_attention_layernorm.weight`, hfShape: [d], transpose: false });
    linear(`${p}.mlp.gate_proj`, cfg.intermediateSize, d);
    linear(`${p}.mlp.up_proj`, cfg.intermediateSize, d);
    linear(`${p}.mlp.down_proj`, d, cfg.intermediateSize);
  }
  specs.push({ name: 'norm.weight', hfShape: [d], transpose: false });
  return specs;
}

interface Layer {
  inputNorm: tf.Variable;
  q: tf.Variable;
  k: tf.Variable;
  v: tf.Variable;
  o: tf.Variable;
  postNorm: tf.Variable;
  gate: tf.Variable;
  up: tf.Variable;
  down: tf.Variable;
  lora?: { q: LoraAdapter; v: LoraAdapter };
}

export class LlamaEncoder extends TfjsEncoder {
  readonly config: LlamaConfig;
  /** A decoder's summary of a text is its last real token (it has seen every other). */
  readonly pooling = 'last' as const;
  private readonly layers: Layer[] = [];
  /** 1 / theta^(2j/dh), j = 0 … dh/2 − 1. */
  private readonly invFreq: Float32Array;

  constructor(cfg: LlamaConfig, weights: EncoderWeights, opts: EncoderOptions) {
    // LLaMA's projections and norms have no biases: under lora only the adapters train.
    super('LlamaEncoder', cfg, llamaWeightSpecs(cfg), weights, opts, (name) => tunedUnder(opts.tuning, name));
    this.config = cfg;
    const half = cfg.headDim / 2;
    this.invFreq = Float32Array.from({ length: half }, (_, j) => 1 / cfg.ropeTheta ** ((2 * j) / cfg.headDim));
    const g = (name: string): tf.Variable => this.weight(name);
    const d = cfg.hiddenSize;
    for (let i = 0; i < cfg.numHiddenLayers; i++) {
      const p = `layers.${i}`;
      const layer: Layer = {
        inputNorm: g(`${p}.input_layernorm.weight`),
        q: g(`${p}.self_attn.q_proj.weight`),
        k: g(`${p}.self_attn.k_proj.weight`),
        v: g(`${p}.self_attn.v_proj.weight`),
        o: g(`${p}.self_attn.o_proj.weight`),
        postNorm: g(`${p}.post_attention_layernorm.weight`),
        gate: g(`${p}.mlp.gate_proj.weight`),
        up: g(`${p}.mlp.up_proj.weight`),
        down: g(`${p}.mlp.down_proj.weight`),
      };
      if (opts.tuning === 'lora') {
        const adapter = (t: (typeof LLAMA_LORA_TARGETS)[number], out: number): LoraAdapter => {
          const base = `${p}.self_attn.${t}`;
          const init = initLoraValues(d, out, opts.lora.r, this.initRng);
          return new LoraAdapter(this.make(`${base}.lora_A`, [d, opts.lora.r], init.a), this.make(`${base}.lora_B`, [opts.lora.r, out], init.b), opts.lora);
        };
        layer.lora = { q: adapter('q_proj', cfg.numAttentionHeads * cfg.headDim), v: adapter('v_proj', cfg.numKeyValueHeads * cfg.headDim) };
      }
      this.layers.push(layer);
    }
  }

  forward(inputIds: tf.Tensor2D, attentionMask: tf.Tensor2D, layers: readonly number[], opts: { training: boolean; rng?: Rng }): tf.Tensor3D[] {
    const { seedOrUndef, want, last } = this.beginForward(inputIds, attentionMask, layers, opts);
    const [batch, seq] = inputIds.shape;
    const cfg = this.config;
    const heads = cfg.numAttentionHeads;
    const kvHeads = cfg.numKeyValueHeads;
    const group = heads / kvHeads;
    const dh = cfg.headDim;
    const half = dh / 2;
    return tf.tidy(() => {
      const states = new Map<number, tf.Tensor3D>();
      const ids = inputIds.dtype === 'int32' ? inputIds : tf.cast(inputIds, 'int32');
      const maskF = attentionMask.dtype === 'float32' ? attentionMask : tf.cast(attentionMask, 'float32');
      let h: tf.Tensor = embeddingLookup(this.weight('embed_tokens.weight'), ids);
      if (want.has(0)) states.set(0, h as tf.Tensor3D);
      // Rotary angles per (row, position): positions count real tokens so left padding shifts nothing.
      const pos = tf.relu(tf.sub(tf.cumsum(maskF, 1), 1));
      const angles = tf.mul(tf.reshape(pos, [batch, seq, 1]), tf.tensor1d(this.invFreq));
      const cos = tf.reshape(tf.concat([tf.cos(angles), tf.cos(angles)], -1), [batch, 1, seq, dh]);
      const sin = tf.reshape(tf.concat([tf.sin(angles), tf.sin(angles)], -1), [batch, 1, seq, dh]);
      const rotate = (x: tf.Tensor): tf.Tensor => {
        const [x1, x2] = tf.split(x, [half, half], -1);
        return tf.add(tf.mul(x, cos), tf.mul(tf.concat([tf.neg(x2!), x1!], -1), sin));
      };
      // Key j is visible to query i when j ≤ i and j is a real token.
      const causal = tf.linalg.bandPart(tf.ones([seq, seq]), -1, 0);
      const allowed = tf.mul(tf.reshape(causal, [1, 1, seq, seq]), tf.reshape(maskF, [batch, 1, 1, seq]));
      const maskAdd = tf.mul(tf.sub(1, allowed), -1e9);
      const split = (x: tf.Tensor, n: number): tf.Tensor => tf.transpose(tf.reshape(x, [batch, seq, n, dh]), [0, 2, 1, 3]);
      // [batch, kvHeads, seq, dh] → [batch, heads, seq, dh]: head i reads key/value head ⌊i / group⌋.
      const repeatKv = (x: tf.Tensor): tf.Tensor =>
        // (tfjs has no gradient for rank-5 tile, so the copies are made on a rank-3 view.)
        group === 1 ? x : tf.reshape(tf.tile(tf.reshape(x, [batch * kvHeads, 1, seq * dh]), [1, group, 1]), [batch, heads, seq, dh]);
      const attnDropout = (x: tf.Tensor): tf.Tensor => {
        const s = seedOrUndef();
        return s !== undefined && cfg.attentionDropout > 0 ? tf.dropout(x, cfg.attentionDropout, undefined, s) : x;
      };
      for (let i = 0; i < Math.min(last, this.numLayers); i++) {
        const L = this.layers[i]!;
        const x = this.rmsNorm(h, L.inputNorm);
        let q = dense(x, L.q);
        let v = dense(x, L.v);
        if (L.lora) {
          q = tf.add(q, L.lora.q.delta(x, seedOrUndef()));
          v = tf.add(v, L.lora.v.delta(x, seedOrUndef()));
        }
        const k = dense(x, L.k);
        const qh = tf.reshape(rotate(split(q, heads)), [batch * heads, seq, dh]);
        const kh = tf.reshape(repeatKv(rotate(split(k, kvHeads))), [batch * heads, seq, dh]);
        const vh = tf.reshape(repeatKv(split(v, kvHeads)), [batch * heads, seq, dh]);
        let scores = tf.mul(tf.matMul(qh as tf.Tensor3D, kh as tf.Tensor3D, false, true), 1 / Math.sqrt(dh));
        scores = tf.add(tf.reshape(scores, [batch, heads, seq, seq]), maskAdd);
        const probs = attnDropout(tf.softmax(scores, -1));
        const ctx = tf.matMul(tf.reshape(probs, [batch * heads, seq, seq]) as tf.Tensor3D, vh as tf.Tensor3D);
        const merged = tf.reshape(tf.transpose(tf.reshape(ctx, [batch, heads, seq, dh]), [0, 2, 1, 3]), [batch, seq, heads * dh]);
        h = tf.add(h, dense(merged, L.o));
        const y = this.rmsNorm(h, L.postNorm);
        const gate = dense(y, L.gate);
        const swiglu = tf.mul(tf.mul(gate, tf.sigmoid(gate)), dense(y, L.up));
        h = tf.add(h, dense(swiglu, L.down));
        if (want.has(i + 1)) states.set(i + 1, (i + 1 === this.numLayers ? this.rmsNorm(h, this.weight('norm.weight')) : h) as tf.Tensor3D);
      }
      return layers.map((l) => states.get(l)!);
    });
  }

  private rmsNorm(x: tf.Tensor, weight: tf.Tensor): tf.Tensor {
    return tf.mul(tf.mul(x, tf.rsqrt(tf.add(tf.mean(tf.square(x), -1, true), this.config.rmsNormEps))), weight);
  }
}
