/**
 * Frozen encoder through onnxruntime-node (the runtime transformers.js ships with), for model
 * folders that hold an ONNX export with every layer's state as an output: `hidden_state_0` (the
 * embedding output) … `hidden_state_L`. Only used to fill the frozen-state cache: it is usually
 * several times faster than the tfjs CPU backends, and its states match the tfjs encoder's within
 * float32 rounding.
 *
 * @example
 *   const onnx = await OnnxStateEncoder.load('models/tinybert');   // finds model.onnx or onnx/model.onnx
 *   const [h0, h4] = await onnx.encode(onnx.tokenize(prompts, 128), [0, 4]);
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ModelFolderError } from '../../util/errors.js';
import { BertTokenizer } from './tokenizer.js';
import { ortExecutionProviders } from './ort_options.js';
import type { StateEncoder } from './encoder_cache.js';
import type { TokenizedBatch } from './types.js';

/** Places an ONNX export may sit in a Hugging Face folder (transformers.js uses onnx/). */
export const ONNX_CANDIDATES = ['model.onnx', path.join('onnx', 'model.onnx')] as const;

const STATE_OUTPUT = /^hidden_state_(\d+)$/;

type Ort = typeof import('onnxruntime-node');
type Session = Awaited<ReturnType<Ort['InferenceSession']['create']>>;

/** The ONNX file of `folder`, or null when it has none. */
export function findOnnxFile(folder: string): string | null {
  for (const c of ONNX_CANDIDATES) {
    const p = path.join(folder, c);
    if (existsSync(p)) return p;
  }
  return null;
}

async function importOrt(): Promise<Ort> {
  try {
    return await import('onnxruntime-node');
  } catch (e) {
    throw new ModelFolderError(`onnxruntime-node is not installed or cannot load (${(e as Error).message.split('\n')[0]})`);
  }
}

interface IoMeta {
  name: string;
  type?: string;
  shape?: (number | string)[];
}

function metadata(session: Session, which: 'inputMetadata' | 'outputMetadata'): IoMeta[] {
  const m = (session as unknown as Record<string, unknown>)[which];
  return Array.isArray(m) ? (m as IoMeta[]) : [];
}

/** Layers L of an export whose outputs are hidden_state_0..L, or a description of what is wrong. */
export function stateOutputs(outputNames: readonly string[]): { numLayers: number } | { problem: string } {
  const ids = outputNames
    .map((n) => STATE_OUTPUT.exec(n))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
  if (ids.length === 0) return { problem: `no hidden_state_<i> outputs (outputs: ${outputNames.join(', ')})` };
  for (let i = 0; i < ids.length; i++) {
    if (ids[i] !== i) return { problem: `hidden_state outputs are not 0..L without gaps (found ${ids.join(', ')})` };
  }
  return { numLayers: ids.length - 1 };
}

export class OnnxStateEncoder implements StateEncoder {
  private constructor(
    private readonly ort: Ort,
    private readonly session: Session,
    readonly file: string,
    readonly id: string,
    readonly numLayers: number,
    readonly hiddenSize: number,
    private readonly tokenizer: BertTokenizer,
    private readonly idType: 'int64' | 'int32',
    private readonly hasTokenTypes: boolean,
    readonly pooling: 'mean' | 'last' = 'mean',
  ) {}

