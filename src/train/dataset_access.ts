/**
 * The processed dataset an experiment trains on. With a `data:` block, the folder must have been
 * built from exactly that block and those source files (manifest `config_hash`, see
 * src/data/fingerprint.ts): a missing folder is prepared in place; a folder built from something
 * else is left alone and the matching dataset is used from, or prepared into, the sibling
 * `<dataset_dir>-<hash8>` (or, with `rebuild: false`, that is an error).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { prepareFromConfig } from '../data/prepare.js';
import { loadDataConfig } from '../data/config_load.js';
import { dataFingerprint, describeMismatch } from '../data/fingerprint.js';
import { loadSplit, readManifest } from '../data/dataset.js';
import { SPLITS, type Manifest, type SplitColumns, type SplitName } from '../data/types.js';
import { ConfigError, DataError, UserError } from '../util/errors.js';
import { checkIdRanges } from '../model/layers/feature_embedding.js';
import { log } from '../util/log.js';
import type { Experiment } from './experiment.js';

export interface DatasetOptions {
  /** Build a dataset whose manifest does not match the experiment (default true). */
  rebuild?: boolean;
}

/** The manifest in `dir`, or null when there is none or it cannot be read. */
async function manifestOrNull(dir: string): Promise<Manifest | null> {
  if (!existsSync(path.join(dir, 'manifest.json'))) return null;
  try {
    return await readManifest(dir);
  } catch (e) {
    if (e instanceof UserError) return null;
    throw e;
  }
}

/** Hash-keyed sibling folder for a dataset built from another `data:` block. */
export function keyedDatasetDir(dir: string, hash: string): string {
  return `${dir.replace(/[/\\]+$/, '')}-${hash.slice(0, 8)}`;
}

/**
 * Make sure `config.dataset_dir` holds the dataset of the experiment's `data:` block; when the
 * matching dataset lives in the hash-keyed sibling, `config.dataset_dir` is set to it.
 */
export async function ensureDataset(config: Experiment, file: string, sets: readonly string[] = [], opts: DatasetOptions = {}): Promise<Manifest> {
  const dir = config.dataset_dir;
  if (!config.data) {
    if (!existsSync(path.join(dir, 'manifest.json'))) {
      throw new ConfigError(`${file}: no processed dataset at ${dir} and no "data:" block to prepare one (run "unictr prepare" first)`);
    }
    return readManifest(dir);
  }
  const loaded = loadDataConfig(file, sets);
  const existing = await manifestOrNull(dir);
  if (!existsSync(path.join(dir, 'manifest.json'))) {
    log.info(`preparing dataset into ${dir}`);
    return prepareFromConfig(loaded, dir);
  }
  const fp = await dataFingerprint(loaded, existing?.sources);
  if (existing?.config_hash === fp.hash) return existing;
  const keyed = keyedDatasetDir(dir, fp.hash);
  const why = existing ? describeMismatch(existing, loaded, fp) : 'its manifest cannot be read';
  const other = await manifestOrNull(keyed);
  if (other?.config_hash === fp.hash) {
    log.info(`dataset ${dir} was built from another data: block (${why}); using ${keyed}, built from this one`);
    config.dataset_dir = keyed;
    return other;
  }
  if (opts.rebuild === false) {
    throw new DataError(
      `${dir}: processed dataset does not match the experiment's data: block (${why}); drop --no-rebuild to build it into ${keyed}, or point dataset_dir at a matching dataset`,
    );
  }
  log.info(`dataset ${dir} was built from another data: block (${why}); preparing ${keyed}`);
  const m = await prepareFromConfig(loaded, keyed);
  config.dataset_dir = keyed;
  return m;
}

export async function loadAllSplits(dir: string): Promise<Record<SplitName, SplitColumns>> {
  const out = {} as Record<SplitName, SplitColumns>;
  for (const s of SPLITS) out[s] = await loadSplit(dir, s);
  return out;
}

/**
 * Every id of every split lies inside its embedding table (manifest `vocab_sizes`): a bad id makes
 * gather fail on cpu and read garbage on wasm, so it is refused before training, naming the
 * split file, column and row.
 */
export function checkSplitIds(splits: Record<SplitName, SplitColumns>, manifest: Pick<Manifest, 'vocab_sizes' | 'files'>, dir: string): void {
  for (const s of SPLITS) {
    const c = splits[s];
    checkIdRanges(
      { size: c.rows, domainId: c.domainId, userId: c.userId, itemId: c.itemId, brandId: c.brandId, titleId: c.titleId, priceBucket: c.priceBucket, history: c.history },
      manifest.vocab_sizes,
      path.join(dir, manifest.files[s] ?? `${s}.arrow`),
    );
  }
}
