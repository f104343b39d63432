/**
 * Orchestration of an experiment: dataset → model(s) → fit → test metrics, zero-shot scores,
 * predictions, report. Single-domain baselines train one model per domain on that domain's rows.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { SplitColumns, SplitName, Manifest } from '../data/types.js';
import { ConfigError, DataError, RunFolderError } from '../util/errors.js';
import { log } from '../util/log.js';
import { atomicWriteFile, atomicWriteJson } from '../util/fs.js';
import { loadExperiment, type Experiment, type LoadedExperiment } from './experiment.js';
import { fit, predictRows, type EpochRecord, type RowSource } from './fit.js';
import { labelsOf } from './batches.js';
import { auc, summarize, type MetricSummary } from './metrics.js';
import { requireRunFolder, runPaths, writePredictionsCsv, writeRunHeader } from './run_folder.js';
import { checkpointExists, loadCheckpoint, restoreVariables } from './checkpoint.js';
import { checkSplitIds, ensureDataset, loadAllSplits, type DatasetOptions } from './dataset_access.js';
import { buildModels, type BuiltModels } from './model_setup.js';
import { renderReport } from './report.js';
import { readAddedDomains, restoreAddedDomains } from './add_domain.js';
import { trainingCurveSvg } from './plot.js';
import { evalEvents, learningCurveSeries } from './diagnostics.js';

export interface RunOptions {
  loaded: LoadedExperiment;
  out: string;
  resume?: boolean;
  backend: string;
  command: string[];
  /** Test hook: simulate a crash after N optimizer steps. */
  crashAfterSteps?: number;
  /** What to do when the dataset folder does not match the `data:` block. */
  dataset?: DatasetOptions;
}

export interface DomainMetrics extends MetricSummary {
  /** Which head scored it (zero-shot): "general", a tower's domain, or "own". */
  head?: string;
}

export interface MetricsFile {
  test: Record<string, DomainMetrics>;
  zero_shot: Record<string, DomainMetrics>;
  valid: Record<string, { auc: number; rows: number }>;
  overall_test: MetricSummary | null;
  model: string;
  seed: number;
  epochs: Record<string, EpochRecord[]>;
  zero_shot_head_choice?: string;
  /** Test predictions (written to predictions/test.csv, not to metrics.json). */
  predictions?: PredictionRow[];
}

export interface PredictionRow {
  domain: string;
  label: number;
  score: number;
}

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

/** Dataset, splits and freshly initialised model(s) of an experiment. Dispose `built` after use. */
export async function prepareRun(loaded: LoadedExperiment, extraDomains: readonly string[] = [], dataset: DatasetOptions = {}): Promise<RunContext> {
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
  const built = await buildModels(config, manifest, splits, trainIds, zeroIds, extraIds, loaded.file);
  return { loaded, config, manifest, splits, trainIds, zeroIds, built };
}

/** A finished (or interrupted) run: its config, data and the best-validation weights restored. */
export async function openTrainedRun(dir: string, extraDomains: readonly string[] = [], dataset: DatasetOptions = {}): Promise<RunContext> {
  requireRunFolder(dir);
  const loaded = loadExperiment(runPaths(dir).config);
  const added = readAddedDomains(dir).map((a) => a.name);
  const ctx = await prepareRun(loaded, [...new Set([...added, ...extraDomains])], dataset);
  try {
    for (const unit of ctx.built.units) {
      const best = path.join(runPaths(dir).checkpoints, unit.key, 'best');
      if (!checkpointExists(best)) {
        throw new RunFolderError(`${dir}: no trained weights for ${unit.label ?? 'the model'} (missing ${best}); train or resume the run first`);
      }
      restoreVariables(unit.model.namedVariables(), loadCheckpoint(best).variables, best);
    }
    restoreAddedDomains(dir, ctx);
  } catch (e) {
    ctx.built.dispose();
    throw e;
  }
  return ctx;
}

export async function runExperiment(opts: RunOptions): Promise<MetricsFile> {
  const { config } = opts.loaded;
  if (!opts.resume) {
    await writeRunHeader(opts.out, opts.loaded.raw, {
      seed: config.seed,
      backend: opts.backend,
      command: opts.command,
      config_hash: opts.loaded.hash,
    });
  }
  const ctx = await prepareRun(opts.loaded, [], opts.dataset);
  try {
    const epochs: Record<string, EpochRecord[]> = {};
    for (const unit of ctx.built.units) {
      const res = await fit({
        model: unit.model,
        train: unit.source('train'),
        valid: unit.source('valid'),
        towerOf: unit.towerOf,
        config: config.train,
        seed: config.seed,
        checkpointDir: path.join(runPaths(opts.out).checkpoints, unit.key),
        logFile: runPaths(opts.out).log,
        label: unit.label,
        domainName: (d) => ctx.manifest.domains[d]!.name,
        resume: opts.resume,
        crashAfterSteps: opts.crashAfterSteps,
      });
      epochs[unit.label ?? 'model'] = res.history;
    }
    const metrics = evaluateRun(ctx, epochs);
    await writeRunOutputs(opts.out, ctx, metrics);
    return metrics;
  } finally {
    ctx.built.dispose();
  }
}

/** Scores of `rows` of one domain-set by the unit that owns them. */
function scoreOwn(ctx: RunContext, split: SplitName, id: number): { src: RowSource; scores: Float64Array } {
  const unit = ctx.built.unitFor(id);
  const src = unit.source(split, [id]);
  return { src, scores: predictRows(unit.model, src, unit.towerOf, ctx.config.train.eval_batch_size) };
}

