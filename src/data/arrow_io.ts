/**
 * Arrow IPC read/write of split files, with the columns documented in types.ts. Files are written
 * batch by batch so that memory stays bounded by one batch of prompts.
 */
import { createWriteStream, promises as fsp } from 'node:fs';
import { once } from 'node:events';
import {
  Field,
  Float64,
  Int32,
  Int64,
  Int8,
  List,
  makeData,
  RecordBatch,
  RecordBatchFileWriter,
  Schema,
  Struct,
  Utf8,
  tableFromIPC,
  type Data,
  type DataType,
} from 'apache-arrow';
import { DataError } from '../util/errors.js';
import { HISTORY_LEN, type SplitColumns } from './types.js';

/** Version of the processed-folder layout; bump when columns or manifest fields change. */
export const SCHEMA_VERSION = 1;

const HIST_TYPE = new List(new Field('item', new Int32(), false));

export const SPLIT_SCHEMA = new Schema([
  new Field('row_id', new Int32(), false),
  new Field('domain', new Utf8(), false),
  new Field('domain_id', new Int32(), false),
  new Field('user_id', new Int32(), false),
  new Field('item_id', new Int32(), false),
  new Field('brand_id', new Int32(), false),
  new Field('title_id', new Int32(), false),
  new Field('price', new Float64(), false),
  new Field('price_bucket', new Int32(), false),
  new Field('history_item_ids', HIST_TYPE, false),
  new Field('label', new Int8(), false),
  new Field('rating', new Float64(), false),
  new Field('unix_time', new Int64(), false),
  new Field('title', new Utf8(), false),
  new Field('brand', new Utf8(), false),
  new Field('prompt', new Utf8(), false),
]);

/** One batch of split rows in column form. `history` holds variable-length lists (offsets). */
export type SplitBatch = Omit<SplitColumns, 'history' | 'label' | 'unixTime'> & {
  historyOffsets: Int32Array;
  historyValues: Int32Array;
  label: Int8Array;
  unixTime: BigInt64Array;
};

function utf8(strings: string[]): Data<Utf8> {
  const offsets = new Int32Array(strings.length + 1);
  let total = 0;
  for (let i = 0; i < strings.length; i++) {
    total += Buffer.byteLength(strings[i]!, 'utf8');
    offsets[i + 1] = total;
  }
  const buf = Buffer.allocUnsafe(total);
  for (let i = 0; i < strings.length; i++) buf.write(strings[i]!, offsets[i]!, 'utf8');
  return makeData({ type: new Utf8(), length: strings.length, valueOffsets: offsets, data: new Uint8Array(buf.buffer, buf.byteOffset, total) });
}

function prim<T extends DataType>(type: T, data: ArrayLike<unknown>): Data<T> {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return makeData({ type, length: data.length, data: data as any } as any) as Data<T>;
}

export function toRecordBatch(b: SplitBatch): RecordBatch {
  const child = makeData({ type: new Int32(), length: b.historyValues.length, data: b.historyValues });
  const hist = makeData({ type: HIST_TYPE, length: b.rows, valueOffsets: b.historyOffsets, child });
  const children: Data[] = [
    prim(new Int32(), b.rowId),
    utf8(b.domain),
    prim(new Int32(), b.domainId),
    prim(new Int32(), b.userId),
    prim(new Int32(), b.itemId),
    prim(new Int32(), b.brandId),
    prim(new Int32(), b.titleId),
    prim(new Float64(), b.price),
    prim(new Int32(), b.priceBucket),
    hist,
    prim(new Int8(), b.label),
    prim(new Float64(), b.rating),
    prim(new Int64(), b.unixTime),
    utf8(b.title),
    utf8(b.brand),
    utf8(b.prompt),
  ];
  const data = makeData({ type: new Struct(SPLIT_SCHEMA.fields), length: b.rows, children });
  return new RecordBatch(SPLIT_SCHEMA, data);
}

/** Write batches to an Arrow IPC file (an empty split still gets a valid file with the schema). */
export async function writeSplitFile(file: string, batches: Iterable<SplitBatch>): Promise<void> {
  const writer = new RecordBatchFileWriter();
  const ws = createWriteStream(file);
  const done = once(ws, 'finish');
  writer.toNodeStream().pipe(ws);
  writer.reset(undefined, SPLIT_SCHEMA);
  for (const b of batches) {
    writer.write(toRecordBatch(b));
    // Let the stream drain between batches.
    await new Promise((r) => setImmediate(r));
  }
  writer.finish();
  await done;
}

/** Read a split file into flat typed arrays (history as rows × HISTORY_LEN, right-padded with 0). */
export async function readSplitFile(file: string): Promise<SplitColumns> {
  let bytes: Buffer;
  try {
    bytes = await fsp.readFile(file);
  } catch (e) {
    throw new DataError(`${file}: cannot read split file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  let t;
  try {
    t = tableFromIPC(bytes);
  } catch (e) {
    throw new DataError(`${file}: not an Arrow IPC file: ${(e as Error).message}`);
  }
  const missing = SPLIT_SCHEMA.fields.map((f) => f.name).filter((n) => !t.getChild(n));
  if (missing.length > 0) throw new DataError(`${file}: split file lacks column ${missing.map((m) => `"${m}"`).join(', ')}`);
  const n = t.numRows;
  const i32 = (name: string) => Int32Array.from(t.getChild(name)!.toArray() as ArrayLike<number>);
  const f64 = (name: string) => Float64Array.from(t.getChild(name)!.toArray() as ArrayLike<number>);
  const strs = (name: string) => {
    const v = t.getChild(name)!;
    const out = new Array<string>(n);
    for (let i = 0; i < n; i++) out[i] = v.get(i) as string;
    return out;
  };
  const history = new Int32Array(n * HISTORY_LEN);
  let row = 0;
  for (const d of t.getChild('history_item_ids')!.data) {
    const offs = d.valueOffsets as Int32Array;
    const vals = d.children[0]!.values as Int32Array;
    const base = d.children[0]!.offset;
    for (let r = 0; r < d.length; r++, row++) {
      const s = offs[d.offset + r]!;
      const e = offs[d.offset + r + 1]!;
      for (let k = 0; k < e - s && k < HISTORY_LEN; k++) history[row * HISTORY_LEN + k] = vals[base + s + k]!;
    }
  }
  const ut = t.getChild('unix_time')!.toArray() as BigInt64Array;
  const unixTime = new Float64Array(n);
  for (let i = 0; i < n; i++) unixTime[i] = Number(ut[i]);
  return {
    rows: n,
    rowId: i32('row_id'),
    domain: strs('domain'),
    domainId: i32('domain_id'),
    userId: i32('user_id'),
    itemId: i32('item_id'),
    brandId: i32('brand_id'),
    titleId: i32('title_id'),
    price: f64('price'),
    priceBucket: i32('price_bucket'),
    history,
    label: Uint8Array.from(t.getChild('label')!.toArray() as Int8Array),
    rating: f64('rating'),
    unixTime,
    title: strs('title'),
    brand: strs('brand'),
    prompt: strs('prompt'),
  };
}
