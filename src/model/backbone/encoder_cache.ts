/**
 * Frozen-backbone state cache: the per-token hidden states the ladders read (H0, Hφ, …, HL) are
 * computed once per processed split and kept on disk, so frozen training never runs the encoder.
 *
 * Layout of one cache folder `<root>/<encoder-slug>-<key16>/` (little-endian):
 *   header.json          format, version, key and its inputs, rows, hidden size, layers, dtype,
 *                        total tokens, file sizes
 *   index.bin            u32 token count per row (rows × 4 B), then u32 checksum per row and
 *                        layer (rows × layers × 4 B, row-major)
 *   layer_<l>.i8|.f16|.f32  the real (unpadded) tokens of every row, concatenated in row order:
 *                        row r's block starts at token offset Σ_{i<r} len_i; float16/float32 blocks
 *                        are [len_r, d]; int8 blocks are len_r float32 scales then [len_r, d] int8
 *                        (per-token absmax: x ≈ q · scale, scale = max|x_t| / 127)
 * Bytes per row = len × layers × (d + 4 for int8 | 2d for float16 | 4d for float32) + 4 × (1 + layers).
 * Before encoding, the size is computed from the token counts and printed; a cache over the budget
 * (`budgetBytes`, config `backbone.cache_budget_gb`) is refused before any encoder work.
 * Masks are not stored: every row's real tokens are a prefix (right padding), so the token count
 * is the mask. Reads use positioned fs reads per row block; nothing is loaded as a whole.
 * Building encodes prompts in batches of similar token count (less padding); each row's block is
 * still written at its row-order offset, so the layout does not depend on how rows were batched.
 *
 * @example
 *   const cache = await openStateCache({ root, encoder: backboneStateEncoder(bb), prompts, maxLength: 64, layers: [0, 2, 4] });
 *   const states = cache.batch(Int32Array.from([5, 9, 2]));   // TokenStates, tensors [3, seqMax, d]
 */
import * as tf from '@tensorflow/tfjs-core';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync, statSync, writeSync } from 'node:fs';
import { endianness } from 'node:os';
import path from 'node:path';
import { DataError, ConfigError } from '../../util/errors.js';
import { decodeFloat16, encodeFloat16 } from '../../util/float16.js';
import { atomicWriteDir } from '../../util/fs.js';
import { stableStringify } from '../../util/config.js';
import { log } from '../../util/log.js';
import type { TokenStates } from '../types.js';
import type { Backbone, TokenizedBatch } from './types.js';
import { forwardInSlices } from './sliced_forward.js';

export const CACHE_FORMAT = 'unictr-state-cache';
export const CACHE_VERSION = 1;

export type CacheDtype = 'int8' | 'float16' | 'float32';
export const CACHE_DTYPES: readonly CacheDtype[] = ['int8', 'float16', 'float32'];

/** Bytes one token of one layer takes on disk. */
export function tokenBytes(dtype: CacheDtype, d: number): number {
  return dtype === 'int8' ? d + 4 : dtype === 'float16' ? 2 * d : 4 * d;
}

/** Exact on-disk size of a cache of `totalTokens` tokens over `rows` rows. */
export function cacheBytes(dtype: CacheDtype, d: number, layers: number, rows: number, totalTokens: number): number {
  return totalTokens * layers * tokenBytes(dtype, d) + 4 * rows * (1 + layers);
}

/** What the cache needs from an encoder: the tfjs Backbone (via `backboneStateEncoder`) or ONNX. */
export interface StateEncoder {
  /** Identity in the cache key (architecture + weights fingerprint). */
  readonly id: string;
  readonly numLayers: number;
  readonly hiddenSize: number;
  /** Sentence-vector pooling of the last layer: masked mean (default) or last real token. */
  readonly pooling?: 'mean' | 'last';
  tokenize(texts: readonly string[], maxLength: number): TokenizedBatch;
  /** States for `layers`, each [batch, seqLen, d] row-major float32, in the order asked. */
  encode(tokens: TokenizedBatch, layers: readonly number[]): Promise<Float32Array[]>;
  dispose?(): void;
}

/**
 * Adapt a tfjs Backbone to the cache's encoder interface (frozen forward, no dropout). With
 * `owned`, the encoder's dispose() disposes the backbone too.
 */