/** Test metrics of every training domain and zero-shot metrics of the configured unseen domains. */
export function evaluateRun(ctx: RunContext, epochs: Record<string, EpochRecord[]>, zeroIds = ctx.zeroIds): MetricsFile {
  const { config, manifest } = ctx;
  const bootstrap = { iterations: config.train.bootstrap, seed: config.seed };
  const test: Record<string, DomainMetrics> = {};
  const valid: Record<string, { auc: number; rows: number }> = {};
  const predictions: PredictionRow[] = [];
  const allLabels: number[] = [];
  const allScores: number[] = [];
  for (const id of ctx.trainIds) {
    const name = manifest.domains[id]!.name;
    const v = scoreOwn(ctx, 'valid', id);
    valid[name] = { auc: auc(labelsOf(v.src.split, v.src.rows), v.scores), rows: v.src.rows.length };
    const t = scoreOwn(ctx, 'test', id);
    const labels = labelsOf(t.src.split, t.src.rows);
    test[name] = summarizeRows(t.src, t.scores, bootstrap);
    labels.forEach((l, i) => {
      predictions.push({ domain: name, label: l, score: t.scores[i]! });
      allLabels.push(l);
      allScores.push(t.scores[i]!);
    });
  }
  // Uni-CTR: the general network; baselines: the tower/model best on the training domains'
  // validation rows — never the unseen domain's labels.
  const zero = zeroIds.length > 0 ? zeroShotEval(ctx, zeroIds) : null;
  return {
    test,
    zero_shot: zero?.metrics ?? {},
    valid,
    overall_test: allLabels.length ? summarize(allLabels, allScores, undefined, { bootstrap }) : null,
    model: config.model.name,
    seed: config.seed,
    epochs,
    zero_shot_head_choice: zero?.description,
    predictions,
  };
}

export async function writeRunOutputs(dir: string, ctx: RunContext, metrics: MetricsFile): Promise<void> {
  const paths = runPaths(dir);
  const { predictions, ...rest } = metrics;
  if (predictions) await writePredictionsCsv(path.join(paths.predictions, 'test.csv'), predictions);
  await atomicWriteJson(paths.metrics, rest);
  const series = Object.entries(metrics.epochs).flatMap(([k, h]) => [
    { name: `${k} train loss`, points: h.map((e) => [e.epoch, e.train_loss] as [number, number]) },
    { name: `${k} valid AUC`, points: h.map((e) => [e.epoch, e.valid_auc] as [number, number]) },
  ]);
  await atomicWriteFile(paths.curve, trainingCurveSvg(series, { title: `${ctx.config.name}: training curve`, xLabel: 'epoch', yLabel: 'value' }));
  if (ctx.config.train.eval_every_steps > 0 && existsSync(paths.log)) {
    // Learning curves of the last unit trained into this log (every unit's are in log.jsonl).
    const events = evalEvents(readFileSync(paths.log, 'utf8'));
    for (const metric of ['auc', 'logloss'] as const) {
      const series = learningCurveSeries(events, metric);
      const file = path.join(dir, `learning_${metric}.svg`);
      if (series.length) await atomicWriteFile(file, trainingCurveSvg(series, { title: `${ctx.config.name}: ${metric} every ${ctx.config.train.eval_every_steps} steps`, xLabel: 'optimizer step', yLabel: metric }));
    }
  }
  await atomicWriteFile(paths.report, renderReport(ctx.config, rest));
  log.info(`wrote ${paths.metrics}, ${paths.report}`);
}

export function runFolderExists(dir: string): boolean {
  return existsSync(runPaths(dir).config);
}

/** Metrics of scored rows: AUC, logloss, gAUC over the rows' users, bootstrap interval. */
export function summarizeRows(src: RowSource, scores: Float64Array, bootstrap: { iterations: number; seed: number }): MetricSummary {
  const labels = labelsOf(src.split, src.rows);
  const users = Array.from(src.rows, (r) => src.split.userId[r]!);
  return summarize(labels, scores, users, { bootstrap });
}

/** Zero-shot metrics (and predictions) of `ids` with the run's zero-shot scorer. */
export function zeroShotEval(
  ctx: RunContext,
  ids: number[],
): { metrics: Record<string, DomainMetrics>; predictions: PredictionRow[]; description: string } {
  for (const id of ids) {
    if (ctx.trainIds.includes(id)) {
      throw new ConfigError(`domain "${ctx.manifest.domains[id]!.name}" was a training domain; zero-shot scores unseen domains only`);
    }
  }
  const pick = ctx.built.zeroShotScorer();
  const bootstrap = { iterations: ctx.config.train.bootstrap, seed: ctx.config.seed };
  const metrics: Record<string, DomainMetrics> = {};
  const predictions: PredictionRow[] = [];
  for (const id of ids) {
    const name = ctx.manifest.domains[id]!.name;
    const src = pick.source('test', [id]);
    const scores = pick.score(src);
    metrics[name] = { ...summarizeRows(src, scores, bootstrap), head: pick.head };
    labelsOf(src.split, src.rows).forEach((l, i) => predictions.push({ domain: name, label: l, score: scores[i]! }));
  }
  return { metrics, predictions, description: pick.description };
}

/** File-name-safe form of a domain name. */
export function slug(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
}
