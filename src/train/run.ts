/**
 * Orchestration of an experiment: dataset → model(s) → fit → test metrics, zero-shot scores,
 * predictions, report. Single-domain baselines train one model per domain on that domain's rows.
 */
import { existsSync, readFileSync, statSync, truncateSync } from 'node:fs';
import path from 'node:path';
import type { SplitName } from '../data/types.js';
import { ConfigError, RunFolderError } from '../util/errors.js';
import { log } from '../util/log.js';
import { atomicWriteFile, atomicWriteJson, discardDir, ensureDir } from '../util/fs.js';
import { sourceOf } from '../util/config.js';
import { modelKind, validateModelBlock } from '../model/registry.js';
import { resolvedHash } from './resolved_hash.js';
import { loadExperiment, type Experiment, type LoadedExperiment } from './experiment.js';
import { BranchParallel } from './branch_parallel.js';
import { fit, predictRows, type EpochRecord, type RowSource, type TrainerState, type TrainingPosition } from './fit.js';
import { labelsOf } from './batches.js';
import { auc, summarize } from './metrics.js';
import { checkRunTarget, lockRunFolder, markRunFinished, markRunResumed, readStepLosses, requireRunFolder, runPaths, writePredictionsCsv, writeRunHeader } from './run_folder.js';
import { checkpointExists, loadCheckpoint, readCheckpointTrainer, restoreVariables } from './checkpoint.js';
import type { DatasetOptions } from './dataset_access.js';
import { prepareRun, summarizeRows, type EncodeScope, type RunContext } from './run_context.js';
import type { DomainMetrics, MetricsFile, PredictionRow } from './metrics_file.js';
import { renderReport } from './report.js';
import { readAddedDomains, restoreAddedDomains } from './add_domain.js';
import { runCurveSvg, trainingCurveSvg } from './plot.js';
import { evalEvents, learningCurveSeries } from './diagnostics.js';

export interface RunOptions {
  loaded: LoadedExperiment;
  out: string;
  /** Continue the run in `out` from its checkpoints. */
  resume?: boolean;
  /** Replace an existing run in `out` (removed as a whole once the new run's config is valid). */
  overwrite?: boolean;
  backend: string;
  command: string[];
  /** Test hook: simulate a crash after N optimizer steps. */
  crashAfterSteps?: number;
  /** What to do when the dataset folder does not match the `data:` block. */
  dataset?: DatasetOptions;
  /** Where training stands, after every batch (for the interrupt message). */
  onPosition?: (p: TrainingPosition) => void;
}

export type { DomainMetrics, MetricsFile, PredictionRow } from './metrics_file.js';
export { domainIds, prepareRun, summarizeRows, type RunContext } from './run_context.js';
export { slug } from './run_folder.js';

/** A finished (or interrupted) run: its config, data and the best-validation weights restored. */
export async function openTrainedRun(
  dir: string,
  extraDomains: readonly string[] = [],
  dataset: DatasetOptions = {},
  /** Encode states only for this split of these domains; 'none': none of the dataset's (new data only). */
  only?: EncodeScope,
): Promise<RunContext> {
  requireRunFolder(dir);
  const loaded = loadExperiment(runPaths(dir).config);
  // Domains added from a new data file are not in the dataset: their rows come with that file.
  const added = readAddedDomains(dir).filter((a) => a.data === undefined).map((a) => a.name);
  const ctx = await prepareRun(loaded, [...new Set([...added, ...extraDomains])], dataset, only);
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

/**
 * Everything about an experiment that can be checked without training, before a run folder is
 * made: the model block, the backbone folder. (Domains are checked against the dataset by
 * prepareRun, which also runs before the folder is made.)
 */
export function validateRunConfig(loaded: LoadedExperiment): void {
  const { config } = loaded;
  validateModelBlock(config.model, loaded.sources);
  const bb = config.backbone;
  if (modelKind(config.model.name) === 'unictr' && bb.kind === 'hf' && bb.path && !bb.allow_download && !existsSync(bb.path)) {
    throw new ConfigError(`${sourceOf(loaded.sources, 'backbone.path')}: key "backbone.path": model folder not found: ${bb.path}`);
  }
}

/**
 * On --resume, cut log.jsonl back to where the newest checkpoint left it, so that the steps redone
 * after it appear once. Returns whether any unit has a checkpoint to continue from.
 */
function rewindLog(out: string, ctx: RunContext): boolean {
  const logFile = runPaths(out).log;
  let keep = 0;
  let known = true;
  let any = false;
  for (const unit of ctx.built.units) {
    const last = path.join(runPaths(out).checkpoints, unit.key, 'last');
    if (!checkpointExists(last)) continue;
    any = true;
    const bytes = readCheckpointTrainer<TrainerState>(last).log_bytes;
    if (bytes === undefined) known = false;
    else keep = Math.max(keep, bytes);
  }
  if (known && existsSync(logFile) && statSync(logFile).size > keep) truncateSync(logFile, keep);
  return any;
}

export async function runExperiment(opts: RunOptions): Promise<MetricsFile> {
  const { config } = opts.loaded;
  const mode = opts.resume ? 'resume' : opts.overwrite ? 'overwrite' : 'new';
  validateRunConfig(opts.loaded);
  // The lock first: a run another process is writing is reported as in use, not as finished.
  const lock = lockRunFolder(opts.out);
  let ctx: RunContext;
  try {
    checkRunTarget(opts.out, mode);
    ctx = await prepareRun(opts.loaded, [], opts.dataset);
  } catch (e) {
    lock.release();
    throw e;
  }
  let finished = false;
  try {
    if (opts.resume) {
      if (!rewindLog(opts.out, ctx)) log.warn(`${opts.out} has no checkpoint yet: the run starts again from epoch 1`);
      await markRunResumed(opts.out);
    } else {
      if (opts.overwrite) await discardDir(opts.out);
      await ensureDir(opts.out);
      await writeRunHeader(opts.out, opts.loaded.raw, {
        seed: config.seed,
        backend: opts.backend,
        command: opts.command,
        config_hash: opts.loaded.hash,
        resolved_hash: resolvedHash(config, opts.loaded.sources),
      });
    }
    const epochs: Record<string, EpochRecord[]> = {};
    for (const unit of ctx.built.units) {
      // The two-thread step computes the spec's equal-weight loss; another general-loss weight runs on one thread.
      const parallel = config.train.general_loss_weight === 1 ? await BranchParallel.maybeStart(unit.model, config.train.workers) : null;
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
        parallel: parallel ?? undefined,
        onPosition: opts.onPosition,
      }).finally(() => parallel?.close());
      epochs[unit.label ?? 'model'] = res.history;
    }
    const metrics = await evaluateRun(ctx, epochs);
    await writeRunOutputs(opts.out, ctx, metrics);
    await markRunFinished(opts.out);
    finished = true;
    return metrics;
  } finally {
    try {
      ctx.built.dispose();
    } catch (e) {
      // A backend that failed mid-run may fail again freeing its tensors: the first error is the
      // one to report, and the lock is released either way.
      if (finished) throw e;
    } finally {
      lock.release();
    }
  }
}