export function backboneStateEncoder(backbone: Backbone, owned = false): StateEncoder {
  return {
    id: backbone.id,
    numLayers: backbone.numLayers,
    hiddenSize: backbone.hiddenSize,
    pooling: backbone.pooling,
    tokenize: (texts, maxLength) => backbone.tokenize(texts, maxLength),
    async encode(tokens, layers) {
      const ids = tf.tensor2d(tokens.inputIds, [tokens.batch, tokens.seqLen], 'int32');
      const mask = tf.tensor2d(tokens.attentionMask, [tokens.batch, tokens.seqLen], 'int32');
      const outs = forwardInSlices(backbone, ids, mask, layers, { training: false });
      try {
        return (await Promise.all(outs.map((o) => o.data()))) as Float32Array[];
      } finally {
        tf.dispose([ids, mask, ...outs]);
      }
    },
    dispose() {
      if (owned) backbone.dispose();
    },
  };
}

export interface StateCacheOptions {
  /** Folder holding cache folders (one per key). */
  root: string;
  encoder: StateEncoder;
  /** One prompt per row of the processed split (its `prompt` column), in row order. */
  prompts: readonly string[];
  maxLength: number;
  /** States to keep, e.g. [0, 2, 4] for φ = 2 on a 4-layer model. */
  layers: readonly number[];
  /** Template text of the processed folder (manifest.template.text); part of the key. */
  template?: string;
  /**
   * Default int8 with one scale per token (about a quarter of float32; error ≤ half a step of
   * max|x_t|/127 per value); float16 halves float32 (≤ 2^-11 relative).
   */
  dtype?: CacheDtype;
  /** Refuse to build a cache larger than this many bytes (checked before encoding). */
  budgetBytes?: number;
  /** Prompts per encoder call while building. Default 32. */
  batchSize?: number;
  /** Build progress, called after each encoder batch. */
  onProgress?: (done: number, total: number) => void;
}

export interface CacheHeader {
  format: string;
  version: number;
  key: string;
  encoder_id: string;
  template_sha256: string;
  prompts_sha256: string;
  max_length: number;
  layers: number[];
  dtype: CacheDtype;
  rows: number;
  hidden_size: number;
  total_tokens: number;
  /** Byte size of each file, checked on open. */
  files: Record<string, number>;
  created_at: string;
  build_seconds: number;
}

export interface StateBatchArrays {
  batch: number;
  seqLen: number;
  /** One [batch, seqLen, d] float32 array per requested layer; padding is zero. */
  states: Float32Array[];
  /** [batch, seqLen], 1 for real tokens. */
  mask: Float32Array;
}

export interface StateCache {
  readonly dir: string;
  readonly key: string;
  readonly header: CacheHeader;
  readonly rows: number;
  readonly hiddenSize: number;
  /** Cached layers, ascending. */
  readonly layers: readonly number[];
  /** Real token count of each row. */
  readonly lengths: Int32Array;
  /** True when this open call (re)built the cache. */
  readonly built: boolean;
  /** States of the given rows as typed arrays (no tfjs). `layers` defaults to every cached layer. */
  read(rowIndices: Int32Array, layers?: readonly number[]): StateBatchArrays;
  /** States of the given rows as tensors [b, seqMax in batch, d] plus a float mask [b, seqMax]. */
  batch(rowIndices: Int32Array, layers?: readonly number[]): TokenStates;
  /** Average bytes per row on disk (index included). */
  bytesPerRow(): number;
  close(): void;
}

function sha256(parts: Iterable<string>): string {
  const h = createHash('sha256');
  for (const p of parts) {
    // Length prefix keeps ["ab","c"] and ["a","bc"] apart.
    h.update(`${Buffer.byteLength(p)}:`);
    h.update(p);
  }
  return h.digest('hex');
}

function normaliseLayers(layers: readonly number[], numLayers: number): number[] {
  if (layers.length === 0) throw new ConfigError('state cache: the layer set is empty');
  for (const l of layers) {
    if (!Number.isInteger(l) || l < 0 || l > numLayers) {
      throw new ConfigError(`state cache: layer ${l} is outside H0..H${numLayers} of the backbone`);
    }
  }
  return [...new Set(layers)].sort((a, b) => a - b);
}

function cacheKey(opts: StateCacheOptions, layers: number[], dtype: CacheDtype, promptsSha: string, templateSha: string): string {
  return createHash('sha256')
    .update(
      stableStringify({
        format: CACHE_FORMAT,
        version: CACHE_VERSION,
        encoder: opts.encoder.id,
        template_sha256: templateSha,
        max_length: opts.maxLength,
        layers,
        dtype,
        prompts_sha256: promptsSha,
      }),
    )
    .digest('hex');
}

