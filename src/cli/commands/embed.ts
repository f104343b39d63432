/**
 * `unictr embed --model <folder|use-lite> --text <file> --out <file>`: pooled sentence vectors
 * (masked mean of the last layer's token states; for decoders such as LLaMA the last real token's
 * state) as Arrow or JSON; with `--all-layers --format json`
 * the raw ids and every layer's token states, for comparing against other implementations.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { Field, FixedSizeList, Float32, Int32, makeData, RecordBatch, Schema, Struct, Table, Utf8, tableToIPC, type Data } from 'apache-arrow';
import { TRUNCATIONS, withTruncation, type Truncation } from '../../model/backbone/truncation.js';
import { createStateEncoder, type BackboneSpec, type StateEngine } from '../../model/backbone/index.js';
import type { StateEncoder } from '../../model/backbone/encoder_cache.js';
import { CliArgsError, DataError } from '../../util/errors.js';
import { atomicWriteFile } from '../../util/fs.js';
import { log } from '../../util/log.js';
import { startBackend, type GlobalArgs, type UnictrCommand } from '../common.js';

interface EmbedArgs extends GlobalArgs {
  model: string;
  text: string;
  out: string;
  format?: 'arrow' | 'json';
  'all-layers': boolean;
  'max-length': number;
  truncation: Truncation;
  'batch-size': number;
  engine: StateEngine;
}

export interface EmbedResult {
  /** Real token ids of each text (padding removed). */
  inputIds: number[][];
  /** [text][d] masked mean of the last layer (decoders: its last real token). */
  pooled: Float32Array[];
  /** [layer][text] → [tokens × d] row-major, only with allLayers. */
  states?: Float32Array[][];
}

/** Encode `texts` in batches; pooled vectors always, every layer's token states on request. */
export async function embedTexts(
  encoder: StateEncoder,
  texts: readonly string[],
  opts: { maxLength: number; batchSize: number; allLayers: boolean },
): Promise<EmbedResult> {
  const L = encoder.numLayers;
  const d = encoder.hiddenSize;
  const layers = opts.allLayers ? Array.from({ length: L + 1 }, (_, i) => i) : [L];
  const result: EmbedResult = { inputIds: [], pooled: [], states: opts.allLayers ? layers.map(() => []) : undefined };
  for (let start = 0; start < texts.length; start += opts.batchSize) {
    const tok = encoder.tokenize(texts.slice(start, start + opts.batchSize), opts.maxLength);
    const s = tok.seqLen;
    const out = await encoder.encode(tok, layers);
    const last = out[out.length - 1]!;
    for (let i = 0; i < tok.batch; i++) {
      let len = 0;
      while (len < s && tok.attentionMask[i * s + len]) len++;
      result.inputIds.push(Array.from(tok.inputIds.subarray(i * s, i * s + len)));
      const v = new Float32Array(d);
      if (encoder.pooling === 'last') {
        // Rows are right-padded: the last real token sits at len − 1.
        if (len > 0) v.set(last.subarray((i * s + len - 1) * d, (i * s + len) * d));
      } else {
        for (let t = 0; t < len; t++) for (let j = 0; j < d; j++) v[j]! += last[(i * s + t) * d + j]!;
        if (len > 0) for (let j = 0; j < d; j++) v[j]! /= len;
      }
      result.pooled.push(v);
      result.states?.forEach((perLayer, k) => perLayer.push(out[k]!.slice(i * s * d, (i * s + len) * d)));
    }
    log.progress(`embedded ${Math.min(start + opts.batchSize, texts.length)}/${texts.length}`);
  }
  return result;
}

function utf8Data(strings: readonly string[]): Data<Utf8> {
  const offsets = new Int32Array(strings.length + 1);
  const bufs = strings.map((s) => Buffer.from(s, 'utf8'));
  bufs.forEach((b, i) => (offsets[i + 1] = offsets[i]! + b.length));
  const all = Buffer.concat(bufs);
  return makeData({ type: new Utf8(), length: strings.length, valueOffsets: offsets, data: new Uint8Array(all.buffer, all.byteOffset, all.length) });
}

/** Arrow IPC file: line (1-based) int32, text utf8, n_tokens int32, embedding fixed_size_list<float32>[d]. */
export function pooledToArrow(texts: readonly string[], r: EmbedResult, d: number): Uint8Array {
  const n = texts.length;
  const vecType = new FixedSizeList(d, new Field('item', new Float32(), false));
  const schema = new Schema([
    new Field('line', new Int32(), false),
    new Field('text', new Utf8(), false),
    new Field('n_tokens', new Int32(), false),
    new Field('embedding', vecType, false),
  ]);
  const flat = new Float32Array(n * d);
  r.pooled.forEach((v, i) => flat.set(v, i * d));
  const children: Data[] = [
    makeData({ type: new Int32(), length: n, data: Int32Array.from({ length: n }, (_, i) => i + 1) }),
    utf8Data(texts),
    makeData({ type: new Int32(), length: n, data: Int32Array.from(r.inputIds, (ids) => ids.length) }),
    makeData({ type: vecType, length: n, child: makeData({ type: new Float32(), length: n * d, data: flat }) }),
  ];
  const batch = new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: n, children }));
  return tableToIPC(new Table([batch]), 'file');
}

