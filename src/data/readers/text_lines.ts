/**
 * Line access to (optionally gzipped) text files. Used only where the engine cannot say where a
 * problem is (the line of a malformed JSON record) and to convert Python-literal metadata.
 */
import { createReadStream, promises as fsp } from 'node:fs';
import { createGunzip } from 'node:zlib';
import readline from 'node:readline';
import { DataError } from '../../util/errors.js';

export function isGzip(file: string): boolean {
  return file.toLowerCase().endsWith('.gz');
}

/** Fail early, naming the file, if it cannot be read. */
export async function checkReadable(file: string, what: string): Promise<void> {
  try {
    const st = await fsp.stat(file);
    if (!st.isFile()) throw new DataError(`${file}: ${what} path is not a file`);
    await fsp.access(file, 4 /* R_OK */);
  } catch (e) {
    if (e instanceof DataError) throw e;
    const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new DataError(`${file}: cannot read ${what} file (${code})`);
  }
}

/**
 * The bytes of a file, gunzipped for `.gz`. Errors of either stream (a truncated or corrupt
 * gzip, a read failure) reach the consumer; none is left without a listener, even after the
 * consumer stops early (an unheard stream error would end the process).
 */
function openBytes(file: string): { stream: NodeJS.ReadableStream; close(): void } {
  const raw = createReadStream(file);
  if (!isGzip(file)) return { stream: raw, close: () => raw.destroy() };
  const gunzip = createGunzip();
  raw.on('error', (e) => gunzip.destroy(e));
  gunzip.on('error', () => {
    // Reported through the consumer's iteration; this listener only keeps a late error heard.
  });
  raw.pipe(gunzip);
  return {
    stream: gunzip,
    close: () => {
      raw.destroy();
      gunzip.destroy();
    },
  };
}

/** Iterate the lines of a text file, gunzipping `.gz`; yields [1-based line number, text]. */
export async function* readLines(file: string): AsyncGenerator<[number, string]> {
  const bytes = openBytes(file);
  const rl = readline.createInterface({ input: bytes.stream, crlfDelay: Infinity });
  let n = 0;
  try {
    for await (const line of rl) {
      n++;
      yield [n, line];
    }
  } catch (e) {
    const why = /unexpected end of file/i.test((e as Error).message) ? 'the gzip stream is truncated' : (e as Error).message;
    throw new DataError(`${file}:${n + 1}: cannot read past line ${n} (${why})`);
  } finally {
    rl.close();
    bytes.close();
  }
}

/** 1-based number of the first line that is not valid UTF-8, or null. */
export async function findInvalidUtf8Line(file: string): Promise<number | null> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const bytes = openBytes(file);
  let line = 1;
  let pending: Buffer[] = [];
  const bad = (parts: Buffer[]): boolean => {
    try {
      decoder.decode(Buffer.concat(parts));
      return false;
    } catch {
      return true;
    }
  };
  try {
    for await (const chunk of bytes.stream as AsyncIterable<Buffer>) {
      let start = 0;
      for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, start)) {
        pending.push(chunk.subarray(start, i));
        if (bad(pending)) return line;
        pending = [];
        line++;
        start = i + 1;
      }
      pending.push(chunk.subarray(start));
    }
    return bad(pending) ? line : null;
  } catch {
    return null;
  } finally {
    bytes.close();
  }
}

/** First line of the file (or null when empty); used for format detection. */
export async function firstNonEmptyLine(file: string): Promise<string | null> {
  for await (const [, line] of readLines(file)) {
    if (line.trim() !== '') return line;
  }
  return null;
}

/** Physical line number of the `index`-th (0-based) non-blank line of a JSON-lines file. */
export async function lineOfRecord(file: string, index: number): Promise<number> {
  let k = 0;
  for await (const [n, line] of readLines(file)) {
    if (line.trim() === '') continue;
    if (k === index) return n;
    k++;
  }
  return index + 1;
}

/** First line that is not a JSON object, with the parser's complaint. */
export async function findMalformedJsonLine(file: string): Promise<{ line: number; reason: string } | null> {
  for await (const [n, line] of readLines(file)) {
    if (line.trim() === '') continue;
    try {
      const v = JSON.parse(line) as unknown;
      if (typeof v !== 'object' || v === null || Array.isArray(v)) return { line: n, reason: 'not a JSON object' };
    } catch (e) {
      return { line: n, reason: (e as Error).message };
    }
  }
  return null;
}

/**
 * First CSV record whose field count differs from the header's, or an unterminated quote
 * (RFC 4180 quoting: `"` toggles, `""` is an escaped quote). Only used to locate an error DuckDB
 * reported without a line.
 */
export async function findCsvProblem(file: string, delim: string): Promise<{ line: number; reason: string } | null> {
  let expected = -1;
  let fields = 1;
  let inQuote = false;
  let start = 1;
  let last = 0;
  for await (const [n, line] of readLines(file)) {
    last = n;
    if (!inQuote) {
      start = n;
      fields = 1;
      if (line === '' && expected >= 0) continue;
    }
    for (let i = 0; i < line.length; i++) {
      const c = line[i];
      if (c === '"') inQuote = !inQuote;
      else if (c === delim && !inQuote) fields++;
    }
    if (inQuote) continue;
    if (expected < 0) expected = fields;
    else if (fields !== expected) return { line: start, reason: `expected ${expected} fields as in the header, found ${fields}` };
  }
  if (inQuote) return { line: start, reason: `unterminated quoted field (runs to the end of the file at line ${last})` };
  return null;
}