/** 32-bit FNV-1a over the block's 16-bit words: cheap enough to verify on every read. */
function checksum(words: Uint16Array, start: number, length: number): number {
  let h = 0x811c9dc5;
  for (let i = start, end = start + length; i < end; i++) h = Math.imul(h ^ words[i]!, 0x01000193);
  return h >>> 0;
}

/** The same hash over bytes (int8 blocks may have an odd byte count). */
function checksumBytes(bytes: Uint8Array, length: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < length; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return h >>> 0;
}

/**
 * Quantise `tokens` tokens of width d from src[srcOff…] into an int8 block: the tokens' float32
 * scales, then their int8 values (round to nearest, |q| ≤ 127).
 */
export function encodeInt8Block(src: Float32Array, srcOff: number, tokens: number, d: number, out: Uint8Array): void {
  const scales = new Float32Array(out.buffer, out.byteOffset, tokens);
  const q = new Int8Array(out.buffer, out.byteOffset + 4 * tokens, tokens * d);
  for (let t = 0; t < tokens; t++) {
    const base = srcOff + t * d;
    let max = 0;
    for (let j = 0; j < d; j++) max = Math.max(max, Math.abs(src[base + j]!));
    const scale = max / 127;
    scales[t] = scale;
    const inv = scale > 0 ? 1 / scale : 0;
    for (let j = 0; j < d; j++) q[t * d + j] = Math.max(-127, Math.min(127, Math.round(src[base + j]! * inv)));
  }
}

/** Inverse of encodeInt8Block into out[outOff…]. */
export function decodeInt8Block(block: Uint8Array, tokens: number, d: number, out: Float32Array, outOff: number): void {
  const scales = new Float32Array(block.buffer, block.byteOffset, tokens);
  const q = new Int8Array(block.buffer, block.byteOffset + 4 * tokens, tokens * d);
  for (let t = 0; t < tokens; t++) {
    const scale = scales[t]!;
    const o = outOff + t * d;
    for (let j = 0; j < d; j++) out[o + j] = q[t * d + j]! * scale;
  }
}

/** writeSync may write less than asked; loop until the whole buffer is out. */
function writeAll(fd: number, bytes: Uint8Array): void {
  for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off, bytes.length - off);
}

/** Positioned write of the whole buffer at `position`. */
function writeAllAt(fd: number, bytes: Uint8Array, position: number): void {
  for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off, bytes.length - off, position + off);
}

/** Positioned read of `length` bytes; fewer only at end of file. */
function readAll(fd: number, bytes: Uint8Array, length: number, position: number): number {
  let got = 0;
  while (got < length) {
    const n = readSync(fd, bytes, got, length - got, position + got);
    if (n === 0) break;
    got += n;
  }
  return got;
}

function layerFile(l: number, dtype: CacheDtype): string {
  return `layer_${l}.${dtype === 'int8' ? 'i8' : dtype === 'float16' ? 'f16' : 'f32'}`;
}

/** "1.23 GB" (decimal, as disks are sold). */
export function formatBytes(n: number): string {
  return n >= 1e9 ? `${(n / 1e9).toFixed(2)} GB` : n >= 1e6 ? `${(n / 1e6).toFixed(1)} MB` : `${(n / 1e3).toFixed(1)} kB`;
}

function slug(id: string): string {
  return id.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 48);
}

/** Real token count of each row of a right-padded batch; throws when a mask is not a prefix. */
export function rowLengths(tok: TokenizedBatch, firstPrompt: (i: number) => number): number[] {
  const s = tok.seqLen;
  return Array.from({ length: tok.batch }, (_, i) => {
    let len = 0;
    while (len < s && tok.attentionMask[i * s + len]) len++;
    for (let t = len; t < s; t++) {
      if (tok.attentionMask[i * s + t]) {
        throw new DataError(`state cache: prompt ${firstPrompt(i)} has a mask that is not a prefix (left padding is not supported)`);
      }
    }
    return len;
  });
}

