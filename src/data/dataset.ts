/**
 * Reader API of a processed dataset folder, used by training, evaluation and prediction.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { DataError } from '../util/errors.js';
import { readSplitFile, SCHEMA_VERSION } from './arrow_io.js';
import { SPLITS, type Manifest, type SplitColumns, type SplitName } from './types.js';

export async function readManifest(dir: string): Promise<Manifest> {
  const file = path.join(dir, 'manifest.json');
  let text: string;
  try {
    const st = await fsp.stat(dir);
    if (!st.isDirectory()) throw new DataError(`${dir}: not a processed dataset folder (not a folder)`);
    text = await fsp.readFile(file, 'utf8');
  } catch (e) {
    if (e instanceof DataError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new DataError(`${dir}: not a processed dataset folder (missing ${path.basename(file)}; run "unictr prepare" first)`);
    }
    throw new DataError(`${file}: cannot read (${code ?? (e as Error).message})`);
  }
  let m: Manifest;
  try {
    m = JSON.parse(text) as Manifest;
  } catch (e) {
    throw new DataError(`${file}: not valid JSON (${(e as Error).message})`);
  }
  if (m.schema_version !== SCHEMA_VERSION) {
    throw new DataError(`${file}: schema_version ${String(m.schema_version)} is not supported (expected ${SCHEMA_VERSION}; re-run "unictr prepare")`);
  }
  if (!Array.isArray(m.domains) || !m.files) throw new DataError(`${file}: manifest lacks "domains" or "files"`);
  return m;
}

export async function loadSplit(dir: string, split: SplitName): Promise<SplitColumns> {
  if (!(SPLITS as readonly string[]).includes(split)) {
    throw new DataError(`unknown split "${String(split)}" (expected one of ${SPLITS.join(', ')})`);
  }
  const m = await readManifest(dir);
  const file = path.join(dir, m.files[split] ?? `${split}.arrow`);
  return readSplitFile(file);
}

/** vocab.json: string → id maps for user, item, brand, title. */
export async function readVocab(dir: string): Promise<Record<'user' | 'item' | 'brand' | 'title', Record<string, number>>> {
  const file = path.join(dir, 'vocab.json');
  try {
    return JSON.parse(await fsp.readFile(file, 'utf8')) as Record<'user' | 'item' | 'brand' | 'title', Record<string, number>>;
  } catch (e) {
    throw new DataError(`${file}: cannot read vocabulary (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}
