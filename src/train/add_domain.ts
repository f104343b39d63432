/**
 * Adding a domain to a trained Uni-CTR run without retraining it (spec §4, paper Table IV):
 * every trained weight is frozen and only a new domain-specific network learns, on the new
 * domain's training rows, with early stopping on its validation rows.
 */
import path from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import { UniCtr } from '../model/unictr/unictr.js';
import { ConfigError } from '../util/errors.js';
import { atomicWriteFile, atomicWriteJson, readJson } from '../util/fs.js';
import { log } from '../util/log.js';
import { renderReport } from './report.js';
import { fit } from './fit.js';
import { checkpointExists, loadCheckpoint, restoreVariables } from './checkpoint.js';
import { domainIds, summarizeRows, type RunContext } from './run_context.js';
import type { DomainMetrics, MetricsFile, PredictionRow } from './metrics_file.js';
import { runPaths, slug, writePredictionsCsv } from './run_folder.js';
import { labelsOf } from './batches.js';
import { predictRows, type RowSource } from './fit.js';
import type { TrainConfig } from './train_config.js';

export interface AddedDomain {
  name: string;
  /** Checkpoint folder (relative to the run) holding every weight after the domain was added. */
  checkpoint: string;
  /** The data file (or config) the domain's rows came from, when it is not in the run's dataset. */
  data?: string;
}

const addedFile = (dir: string) => path.join(dir, 'added_domains.json');

export function readAddedDomains(dir: string): AddedDomain[] {
  const f = addedFile(dir);
  return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as AddedDomain[]) : [];
}

function uniCtrOf(ctx: RunContext): UniCtr {
  const model = ctx.built.units[0]?.model;
  if (!(model instanceof UniCtr)) {
    throw new ConfigError(
      `add-domain needs a Uni-CTR run; this run trained "${ctx.config.model.name}" (baselines are retrained per domain instead)`,
    );
  }
  return model;
}

/** Re-create the DSNs added earlier and load their weights (called when a run is reopened). */
export function restoreAddedDomains(dir: string, ctx: RunContext): void {
  const added = readAddedDomains(dir);
  if (added.length === 0) return;
  const model = uniCtrOf(ctx);
  for (const a of added) model.addDomain(a.name);
  const last = path.join(dir, added[added.length - 1]!.checkpoint);
  restoreVariables(model.namedVariables(), loadCheckpoint(last).variables, last);
}

export interface AddDomainResult {
  metrics: DomainMetrics;
  predictions: PredictionRow[];
}

/** A new domain's rows from a file outside the run's dataset (src/train/new_data.ts). */
export interface NewDomainRows {
  /** The data file or config named on the command line. */
  data: string;
  train: RowSource;
  valid: RowSource;
  test: RowSource;
}

export async function addDomainToRun(dir: string, ctx: RunContext, domain: string, train: TrainConfig, rows?: NewDomainRows): Promise<AddDomainResult> {
  const model = uniCtrOf(ctx);
  if (model.domains.includes(domain)) {
    throw new ConfigError(`domain "${domain}" already has a domain-specific network in ${dir}`);
  }
  const unit = ctx.built.units[0]!;
  const id = rows ? -1 : domainIds(ctx.manifest, [domain], '--domain', 'command line')[0]!;
  const source = (split: 'train' | 'valid' | 'test') => (rows ? rows[split] : unit.source(split, [id]));
  model.addDomain(domain);
  model.setTrainable({ onlyDomain: domain });
  const rel = path.join('checkpoints', `added-${slug(domain)}`);
  const res = await fit({
    model,
    train: source('train'),
    valid: source('valid'),
    towerOf: unit.towerOf,
    config: train,
    seed: ctx.config.seed,
    checkpointDir: path.join(dir, rel),
    logFile: runPaths(dir).log,
    label: `add ${domain}`,
    resume: true,
  });
  model.setTrainable('all');
  if (!checkpointExists(path.join(dir, rel, 'best'))) throw new Error(`add-domain: no checkpoint was written for ${domain}`);
  const added = readAddedDomains(dir).filter((a) => a.name !== domain);
  added.push({ name: domain, checkpoint: path.join(rel, 'best'), ...(rows ? { data: rows.data } : {}) });
  await atomicWriteJson(addedFile(dir), added);

  const src = source('test');
  const scores = await predictRows(model, src, unit.towerOf, train.eval_batch_size);
  const labels = labelsOf(src.split, src.rows);
  const metrics: DomainMetrics = {
    ...summarizeRows(src, scores, { iterations: train.bootstrap, seed: ctx.config.seed }),
    head: domain,
  };
  const predictions = Array.from(labels, (l, i) => ({ domain, label: l, score: scores[i]!, rowId: src.split.rowId[src.rows[i]!]! }));
  await writePredictionsCsv(path.join(runPaths(dir).predictions, `added_${slug(domain)}.csv`), predictions);
  const mf = runPaths(dir).metrics;
  if (existsSync(mf)) {
    const m = await readJson<MetricsFile & { added_domains?: Record<string, DomainMetrics> }>(mf);
    m.added_domains = { ...(m.added_domains ?? {}), [domain]: metrics };
    m.epochs = { ...m.epochs, [`add ${domain}`]: res.history };
    await atomicWriteJson(mf, m);
    await atomicWriteFile(runPaths(dir).report, renderReport(ctx.config, m));
    log.info(`wrote ${mf}, ${runPaths(dir).report}`);
  }
  return { metrics, predictions };
}
