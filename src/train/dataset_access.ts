/**
 * The processed dataset an experiment trains on: prepared on first use (from the experiment's
 * `data:` block) and reused afterwards.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { prepareDataset } from '../data/prepare.js';
import { loadSplit, readManifest } from '../data/dataset.js';
import { SPLITS, type Manifest, type SplitColumns, type SplitName } from '../data/types.js';
import { ConfigError } from '../util/errors.js';
import { log } from '../util/log.js';
import type { Experiment } from './experiment.js';

export async function ensureDataset(config: Experiment, file: string, sets: readonly string[] = []): Promise<Manifest> {
  const manifestFile = path.join(config.dataset_dir, 'manifest.json');
  if (!existsSync(manifestFile)) {
    if (!config.data) {
      throw new ConfigError(
        `${file}: no processed dataset at ${config.dataset_dir} and no "data:" block to prepare one (run "unictr prepare" first)`,
      );
    }
    log.info(`preparing dataset into ${config.dataset_dir}`);
    await prepareDataset({ config: file, out: config.dataset_dir, sets });
  }
  return readManifest(config.dataset_dir);
}

export async function loadAllSplits(dir: string): Promise<Record<SplitName, SplitColumns>> {
  const out = {} as Record<SplitName, SplitColumns>;
  for (const s of SPLITS) out[s] = await loadSplit(dir, s);
  return out;
}
