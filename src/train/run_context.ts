/**
 * What a run works on: the experiment's processed dataset, its splits, the training and zero-shot
 * domain ids and the freshly built model(s); plus the per-row metric summary every scorer uses.
 */
import type { Manifest, SplitColumns, SplitName } from '../data/types.js';
import { ConfigError, DataError } from '../util/errors.js';
import type { Experiment, LoadedExperiment } from './experiment.js';
import type { RowSource } from './fit.js';
import { labelsOf } from './batches.js';
import { summarize, type MetricSummary } from './metrics.js';
import { checkSplitIds, ensureDataset, loadAllSplits, type DatasetOptions } from './dataset_access.js';
import { buildModels, type BuiltModels } from './model_setup.js';

/** Resolve domain names to manifest ids, with an error naming the key and the known domains. */
export function domainIds(manifest: Manifest, names: readonly string[], key: string, file: string): number[] {
  return names.map((n) => {
    const d = manifest.domains.find((x) => x.name === n);
    if (!d) {
      throw new ConfigError(
        `${file}: key "${key}": unknown domain "${n}"; the dataset has: ${manifest.domains.map((x) => `"${x.name}"`).join(', ')}`,
      );
    }
    return d.id;
  });
}

export interface RunContext {
  loaded: LoadedExperiment;
  config: Experiment;
  manifest: Manifest;
  splits: Record<SplitName, SplitColumns>;
  trainIds: number[];
  zeroIds: number[];
  built: BuiltModels;
}

/** Which of the dataset's prompts a command needs encoded (default: every split it touches). */
export type EncodeScope = { split: SplitName; domains: readonly string[] } | 'none';

/** Dataset, splits and freshly initialised model(s) of an experiment. Dispose `built` after use. */
export async function prepareRun(
  loaded: LoadedExperiment,
  extraDomains: readonly string[] = [],
  dataset: DatasetOptions = {},
  /** Encode states only for this split of these domains (commands that score nothing else); 'none': only new data is scored. */
  only?: EncodeScope,
): Promise<RunContext> {
  const { config } = loaded;
  const manifest = await ensureDataset(config, loaded.file, loaded.sets, dataset);
  const trainIds = domainIds(manifest, config.domains.train, 'domains.train', loaded.file);
  const zeroIds = domainIds(manifest, config.domains.zero_shot, 'domains.zero_shot', loaded.file);
  const splits = await loadAllSplits(config.dataset_dir);
  checkSplitIds(splits, manifest, config.dataset_dir);
  for (const id of trainIds) {
    const d = manifest.domains[id]!;
    if (d.splits.train.rows === 0) throw new DataError(`domain "${d.name}" has no training rows in ${config.dataset_dir}`);
  }
  const extraIds = domainIds(manifest, extraDomains, '--domain', 'command line');
  const encodeOnly = only && only !== 'none' ? { split: only.split, domainIds: domainIds(manifest, only.domains, '--domain', 'command line') } : undefined;
  const built = await buildModels(config, manifest, splits, trainIds, zeroIds, extraIds, loaded.sources, encodeOnly, only !== 'none');
  return { loaded, config, manifest, splits, trainIds, zeroIds, built };
}

/** Metrics of scored rows: AUC, logloss, gAUC over the rows' users, bootstrap interval. */
export function summarizeRows(src: RowSource, scores: Float64Array, bootstrap: { iterations: number; seed: number }): MetricSummary {
  const labels = labelsOf(src.split, src.rows);
  const users = Array.from(src.rows, (r) => src.split.userId[r]!);
  return summarize(labels, scores, users, { bootstrap });
}