  /**
   * Open the ONNX export in `folder` with the folder's tokenizer. Throws ModelFolderError naming the
   * file when there is no export, it cannot be loaded, or its inputs/outputs are not as expected.
   */
  static async load(folder: string, opts: { threads?: number } = {}): Promise<OnnxStateEncoder> {
    const file = findOnnxFile(folder);
    if (!file) throw new ModelFolderError(`${folder}: no ONNX export (looked for ${ONNX_CANDIDATES.join(', ')})`);
    const ort = await importOrt();
    let session: Session;
    try {
      session = await ort.InferenceSession.create(file, {
        graphOptimizationLevel: 'all',
        executionProviders: ortExecutionProviders(),
        ...(opts.threads ? { intraOpNumThreads: opts.threads } : {}),
      });
    } catch (e) {
      throw new ModelFolderError(`${file}: onnxruntime cannot load it (${(e as Error).message.split('\n')[0]})`);
    }
    const fail = (msg: string): never => {
      void session.release();
      throw new ModelFolderError(`${file}: ${msg}`);
    };
    const outs = stateOutputs(session.outputNames);
    if ('problem' in outs) return fail(outs.problem);
    for (const need of ['input_ids', 'attention_mask']) {
      if (!session.inputNames.includes(need)) fail(`input "${need}" is missing (inputs: ${session.inputNames.join(', ')})`);
    }
    const extra = session.inputNames.filter((n) => !['input_ids', 'attention_mask', 'token_type_ids'].includes(n));
    if (extra.length) fail(`unsupported inputs ${extra.join(', ')} (expected input_ids, attention_mask, token_type_ids)`);
    const inMeta = metadata(session, 'inputMetadata').find((m) => m.name === 'input_ids');
    const idType = inMeta?.type === 'int32' ? 'int32' : 'int64';
    const outMeta = metadata(session, 'outputMetadata').find((m) => m.name === 'hidden_state_0');
    let hiddenSize = typeof outMeta?.shape?.[2] === 'number' ? (outMeta.shape[2] as number) : NaN;
    const cfgPath = path.join(folder, 'config.json');
    // A decoder export (LLaMA) is pooled at the last real token, as the tfjs decoder is.
    let pooling: 'mean' | 'last' = 'mean';
    if (existsSync(cfgPath)) {
      let cfg: { hidden_size?: number; model_type?: unknown };
      try {
        cfg = JSON.parse(readFileSync(cfgPath, 'utf8')) as { hidden_size?: number; model_type?: unknown };
      } catch (e) {
        void session.release();
        throw new ModelFolderError(`${cfgPath}: invalid JSON (${(e as Error).message})`);
      }
      if (typeof cfg !== 'object' || cfg === null) {
        void session.release();
        throw new ModelFolderError(`${cfgPath}: expected a JSON object`);
      }
      if (cfg.model_type === 'llama') pooling = 'last';
      if (Number.isNaN(hiddenSize) && typeof cfg.hidden_size === 'number') hiddenSize = cfg.hidden_size;
      else if (typeof cfg.hidden_size === 'number' && cfg.hidden_size !== hiddenSize) {
        fail(`hidden_state_0 has width ${hiddenSize} but ${cfgPath} says hidden_size ${cfg.hidden_size}`);
      }
    }
    if (!Number.isInteger(hiddenSize)) fail('cannot tell the hidden size (no static output width and no config.json hidden_size)');
    let tokenizer: BertTokenizer;
    try {
      tokenizer = await BertTokenizer.load(folder);
    } catch (e) {
      void session.release();
      throw e;
    }
    const hash = createHash('sha256').update(readFileSync(file));
    const tokFile = path.join(folder, 'tokenizer.json');
    if (existsSync(tokFile)) hash.update(readFileSync(tokFile));
    const id = `onnx-L${outs.numLayers}-H${hiddenSize}:${hash.digest('hex').slice(0, 16)}`;
    return new OnnxStateEncoder(ort, session, file, id, outs.numLayers, hiddenSize, tokenizer, idType, session.inputNames.includes('token_type_ids'), pooling);
  }

  tokenize(texts: readonly string[], maxLength: number): TokenizedBatch {
    return this.tokenizer.tokenize(texts, maxLength);
  }

  async encode(tokens: TokenizedBatch, layers: readonly number[]): Promise<Float32Array[]> {
    for (const l of layers) {
      if (!Number.isInteger(l) || l < 0 || l > this.numLayers) {
        throw new ModelFolderError(`${this.file}: has states H0..H${this.numLayers}; layer ${l} was requested`);
      }
    }
    const dims = [tokens.batch, tokens.seqLen];
    const n = tokens.batch * tokens.seqLen;
    const make = (src: Int32Array) =>
      this.idType === 'int64'
        ? new this.ort.Tensor('int64', BigInt64Array.from(src, (v) => BigInt(v)), dims)
        : new this.ort.Tensor('int32', Int32Array.from(src), dims);
    const feeds: Record<string, InstanceType<Ort['Tensor']>> = {
      input_ids: make(tokens.inputIds),
      attention_mask: make(tokens.attentionMask),
    };
    if (this.hasTokenTypes) feeds.token_type_ids = make(new Int32Array(n));
    const names = layers.map((l) => `hidden_state_${l}`);
    const result = await this.session.run(feeds, names);
    const d = this.hiddenSize;
    return names.map((name) => {
      const t = result[name]!;
      const data = t.data as Float32Array;
      if (t.type !== 'float32' || data.length !== n * d) {
        throw new ModelFolderError(`${this.file}: output ${name} is ${t.type} [${t.dims}], expected float32 [${tokens.batch}, ${tokens.seqLen}, ${d}]`);
      }
      // Padding is zeroed so that the cache stores the same values whatever the batch layout.
      for (let i = 0; i < n; i++) if (!tokens.attentionMask[i]) data.fill(0, i * d, (i + 1) * d);
      return data;
    });
  }

  dispose(): void {
    void this.session.release();
  }
}
