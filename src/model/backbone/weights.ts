/**
 * safetensors reading and writing.
 *
 * Layout: 8-byte little-endian header length N, N bytes of JSON header
 * `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?: {str: str}}`, then the raw
 * little-endian tensor bytes; offsets are relative to the end of the header.
 * Reading converts F32, F16 and BF16 to float32 on demand; other dtypes are listed but not decoded.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { ModelFolderError } from '../../util/errors.js';
import { atomicWriteFile } from '../../util/fs.js';

const DTYPE_BYTES: Record<string, number> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1, F8_E4M3: 1, F8_E5M2: 1,
};

export interface TensorEntry {
  dtype: string;
  shape: number[];
  /** Byte range within the data section. */
  begin: number;
  end: number;
}

export class SafetensorsFile {
  private constructor(
    readonly file: string,
    private readonly bytes: Uint8Array,
    private readonly dataStart: number,
    readonly entries: ReadonlyMap<string, TensorEntry>,
    readonly metadata: Record<string, string>,
  ) {}

  static read(file: string): SafetensorsFile {
    let bytes: Uint8Array;
    try {
      // Node reads at most 2 GiB into one buffer; say so instead of failing with ERR_FS_FILE_TOO_LARGE.
      const size = statSync(file).size;
      if (size > MAX_FILE_BYTES) {
        throw new ModelFolderError(
          `${file}: ${(size / 2 ** 30).toFixed(1)} GiB is more than the 2 GiB one weights file may hold here; save the model sharded (save_pretrained(..., max_shard_size="1GB"))`,
        );
      }
      bytes = readFileSync(file);
    } catch (e) {
      if (e instanceof ModelFolderError) throw e;
      throw new ModelFolderError(`${file}: cannot read weights (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    return SafetensorsFile.parse(bytes, file);
  }

  static parse(bytes: Uint8Array, file: string): SafetensorsFile {
    const bad = (why: string): never => {
      throw new ModelFolderError(`${file}: not a valid safetensors file (${why})`);
    };
    if (bytes.length < 8) bad('shorter than the 8-byte header length');
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const n = Number(view.getBigUint64(0, true));
    if (n > bytes.length - 8 || n > 100_000_000) bad(`header length ${n} exceeds file size ${bytes.length}`);
    let header: unknown;
    try {
      header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
    } catch (e) {
      bad(`header is not JSON: ${(e as Error).message}`);
    }
    if (typeof header !== 'object' || header === null || Array.isArray(header)) bad('header is not a JSON object');
    const dataStart = 8 + n;
    const dataLen = bytes.length - dataStart;
    const entries = new Map<string, TensorEntry>();
    let metadata: Record<string, string> = {};
    for (const [name, v] of Object.entries(header as Record<string, unknown>)) {
      if (name === '__metadata__') {
        metadata = (v ?? {}) as Record<string, string>;
        continue;
      }
      const e = v as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
      if (typeof e?.dtype !== 'string' || !(e.dtype in DTYPE_BYTES)) bad(`tensor "${name}": unknown dtype ${JSON.stringify(e?.dtype)}`);
      if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isInteger(d) && d >= 0)) bad(`tensor "${name}": bad shape`);
      const offs = e.data_offsets;
      if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((d) => Number.isInteger(d) && d >= 0)) bad(`tensor "${name}": bad data_offsets`);
      const [begin, end] = offs as [number, number];
      const shape = e.shape as number[];
      const expected = shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[e.dtype as string]!;
      if (end < begin || end > dataLen || end - begin !== expected) {
        bad(`tensor "${name}": data_offsets [${begin}, ${end}] do not match dtype ${String(e.dtype)} shape [${shape.join(', ')}] within ${dataLen} data bytes`);
      }
      entries.set(name, { dtype: e.dtype as string, shape, begin, end });
    }
    return new SafetensorsFile(file, bytes, dataStart, entries, metadata);
  }

  /** sha256 of the whole file, hex. */
  sha256(): string {
    return createHash('sha256').update(this.bytes).digest('hex');
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  /** Decode a tensor to float32 (copy). */
  getFloat32(name: string): { shape: number[]; data: Float32Array } {
    const e = this.entries.get(name);
    if (!e) throw new ModelFolderError(`${this.file}: missing tensor "${name}"`);
    const n = e.shape.reduce((a, b) => a * b, 1);
    const view = new DataView(this.bytes.buffer, this.bytes.byteOffset + this.dataStart + e.begin, e.end - e.begin);
    const out = new Float32Array(n);
    switch (e.dtype) {
      case 'F32':
        if (LITTLE_ENDIAN && view.byteOffset % 4 === 0) out.set(new Float32Array(view.buffer, view.byteOffset, n));
        else for (let i = 0; i < n; i++) out[i] = view.getFloat32(i * 4, true);
        break;
      case 'F16':
        for (let i = 0; i < n; i++) out[i] = halfToFloat(view.getUint16(i * 2, true));
        break;
      case 'BF16': {
        // bfloat16 is the top half of a float32.
        const u32 = new Uint32Array(out.buffer);
        for (let i = 0; i < n; i++) u32[i] = view.getUint16(i * 2, true) << 16;
        break;
      }
      case 'F64':
        for (let i = 0; i < n; i++) out[i] = view.getFloat64(i * 8, true);
        break;
      default:
        throw new ModelFolderError(`${this.file}: tensor "${name}" has dtype ${e.dtype}; expected F32, F16 or BF16`);
    }
    return { shape: e.shape.slice(), data: out };
  }
}

const MAX_FILE_BYTES = 2 ** 31 - 1;

/** Where the tensors of a model folder come from: one safetensors file, or the shards of an index. */
export interface WeightSource {
  /** Names the source in messages. */
  readonly file: string;
  has(name: string): boolean;
  entry(name: string): TensorEntry | undefined;
  /** The file holding `name` (for messages). */
  fileOf(name: string): string;
  getFloat32(name: string): { shape: number[]; data: Float32Array };
  /** sha256 over the weight files' bytes, hex. */
  sha256(): string;
}

export function singleFileSource(st: SafetensorsFile): WeightSource {
  return {
    file: st.file,
    has: (n) => st.has(n),
    entry: (n) => st.entries.get(n),
    fileOf: () => st.file,
    getFloat32: (n) => st.getFloat32(n),
    sha256: () => st.sha256(),
  };
}

/**
 * Shards listed by `model.safetensors.index.json` (`{"weight_map": {tensor: shard file}}`), the
 * layout Hugging Face writes for large models. Shards are read when first needed.
 */
export function shardedSource(indexFile: string): WeightSource {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(indexFile, 'utf8'));
  } catch (e) {
    throw new ModelFolderError(`${indexFile}: cannot read shard index (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const map = (raw as { weight_map?: unknown } | null)?.weight_map;
  if (typeof map !== 'object' || map === null || Array.isArray(map) || !Object.values(map).every((f) => typeof f === 'string')) {
    throw new ModelFolderError(`${indexFile}: expected {"weight_map": {"tensor name": "shard file", ...}}`);
  }
  const weightMap = new Map(Object.entries(map as Record<string, string>));
  const dir = path.dirname(indexFile);
  const shardNames = [...new Set(weightMap.values())].sort();
  for (const f of shardNames) {
    if (f.includes('/') || f.includes('\\') || !existsSync(path.join(dir, f))) {
      throw new ModelFolderError(`${path.join(dir, f)}: shard listed in ${indexFile} is missing`);
    }
  }
  const shards = new Map<string, SafetensorsFile>();
  const shard = (f: string): SafetensorsFile => {
    let st = shards.get(f);
    if (!st) {
      st = SafetensorsFile.read(path.join(dir, f));
      shards.set(f, st);
    }
    return st;
  };
  const holder = (name: string): SafetensorsFile | undefined => {
    const f = weightMap.get(name);
    if (f === undefined) return undefined;
    const st = shard(f);
    if (!st.has(name)) throw new ModelFolderError(`${st.file}: missing tensor "${name}" (${indexFile} says this shard holds it)`);
    return st;
  };
  return {
    file: indexFile,
    has: (n) => weightMap.has(n),
    entry: (n) => holder(n)?.entries.get(n),
    fileOf: (n) => holder(n)?.file ?? indexFile,
    getFloat32: (n) => {
      const st = holder(n);
      if (!st) throw new ModelFolderError(`${indexFile}: missing tensor "${n}"`);
      return st.getFloat32(n);
    },
    sha256: () => {
      const h = createHash('sha256');
      for (const f of shardNames) h.update(shard(f).sha256());
      return h.digest('hex');
    },
  };
}

/** The weights of a model folder: `model.safetensors`, else the shards of `model.safetensors.index.json`. */
export function openWeights(folder: string): WeightSource {
  const single = path.join(folder, 'model.safetensors');
  if (existsSync(single)) return singleFileSource(SafetensorsFile.read(single));
  const index = path.join(folder, 'model.safetensors.index.json');
  if (existsSync(index)) return shardedSource(index);
  const bin = existsSync(path.join(folder, 'pytorch_model.bin')) || existsSync(path.join(folder, 'pytorch_model.bin.index.json'));
  throw new ModelFolderError(
    bin
      ? `${single}: missing; only safetensors weights are supported (the folder has pytorch_model.bin; convert it with the safetensors library)`
      : `${single}: missing model file (a model folder needs model.safetensors or model.safetensors.index.json with its shards)`,
  );
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

export interface TensorToWrite {
  shape: readonly number[];
  data: Float32Array;
}

/** Serialise float32 tensors (sorted by name, as the reference implementation does). */
export function encodeSafetensors(tensors: ReadonlyMap<string, TensorToWrite>, metadata?: Record<string, string>): Uint8Array {
  const names = [...tensors.keys()].sort();
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const name of names) {
    const t = tensors.get(name)!;
    const size = t.shape.reduce((a, b) => a * b, 1);
    if (size !== t.data.length) throw new Error(`safetensors: tensor "${name}" has ${t.data.length} values for shape [${t.shape.join(', ')}]`);
    header[name] = { dtype: 'F32', shape: [...t.shape], data_offsets: [offset, offset + size * 4] };
    offset += size * 4;
  }
  let json = JSON.stringify(header);
  // Pad the header with spaces so the data section starts 8-byte aligned.
  while ((8 + Buffer.byteLength(json)) % 8 !== 0) json += ' ';
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let pos = 8 + headerBytes.length;
  for (const name of names) {
    const d = tensors.get(name)!.data;
    for (let i = 0; i < d.length; i++, pos += 4) view.setFloat32(pos, d[i]!, true);
  }
  return out;
}

/** Write float32 tensors as a safetensors file, atomically. */
export async function writeSafetensors(file: string, tensors: ReadonlyMap<string, TensorToWrite>, metadata?: Record<string, string>): Promise<void> {
  await atomicWriteFile(file, encodeSafetensors(tensors, metadata));
}
