/**
 * A trained run scoring rows it has never seen (src/data/new_rows.ts): zero-shot on a new
 * domain's file, adding a domain from a file, predicting a file row by row. Nothing of the run
 * changes except new result files.
 */
import { readVocab } from '../data/dataset.js';
import { describeUnseen, newDataConfig, prepareNewRows, type NewDataSpec, type NewDomainInfo, type NewPart, type NewRows } from '../data/new_rows.js';
import type { SplitColumns } from '../data/types.js';
import { ConfigError } from '../util/errors.js';
import { log } from '../util/log.js';
import { predictRows, type RowSource } from './fit.js';
import { rowsOfDomains } from './batches.js';
import { cappedTrainRows } from './model_setup.js';
import { openTrainedRun, type RunContext } from './run.js';
import type { DatasetOptions } from './dataset_access.js';

export interface NewDataRun {
  ctx: RunContext;
  rows: NewRows;
}

/**
 * Open a trained run (weights restored, its own prompts not re-encoded) and preprocess `spec`
 * with its rules. Domains the run does not have are appended to `ctx.manifest.domains` in memory
 * only, so that models address them by name like any other domain.
 */
export async function openRunWithNewData(
  dir: string,
  spec: NewDataSpec,
  parts: readonly NewPart[],
  opts: { scoreEveryRow?: boolean; dataset?: DatasetOptions } = {},
): Promise<NewDataRun> {
  const ctx = await openTrainedRun(dir, [], opts.dataset, 'none');
  try {
    const loaded = newDataConfig(ctx.manifest, spec, opts.scoreEveryRow);
    const vocab = await readVocab(ctx.config.dataset_dir);
    const rows = await prepareNewRows(ctx.manifest, vocab, loaded, parts, { keepLongPrompts: opts.scoreEveryRow });
    for (const d of rows.domains) {
      if (d.inRun) continue;
      ctx.manifest.domains.push({
        name: d.name,
        id: d.id,
        splits: { train: { rows: 0, positives: 0 }, valid: { rows: 0, positives: 0 }, test: { rows: 0, positives: 0 } },
        exact_duplicates: 0,
      });
    }
    for (const d of rows.domains) log.info(describeUnseen(d));
    return { ctx, rows };
  } catch (e) {
    ctx.built.dispose();
    throw e;
  }
}

/** The new data's domains, or the one named by `--domain` (error naming the ones it has). */
export function pickDomains(rows: NewRows, wanted: string | undefined, file: string): NewDomainInfo[] {
  if (wanted === undefined) return rows.domains;
  const d = rows.domains.find((x) => x.name === wanted);
  if (!d) throw new ConfigError(`${file}: no rows of domain "${wanted}" (it has: ${rows.domains.map((x) => `"${x.name}"`).join(', ')})`);
  return [d];
}

export interface NewScores {
  src: RowSource;
  scores: Float64Array;
  /** Head that scored the rows: the domain's own tower / DSN, "general", or the chosen tower. */
  head: string;
  /** The rule, in words. */
  rule: string;
}

/**
 * Score one domain's rows of a new table. A domain the model has a tower or DSN for (a training
 * domain, or one added with add-domain) uses it; any other domain uses the run's zero-shot rule:
 * Uni-CTR its general network, a multi-domain baseline the tower best on the training domains'
 * validation rows, single-domain baselines the best per-domain model (with out-of-vocabulary ids).
 */
export async function scoreNewDomain(ctx: RunContext, split: SplitColumns, domain: NewDomainInfo, zeroShotOnly = false): Promise<NewScores> {
  const rows = rowsOfDomains(split, [domain.id]);
  const src = await ctx.built.sourceOf(split, rows);
  const bs = ctx.config.train.eval_batch_size;
  const unit = ctx.built.unitFor(domain.id) ?? ctx.built.units[0]!;
  const own = ctx.trainIds.includes(domain.id) || unit.towerOf(domain.id) >= 0;
  if (own && zeroShotOnly) {
    throw new ConfigError(`domain "${domain.name}" has its own ${ctx.trainIds.includes(domain.id) ? 'training tower' : 'added network'} in this run; zero-shot scores unseen domains only (use predict)`);
  }
  if (own) {
    return { src, scores: await predictRows(unit.model, src, unit.towerOf, bs), head: domain.name, rule: `own ${ctx.trainIds.includes(domain.id) ? 'tower' : 'added domain-specific network'}` };
  }
  const pick = await ctx.built.zeroShotScorer();
  // ID features of users and items the run never saw are the out-of-vocabulary id 0.
  const oov = ctx.config.model.name === 'unictr' ? '' : '; unseen user/item ids scored as the out-of-vocabulary id 0';
  return { src, scores: await pick.score(src), head: pick.head, rule: `${pick.description}${oov}` };
}

export interface NewDomainTrainRows {
  /** Rows of `rows.parts.train` the new domain trains on. */
  rows: Int32Array;
  /** The domain's training rows before the cap. */
  of: number;
  /** The run's `train.max_train_rows` (0: no cap). */
  cap: number;
}

/**
 * Training rows of a domain added from new data (add-domain --data), under the run's
 * `train.max_train_rows` exactly as on the in-dataset add-domain path: at most the cap, a fixed
 * random subset drawn from the run's seed and the domain's id (model_setup.cappedTrainRows).
 */
export function newDomainTrainRows(ctx: RunContext, rows: NewRows, domain: NewDomainInfo): NewDomainTrainRows {
  const train = rows.parts.train;
  if (!train) throw new Error('newDomainTrainRows: the new rows were prepared without a train part');
  const cap = ctx.config.train.max_train_rows;
  return {
    rows: cappedTrainRows(train, ctx.trainIds, cap, ctx.config.seed)(domain.id),
    of: rowsOfDomains(train, [domain.id]).length,
    cap,
  };
}

/** "trained on 320 of 481 training rows (train.max_train_rows: 320)" */
export function describeTrainRows(t: NewDomainTrainRows): string {
  const n = (x: number) => x.toLocaleString('en-US');
  if (t.rows.length === t.of) return `trained on all ${n(t.of)} training rows${t.cap > 0 ? ` (train.max_train_rows: ${n(t.cap)})` : ''}`;
  return `trained on ${n(t.rows.length)} of ${n(t.of)} training rows (train.max_train_rows: ${n(t.cap)})`;
}