/** Scores of `rows` of one domain-set by the unit that owns them. */
async function scoreOwn(ctx: RunContext, split: SplitName, id: number): Promise<{ src: RowSource; scores: Float64Array }> {
  const unit = ctx.built.unitFor(id);
  const src = unit.source(split, [id]);
  return { src, scores: await predictRows(unit.model, src, unit.towerOf, ctx.config.train.eval_batch_size) };
}

/** Test metrics of every training domain and zero-shot metrics of the configured unseen domains. */
export async function evaluateRun(ctx: RunContext, epochs: Record<string, EpochRecord[]>, zeroIds = ctx.zeroIds): Promise<MetricsFile> {
  const { config, manifest } = ctx;
  const bootstrap = { iterations: config.train.bootstrap, seed: config.seed };
  const test: Record<string, DomainMetrics> = {};
  const valid: Record<string, { auc: number; rows: number }> = {};
  const predictions: PredictionRow[] = [];
  const allLabels: number[] = [];
  const allScores: number[] = [];
  for (const id of ctx.trainIds) {
    const name = manifest.domains[id]!.name;
    const v = await scoreOwn(ctx, 'valid', id);
    valid[name] = { auc: auc(labelsOf(v.src.split, v.src.rows), v.scores), rows: v.src.rows.length };
    const t = await scoreOwn(ctx, 'test', id);
    const labels = labelsOf(t.src.split, t.src.rows);
    test[name] = summarizeRows(t.src, t.scores, bootstrap);
    labels.forEach((l, i) => {
      predictions.push({ domain: name, label: l, score: t.scores[i]!, rowId: t.src.split.rowId[t.src.rows[i]!]! });
      allLabels.push(l);
      allScores.push(t.scores[i]!);
    });
  }
  // Uni-CTR: the general network; baselines: the tower/model best on the training domains'
  // validation rows — never the unseen domain's labels.
  const zero = zeroIds.length > 0 ? await zeroShotEval(ctx, zeroIds) : null;
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
  await atomicWriteFile(paths.curve, runCurveSvg({ title: ctx.config.name, epochs: metrics.epochs, steps: readStepLosses(paths.log) }));
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

/** Zero-shot metrics (and predictions) of `ids` with the run's zero-shot scorer. */
export async function zeroShotEval(
  ctx: RunContext,
  ids: number[],
): Promise<{ metrics: Record<string, DomainMetrics>; predictions: PredictionRow[]; description: string }> {
  for (const id of ids) {
    if (ctx.trainIds.includes(id)) {
      throw new ConfigError(`domain "${ctx.manifest.domains[id]!.name}" was a training domain; zero-shot scores unseen domains only`);
    }
  }
  const pick = await ctx.built.zeroShotScorer();
  const bootstrap = { iterations: ctx.config.train.bootstrap, seed: ctx.config.seed };
  const metrics: Record<string, DomainMetrics> = {};
  const predictions: PredictionRow[] = [];
  for (const id of ids) {
    const name = ctx.manifest.domains[id]!.name;
    const src = pick.source('test', [id]);
    const scores = await pick.score(src);
    metrics[name] = { ...summarizeRows(src, scores, bootstrap), head: pick.head };
    labelsOf(src.split, src.rows).forEach((l, i) =>
      predictions.push({ domain: name, label: l, score: scores[i]!, rowId: src.split.rowId[src.rows[i]!]! }),
    );
  }
  return { metrics, predictions, description: pick.description };
}