async function build(dir: string, opts: StateCacheOptions, header: Omit<CacheHeader, 'rows' | 'total_tokens' | 'files' | 'created_at' | 'build_seconds'>): Promise<void> {
  const { encoder, prompts } = opts;
  const layers = header.layers;
  const d = encoder.hiddenSize;
  const tb = tokenBytes(header.dtype, d);
  const batchSize = opts.batchSize ?? 32;
  const rows = prompts.length;
  const lengths = new Uint32Array(rows);
  const sums = new Uint32Array(rows * layers.length);
  const t0 = Date.now();
  // Pass 1, tokenizer only: every row's token count fixes where its block lies in the layer files.
  for (let start = 0; start < rows; start += batchSize) {
    const texts = prompts.slice(start, start + batchSize);
    const tok = encoder.tokenize(texts, opts.maxLength);
    if (tok.batch !== texts.length) throw new Error(`encoder ${encoder.id} tokenized ${texts.length} prompts into ${tok.batch} rows`);
    lengths.set(rowLengths(tok, (i) => start + i), start);
  }
  const offsets = new Float64Array(rows + 1);
  for (let r = 0; r < rows; r++) offsets[r + 1] = offsets[r]! + lengths[r]!;
  const totalTokens = offsets[rows]!;
  const bytes = cacheBytes(header.dtype, d, layers.length, rows, totalTokens);
  log.info(
    `state cache needs ${formatBytes(bytes)} on disk (${rows} rows, ${totalTokens} tokens, ${(totalTokens / Math.max(rows, 1)).toFixed(1)} per row, ` +
      `${layers.length} layers × d ${d}, ${header.dtype})`,
  );
  if (opts.budgetBytes !== undefined && bytes > opts.budgetBytes) {
    throw new ConfigError(
      `state cache would need ${formatBytes(bytes)}, over backbone.cache_budget_gb = ${opts.budgetBytes / 1e9}: ` +
        `raise the budget, use backbone.cache_dtype int8, lower backbone.max_length or encode fewer rows`,
    );
  }
  // Pass 2 encodes prompts of similar length together, so batches carry almost no padding (row
  // order pads ~17% on templated prompts, and attention cost grows with the square of the length);
  // each row's block is written at its row-order offset, so the layout does not depend on batching.
  const order = Array.from({ length: rows }, (_, r) => r).sort((a, b) => lengths[a]! - lengths[b]! || a - b);
  const fds = layers.map((l) => openSync(path.join(dir, layerFile(l, header.dtype)), 'w'));
  try {
    for (let start = 0; start < rows; start += batchSize) {
      const batchRows = order.slice(start, start + batchSize);
      const tok = encoder.tokenize(batchRows.map((r) => prompts[r]!), opts.maxLength);
      const s = tok.seqLen;
      if (tok.batch !== batchRows.length) throw new Error(`encoder ${encoder.id} tokenized ${batchRows.length} prompts into ${tok.batch} rows`);
      rowLengths(tok, (i) => batchRows[i]!).forEach((len, i) => {
        if (len !== lengths[batchRows[i]!]) {
          throw new Error(`encoder ${encoder.id} tokenized prompt ${batchRows[i]} into ${len} tokens in a batch, ${lengths[batchRows[i]!]} before`);
        }
      });
      const states = await encoder.encode(tok, layers);
      layers.forEach((_, li) => {
        const src = states[li]!;
        if (src.length !== tok.batch * s * d) {
          throw new Error(`encoder ${encoder.id} returned ${src.length} values for layer ${layers[li]}, expected ${tok.batch}×${s}×${d}`);
        }
        // Sized in 16-bit words (float32 elements take two each; int8 blocks round up).
        const words = new Uint16Array(Math.ceil((s * tb) / 2));
        const block = new Uint8Array(words.buffer);
        batchRows.forEach((r, i) => {
          const len = lengths[r]!;
          const n = len * d;
          const byteLen = len * tb;
          if (header.dtype === 'int8') {
            encodeInt8Block(src, i * s * d, len, d, block);
            sums[r * layers.length + li] = checksumBytes(block, byteLen);
          } else {
            if (header.dtype === 'float16') encodeFloat16(src, words, i * s * d, n, 0);
            else new Float32Array(words.buffer, 0, n).set(src.subarray(i * s * d, i * s * d + n));
            sums[r * layers.length + li] = checksum(words, 0, byteLen / 2);
          }
          writeAllAt(fds[li]!, new Uint8Array(words.buffer, 0, byteLen), offsets[r]! * tb);
        });
      });
      opts.onProgress?.(Math.min(start + batchSize, rows), rows);
    }
  } finally {
    for (const fd of fds) closeSync(fd);
  }
  const index = new Uint32Array(rows * (1 + layers.length));
  index.set(lengths, 0);
  index.set(sums, rows);
  const indexFd = openSync(path.join(dir, 'index.bin'), 'w');
  try {
    writeAll(indexFd, new Uint8Array(index.buffer));
  } finally {
    closeSync(indexFd);
  }
  const files: Record<string, number> = { 'index.bin': index.byteLength };
  for (const l of layers) files[layerFile(l, header.dtype)] = totalTokens * tb;
  const full: CacheHeader = {
    ...header,
    rows,
    total_tokens: totalTokens,
    files,
    created_at: new Date().toISOString(),
    build_seconds: (Date.now() - t0) / 1000,
  };
  // header.json is written last: a folder without it is never treated as complete.
  const fd = openSync(path.join(dir, 'header.json'), 'w');
  try {
    writeAll(fd, Buffer.from(JSON.stringify(full, null, 2) + '\n'));
  } finally {
    closeSync(fd);
  }
}