function readTexts(file: string): string[] {
  if (!existsSync(file) || !statSync(file).isFile()) throw new CliArgsError(`--text ${file}: file not found`);
  const lines = readFileSync(file, 'utf8').split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  if (lines.length === 0) throw new DataError(`${file}: no texts (expected one text per line)`);
  return lines;
}

function chooseFormat(out: string, format: string | undefined): 'arrow' | 'json' {
  if (format) return format as 'arrow' | 'json';
  const ext = path.extname(out).toLowerCase();
  if (ext === '.arrow') return 'arrow';
  if (ext === '.json') return 'json';
  throw new CliArgsError(`--out ${out}: cannot tell the format from the extension "${ext}"; use .arrow or .json, or pass --format arrow|json`);
}

export function modelSpec(model: string): BackboneSpec {
  return model === 'use-lite' ? { kind: 'use-lite', tuning: 'frozen' } : { kind: 'hf', path: model, tuning: 'frozen' };
}

export const embedCommand: UnictrCommand<EmbedArgs> = {
  command: 'embed',
  describe: 'Write sentence vectors (masked mean of the last layer) of a text file, one text per line',
  examples: [
    ['unictr embed --model use-lite --text texts.txt --out vectors.arrow', 'one USE-lite vector per line of texts.txt'],
    ['unictr embed --model test/fixtures/tiny-bert --text texts.txt --out states.json --all-layers --format json', 'every layer of a Hugging Face folder'],
  ],
  builder: (y) =>
    y
      .option('model', { type: 'string', demandOption: true, describe: 'Hugging Face model folder, or "use-lite" (built in)' })
      .option('text', { type: 'string', demandOption: true, describe: 'text file, one text per line' })
      .option('out', { type: 'string', demandOption: true, describe: 'output file (.arrow or .json)' })
      .option('format', { choices: ['arrow', 'json'] as const, describe: 'output format (default: from the --out extension)' })
      .option('all-layers', {
        type: 'boolean',
        default: false,
        describe: 'with --format json: write {"input_ids": [text][token], "hidden_states": [layer][text][token][dim]}',
      })
      .option('max-length', { type: 'number', default: 128, describe: 'tokens per text (longer texts are truncated)' })
      .option('batch-size', { type: 'number', default: 32, describe: 'texts per encoder call' })
      .option('truncation', {
        choices: TRUNCATIONS,
        default: 'right' as const,
        describe: 'how longer texts are cut: right (keep the start) or middle (keep the first quarter and the end), as backbone.truncation',
      })
      .option('engine', {
        choices: ['auto', 'onnx', 'tfjs'] as const,
        default: 'auto' as const,
        describe: 'auto: onnxruntime for use-lite and for folders with an ONNX export (hidden_state outputs), else tfjs',
      }) as never,
  handler: async (args) => {
    const format = chooseFormat(args.out, args.format);
    if (args['all-layers'] && format !== 'json') throw new CliArgsError('--all-layers needs --format json (Arrow output holds pooled vectors only)');
    for (const k of ['max-length', 'batch-size'] as const) {
      if (!Number.isInteger(args[k]) || args[k] < 1) throw new CliArgsError(`--${k} must be a positive integer, got ${args[k]}`);
    }
    const texts = readTexts(args.text);
    await startBackend(args);
    const encoder = withTruncation(await createStateEncoder(modelSpec(args.model), undefined, args.engine), args.truncation);
    try {
      const r = await embedTexts(encoder, texts, { maxLength: args['max-length'], batchSize: args['batch-size'], allLayers: args['all-layers'] });
      const d = encoder.hiddenSize;
      let bytes: string | Uint8Array;
      if (format === 'arrow') {
        bytes = pooledToArrow(texts, r, d);
      } else if (r.states) {
        const rows = (a: Float32Array) => Array.from({ length: a.length / d }, (_, t) => Array.from(a.subarray(t * d, (t + 1) * d)));
        bytes = JSON.stringify({ input_ids: r.inputIds, hidden_states: r.states.map((perLayer) => perLayer.map(rows)) });
      } else {
        bytes = JSON.stringify({
          model: encoder.id,
          layer: encoder.numLayers,
          pooling: encoder.pooling === 'last' ? 'last token' : 'masked mean',
          dim: d,
          n_tokens: r.inputIds.map((ids) => ids.length),
          embeddings: r.pooled.map((v) => Array.from(v)),
        });
      }
      await atomicWriteFile(args.out, bytes);
      log.info(`wrote ${texts.length} ${r.states ? 'token-state sets' : 'vectors'} (d=${d}, ${encoder.id}) to ${args.out}`);
    } finally {
      encoder.dispose?.();
    }
  },
};
