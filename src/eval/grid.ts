/**
 * The grid of a reproduce config (model × seed × variant), each an ordinary run folder under
 * `<out>/runs/<id>`, and the loop that trains what is missing. A run that finished with the same
 * config hash is skipped; an interrupted one is resumed (with `resume`) or restarted. Training
 * itself is passed in: this module reads and writes run folders and knows no trainer.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { deepMerge, type Plain } from '../util/config.js';
import { atomicWriteFile } from '../util/fs.js';
import { log } from '../util/log.js';
import { hashConfig, validateExperiment } from '../train/experiment.js';
import { resolvedHash } from '../train/resolved_hash.js';
import { runPaths } from '../train/run_folder.js';
import type { ReproduceConfig, TableName } from './reproduce_config.js';

export interface PlannedRun {
  /** Folder name under runs/, e.g. `dnn-s2012` or `dnn-rows2000-s2012`. */
  id: string;
  model: string;
  seed: number;
  /** Scaling runs: the training-row cap of this variant. */
  rows?: number;
  dir: string;
  /** The run's complete experiment YAML (written under `<out>/configs/`). */
  configFile: string;
  raw: Plain;
  hash: string;
  /** The model, train and backbone blocks with defaults filled in (train/resolved_hash.ts). */
  resolvedHash: string;
}

export type RunStatus = 'finished' | 'interrupted' | 'stale' | 'new';

/** Seeds of the grid: the config's list, cut or extended (by +1 steps) to `count`. */
export function gridSeeds(listed: readonly number[], count?: number): number[] {
  const n = count ?? listed.length;
  return Array.from({ length: n }, (_, k) => listed[k] ?? listed[listed.length - 1]! + (k - listed.length + 1));
}

/** Every run the selected tables need, in a stable order (seed-major, so early seeds finish first). */
export function planGrid(rc: ReproduceConfig, out: string, opts: { seeds?: number; only?: readonly TableName[] } = {}): PlannedRun[] {
  const r = rc.reproduce;
  const want = (t: TableName) => r.tables[t] !== undefined && (!opts.only || opts.only.includes(t));
  const models = new Set<string>();
  for (const t of ['table3', 'zero_shot', 'ablation'] as const) if (want(t)) r.tables[t]!.models.forEach((m) => models.add(m));
  const scaling = want('scaling') ? r.tables.scaling! : undefined;
  const runs: PlannedRun[] = [];
  // Errors name the reproduce config and the grid row (the per-run YAML is not written yet).
  const source = (id: string) => `${path.relative(process.cwd(), rc.file) || rc.file} (reproduce.models "${id}")`;
  for (const seed of gridSeeds(r.seeds, opts.seeds)) {
    for (const entry of r.models) {
      const variants: (number | undefined)[] = [];
      if (models.has(entry.id)) variants.push(undefined);
      // The scaling point at the budget's own row count is the model's main run (same rows, same
      // config), whether or not this invocation also plans the tables that use it.
      for (const n of scaling?.models.includes(entry.id) ? scaling.max_train_rows : []) {
        const v = n === r.budget.max_train_rows ? undefined : n;
        if (!variants.includes(v)) variants.push(v);
      }
      for (const rows of variants) {
        const id = `${entry.id}${rows === undefined ? '' : `-rows${rows}`}-s${seed}`;
        const overrides: Plain = {
          ...(entry.data ? { data: entry.data } : {}),
          ...(entry.dataset_dir ? { dataset_dir: entry.dataset_dir } : {}),
          train: entry.train ?? {},
          backbone: entry.backbone ?? {},
        };
        const raw = deepMerge(deepMerge(rc.base, overrides), {
          name: `${rc.name}/${id}`,
          seed,
          train: { ...r.budget, ...(rows === undefined ? {} : { max_train_rows: rows }) },
        });
        raw.model = entry.model;
        const src = source(entry.id);
        runs.push({
          id,
          model: entry.id,
          seed,
          rows,
          dir: path.join(out, 'runs', id),
          configFile: path.join(out, 'configs', `${id}.yaml`),
          raw,
          hash: hashConfig(raw),
          // Validating here also checks every model block before anything trains (--dry-run too).
          resolvedHash: resolvedHash(validateExperiment(raw, src).config, src),
        });
      }
    }
  }
  return runs;
}

/** Where a planned run stands on disk. */
export function runStatus(run: PlannedRun): RunStatus {
  const p = runPaths(run.dir);
  if (!existsSync(p.run)) return existsSync(run.dir) ? 'stale' : 'new';
  let info: { config_hash?: string; resolved_hash?: string };
  try {
    info = JSON.parse(readFileSync(p.run, 'utf8')) as typeof info;
  } catch {
    return 'stale';
  }
  if (info.config_hash !== run.hash) return 'stale';
  // A default that changed since the run was made (run folders older than resolved_hash carry none).
  if (info.resolved_hash !== undefined && info.resolved_hash !== run.resolvedHash) return 'stale';
  if (existsSync(p.metrics)) return 'finished';
  // Committed run folders carry no checkpoints: an unfinished one without them starts afresh.
  return existsSync(p.checkpoints) ? 'interrupted' : 'stale';
}

/** Trains one run: into an empty folder, or continuing the folder's last checkpoint (`resume`). */
export type TrainRun = (run: PlannedRun, resume: boolean) => Promise<void>;

const clock = (s: number) => (s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.round((s % 3600) / 60)).padStart(2, '0')}m` : s >= 60 ? `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${Math.round(s)}s`);

/** The state of every run, one line each (what `--dry-run` prints). */
export function describeGrid(plan: readonly PlannedRun[], resume: boolean): string {
  const action: Record<RunStatus, string> = {
    finished: 'finished, skip',
    interrupted: resume ? 'interrupted, resume' : 'interrupted, restart (pass --resume to continue it)',
    stale: 'made from another config, retrain',
    new: 'train',
  };
  return plan.map((r) => `${r.id.padEnd(28)} ${action[runStatus(r)]}`).join('\n') + '\n';
}

/** Train every run that is not finished, with overall progress (runs done / total, ETA). */
export async function runGrid(plan: readonly PlannedRun[], train: TrainRun, opts: { resume: boolean }): Promise<{ trained: number; skipped: number }> {
  const todo = plan.filter((r) => runStatus(r) !== 'finished');
  const total = plan.length;
  let done = total - todo.length;
  if (done > 0) log.info(`reproduce: ${done}/${total} runs already finished with the same config; skipping them`);
  const t0 = Date.now();
  let trained = 0;
  for (const run of todo) {
    const status = runStatus(run);
    const resume = status === 'interrupted' && opts.resume;
    // A folder from another config or an interrupted run not resumed: start it afresh.
    if (!resume && existsSync(run.dir)) rmSync(run.dir, { recursive: true, force: true });
    await atomicWriteFile(run.configFile, YAML.stringify(run.raw));
    const eta = trained > 0 ? ` | ETA ${clock((((Date.now() - t0) / 1000) / trained) * (total - done))}` : '';
    log.info(`reproduce: run ${done + 1}/${total} ${run.id}${resume ? ' (resuming)' : ''}${eta}`);
    await train(run, resume);
    trained++;
    done++;
  }
  log.info(`reproduce: ${total}/${total} runs finished (${trained} trained now, ${clock((Date.now() - t0) / 1000)})`);
  return { trained, skipped: total - trained };
}