/** Why an existing cache folder cannot be used, or null when it is complete and matches. */
function problemWith(dir: string, key: string, rows: number): string | null {
  const headerPath = path.join(dir, 'header.json');
  if (!existsSync(headerPath)) return 'header.json is missing';
  let h: CacheHeader;
  try {
    h = JSON.parse(readFileSync(headerPath, 'utf8')) as CacheHeader;
  } catch (e) {
    return `header.json is unreadable (${(e as Error).message})`;
  }
  if (h.format !== CACHE_FORMAT || h.version !== CACHE_VERSION) return `format ${h.format} v${h.version} is not ${CACHE_FORMAT} v${CACHE_VERSION}`;
  if (h.key !== key) return 'key in header.json does not match';
  if (h.rows !== rows) return `header.json says ${h.rows} rows, expected ${rows}`;
  for (const [file, bytes] of Object.entries(h.files ?? {})) {
    const p = path.join(dir, file);
    if (!existsSync(p)) return `${file} is missing`;
    const size = statSync(p).size;
    if (size !== bytes) return `${file} has ${size} bytes, header.json says ${bytes}`;
  }
  return null;
}

class DiskStateCache implements StateCache {
  readonly rows: number;
  readonly hiddenSize: number;
  readonly layers: readonly number[];
  readonly lengths: Int32Array;
  private readonly offsets: Float64Array;
  private readonly sums: Uint32Array;
  private readonly fds = new Map<number, number>();
  /** Bytes per token per layer on disk. */
  private readonly tb: number;

  constructor(
    readonly dir: string,
    readonly key: string,
    readonly header: CacheHeader,
    readonly built: boolean,
  ) {
    this.rows = header.rows;
    this.hiddenSize = header.hidden_size;
    this.layers = header.layers;
    this.tb = tokenBytes(header.dtype, header.hidden_size);
    const raw = readFileSync(path.join(dir, 'index.bin'));
    const index = new Uint32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
    this.lengths = Int32Array.from(index.subarray(0, this.rows));
    this.sums = index.slice(this.rows);
    this.offsets = new Float64Array(this.rows + 1);
    for (let r = 0; r < this.rows; r++) this.offsets[r + 1] = this.offsets[r]! + this.lengths[r]!;
    if (this.offsets[this.rows] !== header.total_tokens) {
      throw new DataError(`${path.join(dir, 'index.bin')}: token counts sum to ${this.offsets[this.rows]}, header.json says ${header.total_tokens}`);
    }
    for (const l of this.layers) {
      const fd = openSync(path.join(dir, layerFile(l, header.dtype)), 'r');
      this.fds.set(l, fd);
      const size = fstatSync(fd).size;
      if (size !== header.total_tokens * this.tb) {
        throw new DataError(`${path.join(dir, layerFile(l, header.dtype))}: ${size} bytes, expected ${header.total_tokens * this.tb}`);
      }
    }
  }

  read(rowIndices: Int32Array, layers: readonly number[] = this.layers): StateBatchArrays {
    const d = this.hiddenSize;
    const b = rowIndices.length;
    let seqLen = 1;
    for (const r of rowIndices) {
      if (!(r >= 0 && r < this.rows)) throw new DataError(`state cache ${this.dir}: row ${r} is outside 0..${this.rows - 1}`);
      seqLen = Math.max(seqLen, this.lengths[r]!);
    }
    const mask = new Float32Array(b * seqLen);
    rowIndices.forEach((r, i) => mask.fill(1, i * seqLen, i * seqLen + this.lengths[r]!));
    const maxTokens = Math.max(1, ...Array.from(rowIndices, (r) => this.lengths[r]!));
    const words = new Uint16Array(Math.ceil((maxTokens * this.tb) / 2));
    const bytes = new Uint8Array(words.buffer);
    const states = layers.map((l) => {
      const li = this.layers.indexOf(l);
      if (li < 0) throw new ConfigError(`state cache ${this.dir} holds layers [${this.layers}], layer ${l} was requested`);
      const fd = this.fds.get(l)!;
      const out = new Float32Array(b * seqLen * d);
      rowIndices.forEach((r, i) => {
        const len = this.lengths[r]!;
        const n = len * d;
        const byteLen = len * this.tb;
        const got = readAll(fd, bytes, byteLen, this.offsets[r]! * this.tb);
        const int8 = this.header.dtype === 'int8';
        const sum = int8 ? checksumBytes(bytes, byteLen) : checksum(words, 0, byteLen / 2);
        if (got !== byteLen || sum !== this.sums[r * this.layers.length + li]) {
          throw new DataError(
            `state cache file ${path.join(this.dir, layerFile(l, this.header.dtype))} is corrupt at row ${r} (checksum mismatch); ` +
              `delete ${this.dir} and rerun to rebuild it`,
          );
        }
        if (int8) decodeInt8Block(bytes, len, d, out, i * seqLen * d);
        else if (this.header.dtype === 'float16') decodeFloat16(words, out, 0, n, i * seqLen * d);
        else out.set(new Float32Array(words.buffer, 0, n), i * seqLen * d);
      });
      return out;
    });
    return { batch: b, seqLen, states, mask };
  }

  batch(rowIndices: Int32Array, layers?: readonly number[]): TokenStates {
    const a = this.read(rowIndices, layers);
    const d = this.hiddenSize;
    return {
      layers: a.states.map((s) => tf.tensor3d(s, [a.batch, a.seqLen, d], 'float32')),
      mask: tf.tensor2d(a.mask, [a.batch, a.seqLen], 'float32'),
    };
  }

  bytesPerRow(): number {
    const total = Object.values(this.header.files).reduce((x, y) => x + y, 0);
    return this.rows === 0 ? 0 : total / this.rows;
  }

  close(): void {
    for (const fd of this.fds.values()) closeSync(fd);
    this.fds.clear();
  }
}

/**
 * Open the cache for these prompts/encoder/max length/layer set, building it (atomically, in a
 * temp folder renamed into place) when it is missing, incomplete or corrupt.
 */
export async function openStateCache(opts: StateCacheOptions): Promise<StateCache> {
  if (endianness() !== 'LE') throw new Error('the state cache layout is little-endian; this machine is big-endian');
  if (!Number.isInteger(opts.maxLength) || opts.maxLength < 1) throw new ConfigError(`state cache: max_length must be a positive integer, got ${opts.maxLength}`);
  const dtype = opts.dtype ?? 'int8';
  if (!CACHE_DTYPES.includes(dtype)) throw new ConfigError(`state cache: dtype "${String(dtype)}" should be one of: ${CACHE_DTYPES.join(', ')}`);
  const layers = normaliseLayers(opts.layers, opts.encoder.numLayers);
  const promptsSha = sha256(opts.prompts);
  const templateSha = sha256([opts.template ?? '']);
  const key = cacheKey(opts, layers, dtype, promptsSha, templateSha);
  const dir = path.resolve(opts.root, `${slug(opts.encoder.id)}-${key.slice(0, 16)}`);
  const problem = existsSync(dir) ? problemWith(dir, key, opts.prompts.length) : 'not built yet';
  let built = false;
  if (problem) {
    if (existsSync(dir)) log.warn(`state cache ${dir}: ${problem}; rebuilding`);
    log.info(`building state cache ${dir}: ${opts.prompts.length} prompts, layers [${layers}], max length ${opts.maxLength}, ${dtype}`);
    await atomicWriteDir(dir, (tmp) =>
      build(tmp, opts, {
        format: CACHE_FORMAT,
        version: CACHE_VERSION,
        key,
        encoder_id: opts.encoder.id,
        template_sha256: templateSha,
        prompts_sha256: promptsSha,
        max_length: opts.maxLength,
        layers,
        dtype,
        hidden_size: opts.encoder.hiddenSize,
      }),
    );
    built = true;
  }
  const header = JSON.parse(readFileSync(path.join(dir, 'header.json'), 'utf8')) as CacheHeader;
  return new DiskStateCache(dir, key, header, built);
}
