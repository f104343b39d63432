/**
 * The reproduce tables, computed from finished run folders: Table III shape (per-domain and overall
 * test AUC, mean ± std over seeds, best in bold, RelaImpr, significance), zero-shot, ablation and
 * scaling; written as tables.md, one CSV per table, figures/*.svg and summary.json.
 */
import path from 'node:path';
import { atomicWriteFile, atomicWriteJson } from '../util/fs.js';
import { csvField } from '../train/run_folder.js';
import { relaImpr } from '../train/metrics.js';
import type { MetricsFile } from '../train/metrics_file.js';
import { isPaperDomainSet, PAPER_ABLATION, PAPER_DOMAINS, PAPER_TABLE3, PAPER_ZERO_SHOT, PAPER_ZERO_SHOT_DOMAIN } from '../train/paper.js';
import { modelKind } from '../model/registry.js';
import { runStatus, type PlannedRun } from './grid.js';
import type { ReproduceConfig, TableName } from './reproduce_config.js';
import { pairPredictions, readRunMetrics, readTestPredictions } from './run_results.js';
import { delongTest, pairedTTest } from './significance.js';
import { barChartSvg } from './figures.js';

export const OVERALL = 'Overall';
const ALPHA = 0.05;

export interface Cell {
  /** Mean over seeds of the AUC (null when no run scored this column). */
  mean: number | null;
  /** Sample standard deviation over seeds (0 with one seed). */
  std: number | null;
  /** Per-seed AUCs, seeds in grid order, and the run folders they came from. */
  values: number[];
  seeds: number[];
  runs: string[];
  /** Mean over seeds of the per-run bootstrap 95% interval and of the logloss. */
  ci95: [number, number] | null;
  logloss: number | null;
  /** Significance marker of this cell ('' = none). */
  mark?: string;
}

export interface TableRow {
  id: string;
  label: string;
  group: string;
  cells: Record<string, Cell>;
  /** RelaImpr (%) of the overall (or only) column over the reference row. */
  relaImpr?: number | null;
  /** Zero-shot: which head scored the unseen domain. */
  head?: string;
}

export interface Significance {
  column: string;
  focus: string;
  baseline: string;
  ttest: { t: number; df: number; p: number };
  /** One DeLong test per seed on that seed's paired test predictions. */
  delong: { seed: number; z: number; p: number; rows: number }[];
}

export interface Table {
  name: TableName;
  title: string;
  caption: string;
  columns: string[];
  rows: TableRow[];
  reference?: string;
  significance?: Significance[];
  paper?: { title: string; columns: string[]; rows: [string, (number | null)[]][] };
}

const GROUP: Record<string, string> = { single: 'single-domain', multi: 'multi-domain', states: 'frozen-state probe', unictr: 'Uni-CTR' };
const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
const sd = (v: number[]) => (v.length < 2 ? 0 : Math.sqrt(v.reduce((a, b) => a + (b - mean(v)) ** 2, 0) / (v.length - 1)));

/** A finished run of the grid with its metrics. */
export interface RunResult {
  run: PlannedRun;
  metrics: MetricsFile;
}

/** The finished runs of the plan (same config hash, metrics written); the others are left out. */
export function collectResults(plan: readonly PlannedRun[]): RunResult[] {
  return plan.filter((run) => runStatus(run) === 'finished').map((run) => ({ run, metrics: readRunMetrics(run.dir) }));
}

function cellOf(results: RunResult[], pick: (m: MetricsFile) => { auc: number; auc_ci95: [number, number]; logloss: number } | null | undefined): Cell {
  const got = results.map((r) => ({ r, s: pick(r.metrics) })).filter((x) => x.s && Number.isFinite(x.s.auc));
  if (got.length === 0) return { mean: null, std: null, values: [], seeds: [], runs: [], ci95: null, logloss: null };
  const aucs = got.map((x) => x.s!.auc);
  return {
    mean: mean(aucs),
    std: sd(aucs),
    values: aucs,
    seeds: got.map((x) => x.r.run.seed),
    runs: got.map((x) => path.relative(path.dirname(path.dirname(x.r.run.dir)), x.r.run.dir)),
    // metrics.json writes NaN as null: an interval or logloss missing in any seed is left out.
    ci95: got.every((x) => x.s!.auc_ci95.every((v) => typeof v === 'number' && Number.isFinite(v)))
      ? [mean(got.map((x) => x.s!.auc_ci95[0])), mean(got.map((x) => x.s!.auc_ci95[1]))]
      : null,
    logloss: got.every((x) => typeof x.s!.logloss === 'number' && Number.isFinite(x.s!.logloss)) ? mean(got.map((x) => x.s!.logloss)) : null,
  };
}

function labelOf(rc: ReproduceConfig, id: string): string {
  return rc.reproduce.models.find((m) => m.id === id)?.label ?? id;
}
function groupOf(rc: ReproduceConfig, id: string): string {
  return GROUP[modelKind(rc.reproduce.models.find((m) => m.id === id)!.model.name)]!;
}

/** Test AUC rows (per training domain + overall) of `models`, from the grid's default variants. */
function testRows(rc: ReproduceConfig, results: RunResult[], models: string[], domains: string[]): TableRow[] {
  return models.map((id) => {
    const mine = results.filter((r) => r.run.model === id && r.run.rows === undefined);
    const cells: Record<string, Cell> = {};
    for (const d of domains) cells[d] = cellOf(mine, (m) => m.test[d]);
    cells[OVERALL] = cellOf(mine, (m) => m.overall_test);
    return { id, label: labelOf(rc, id), group: groupOf(rc, id), cells };
  });
}

function addRelaImpr(rows: TableRow[], reference: string, column: string): void {
  const ref = rows.find((r) => r.id === reference)?.cells[column]?.mean ?? null;
  for (const r of rows) {
    const a = r.cells[column]?.mean ?? null;
    // RelaImpr divides by (reference − 0.5): undefined at 0.5 and meaningless below it.
    r.relaImpr = a === null || ref === null || ref <= 0.5 ? null : relaImpr(a, ref);
  }
}

function budgetText(rc: ReproduceConfig, seeds: number[]): string {
  const b = rc.reproduce.budget;
  const rows = b.max_train_rows > 0 ? `the same fixed ${b.max_train_rows.toLocaleString('en-US')}-row subset of the training rows per seed (shared among the domains by size)` : 'every training row';
  return `Budget: every model trains on ${rows}, stops early on the same validation rows (patience ${b.patience}, at most ${b.epochs} epochs) and is scored on the same test rows; seeds ${seeds.join(', ')}.`;
}

/** Loads each run's test predictions once. */
function predictionReader(): (r: RunResult) => ReturnType<typeof readTestPredictions> {
  const preds = new Map<string, ReturnType<typeof readTestPredictions>>();
  return (r) => {
    if (!preds.has(r.run.id)) preds.set(r.run.id, readTestPredictions(r.run.dir));
    return preds.get(r.run.id)!;
  };
}

/**
 * Row `a` vs row `b` in one column over the seeds both finished: a paired t-test over seeds and one
 * DeLong test per seed on the paired test predictions (null when no seed is shared yet).
 */
function comparePaired(
  a: TableRow,
  b: TableRow,
  col: string,
  results: RunResult[],
  trainDomains: string[],
  predsOf: ReturnType<typeof predictionReader>,
): { sig: Significance; a: number[]; b: number[] } | null {
  const ac = a.cells[col]!;
  const bc = b.cells[col]!;
  const seeds = ac.seeds.filter((s) => bc.seeds.includes(s));
  // An unfinished grid may have no seed that both rows finished: nothing to test yet.
  if (seeds.length === 0) return null;
  const va = seeds.map((s) => ac.values[ac.seeds.indexOf(s)]!);
  const vb = seeds.map((s) => bc.values[bc.seeds.indexOf(s)]!);
  const t = pairedTTest(va, vb);
  const domains = col === OVERALL ? trainDomains : [col];
  const delong = seeds.map((seed) => {
    const ra = results.find((r) => r.run.model === a.id && r.run.seed === seed && r.run.rows === undefined)!;
    const rb = results.find((r) => r.run.model === b.id && r.run.seed === seed && r.run.rows === undefined)!;
    const p = pairPredictions(predsOf(ra), predsOf(rb), domains, `${ra.run.id} vs ${rb.run.id}`);
    const d = delongTest(p.labels, p.scoresA, p.scoresB);
    return { seed, z: d.z, p: d.p, rows: p.labels.length };
  });
  return { sig: { column: col, focus: a.id, baseline: b.id, ttest: { t: t.t, df: t.df, p: t.p }, delong }, a: va, b: vb };
}

/** Focus vs the best other row of each column: paired t-test over seeds and per-seed DeLong. */
function significance(rows: TableRow[], results: RunResult[], focus: string, columns: string[], trainDomains: string[]): Significance[] {
  const f = rows.find((r) => r.id === focus);
  const others = rows.filter((r) => r.id !== focus);
  if (!f || others.length === 0) return [];
  const out: Significance[] = [];
  const predsOf = predictionReader();
  for (const col of columns) {
    const best = others.reduce((a, b) => ((b.cells[col]?.mean ?? -1) > (a.cells[col]?.mean ?? -1) ? b : a));
    const c = comparePaired(f, best, col, results, trainDomains, predsOf);
    if (!c) continue;
    out.push(c.sig);
    // Markers claim "significantly better": a significant difference in the other direction is
    // left unmarked (its p-values stay in summary.json).
    const better = mean(c.a) > mean(c.b);
    const betterEverySeed = c.a.every((x, i) => x > c.b[i]!);
    f.cells[col]!.mark = (c.sig.ttest.p < ALPHA && better ? '*' : '') + (betterEverySeed && c.sig.delong.every((x) => x.p < ALPHA) ? '†' : '');
  }
  return out;
}

/**
 * Every ablation row vs the reference (the full model) in the overall column. An ablation may win
 * or lose, so the marker is two-sided: * paired t-test p < ALPHA; † the same sign in every seed with
 * DeLong p < ALPHA in each (the RelaImpr column gives the direction).
 */
function ablationSignificance(rows: TableRow[], results: RunResult[], reference: string, trainDomains: string[]): Significance[] {
  const ref = rows.find((r) => r.id === reference);
  if (!ref) return [];
  const predsOf = predictionReader();
  const out: Significance[] = [];
  for (const row of rows) {
    if (row === ref) continue;
    const c = comparePaired(ref, row, OVERALL, results, trainDomains, predsOf);
    if (!c) continue;
    out.push(c.sig);
    const sameSign = c.a.every((x, i) => x > c.b[i]!) || c.a.every((x, i) => x < c.b[i]!);
    row.cells[OVERALL]!.mark = (c.sig.ttest.p < ALPHA ? '*' : '') + (sameSign && c.sig.delong.every((x) => x.p < ALPHA) ? '†' : '');
  }
  return out;
}

export function buildTables(rc: ReproduceConfig, results: RunResult[], seeds: number[], only?: readonly TableName[]): Table[] {
  const t = rc.reproduce.tables;
  const want = (n: TableName) => t[n] !== undefined && (!only || only.includes(n));
  const domains = ((rc.base.domains as { train?: string[] } | undefined)?.train ?? []).slice();
  const zero = ((rc.base.domains as { zero_shot?: string[] } | undefined)?.zero_shot ?? []).slice();
  const paperDomains = isPaperDomainSet(domains);
  const budget = budgetText(rc, seeds);
  const note = rc.reproduce.note ? ` ${rc.reproduce.note}` : '';
  const tables: Table[] = [];

  if (want('table3')) {
    const cfg = t.table3!;
    const rows = testRows(rc, results, cfg.models, domains);
    addRelaImpr(rows, cfg.reference, OVERALL);
    const columns = [...domains, OVERALL];
    const sig = significance(rows, results, cfg.focus, columns, domains);
    tables.push({
      name: 'table3',
      title: 'Test AUC per domain (paper Table III shape)',
      caption:
        `Mean ± std over seeds of the test AUC; "${OVERALL}" pools the test rows of all training domains. Best mean per column in bold. ` +
        `RelaImpr of the ${OVERALL} column over ${labelOf(rc, cfg.reference)}. ` +
        `${labelOf(rc, cfg.focus)} vs the best other row of each column, marked only where ${labelOf(rc, cfg.focus)} is higher: * paired t-test over seeds p < ${ALPHA}; † higher in every seed with DeLong p < ${ALPHA} on the pooled test predictions (every p-value, either direction, is listed below and in summary.json). ${budget}${note}`,
      columns,
      rows,
      reference: cfg.reference,
      significance: sig,
      paper: paperDomains
        ? {
            title: "The paper's numbers (Table III: Sheared-LLaMA backbone, full 2018 data; for orientation, not comparable)",
            columns: [...PAPER_DOMAINS],
            rows: cfg.models.map((id): [string, (number | null)[]] => {
              const name = rc.reproduce.models.find((m) => m.id === id)!.model.name;
              return [labelOf(rc, id), PAPER_DOMAINS.map((d) => PAPER_TABLE3[name]?.[d] ?? null)];
            }),
          }
        : undefined,
    });
  }

  if (want('zero_shot') && zero.length > 0) {
    const cfg = t.zero_shot!;
    const rows: TableRow[] = cfg.models.map((id) => {
      const mine = results.filter((r) => r.run.model === id && r.run.rows === undefined);
      const cells: Record<string, Cell> = {};
      for (const d of zero) cells[d] = cellOf(mine, (m) => m.zero_shot[d]);
      const heads = [...new Set(mine.flatMap((r) => Object.values(r.metrics.zero_shot).map((z) => z.head ?? '')))];
      return { id, label: labelOf(rc, id), group: groupOf(rc, id), cells, head: heads.join(' / ') };
    });
    tables.push({
      name: 'zero_shot',
      title: `Zero-shot AUC on ${zero.join(', ')} (paper Fig. 3 shape)`,
      caption:
        `Mean ± std over seeds of the AUC on the test rows of domains no model trained on. Uni-CTR scores them with its general network; ` +
        `a multi-domain baseline with the tower whose validation score over the training domains is best; single-domain baselines with the per-domain model that is best on the training domains' validation rows. ${budget}${note}`,
      columns: zero,
      rows,
      paper:
        zero.includes(PAPER_ZERO_SHOT_DOMAIN) && paperDomains
          ? {
              title: `The paper's numbers (Fig. 3, ${PAPER_ZERO_SHOT_DOMAIN}; single-domain baselines 0.500–0.504)`,
              columns: [PAPER_ZERO_SHOT_DOMAIN],
              rows: cfg.models.map((id): [string, (number | null)[]] => [labelOf(rc, id), [PAPER_ZERO_SHOT[rc.reproduce.models.find((m) => m.id === id)!.model.name] ?? null]]),
            }
          : undefined,
    });
  }

  if (want('ablation')) {
    const cfg = t.ablation!;
    const rows = testRows(rc, results, cfg.models, domains);
    addRelaImpr(rows, cfg.reference, OVERALL);
    const sig = ablationSignificance(rows, results, cfg.reference, domains);
    tables.push({
      name: 'ablation',
      title: 'Ablation (paper Tables V and VI shape)',
      caption: `Mean ± std over seeds of the test AUC; RelaImpr of the ${OVERALL} column over ${labelOf(rc, cfg.reference)} (negative: the ablation loses). ` +
        `Each row vs ${labelOf(rc, cfg.reference)} in the ${OVERALL} column, either direction: * paired t-test over seeds p < ${ALPHA}; † the same sign in every seed with DeLong p < ${ALPHA} on the pooled test predictions of each (p-values below and in summary.json). ${budget}${note}`,
      columns: [...domains, OVERALL],
      rows,
      reference: cfg.reference,
      significance: sig,
      paper: paperDomains
        ? {
            title: "The paper's numbers (Tables V and VI: DeBERTa-V3-Large backbone; for orientation, not comparable)",
            columns: [...PAPER_DOMAINS],
            rows: Object.entries(PAPER_ABLATION).map(([k, v]): [string, (number | null)[]] => [k, PAPER_DOMAINS.map((d) => v[d] ?? null)]),
          }
        : undefined,
    });
  }

  if (want('scaling')) {
    const cfg = t.scaling!;
    const columns = cfg.max_train_rows.map((n) => `${n} rows`);
    const rows: TableRow[] = cfg.models.map((id) => {
      const cells: Record<string, Cell> = {};
      cfg.max_train_rows.forEach((n, k) => {
        const variant = results.filter((r) => r.run.model === id && r.run.rows === n);
        const base = n === rc.reproduce.budget.max_train_rows ? results.filter((r) => r.run.model === id && r.run.rows === undefined) : [];
        cells[columns[k]!] = cellOf(variant.length ? variant : base, (m) => m.overall_test);
      });
      return { id, label: labelOf(rc, id), group: groupOf(rc, id), cells };
    });
    tables.push({
      name: 'scaling',
      title: 'Overall test AUC vs training rows (paper Fig. 4 shape)',
      caption:
        `Mean ± std over seeds of the AUC of all training domains' test rows when every model trains on the same fixed subset of n rows. ` +
        `The paper scales the backbone (TinyBERT → Sheared-LLaMA); locally only USE-lite is pretrained, so this figure scales the training data instead.${note}`,
      columns,
      rows,
    });
  }
  return tables;
}

const f4 = (x: number | null | undefined) => (x === null || x === undefined || !Number.isFinite(x) ? 'n/a' : x.toFixed(4));
const pct = (x: number | null | undefined) => (x === null || x === undefined ? 'n/a' : `${x >= 0 ? '+' : ''}${x.toFixed(2)}%`);

function cellText(c: Cell | undefined, bold: boolean, seeds: number): string {
  if (!c || c.mean === null) return 'n/a';
  const s = c.values.length > 1 ? `${c.mean.toFixed(4)} ± ${c.std!.toFixed(4)}` : c.mean.toFixed(4);
  // A cell of an unfinished grid says how many of the seeds it averages.
  const partial = c.values.length < seeds ? ` (${c.values.length}/${seeds} seeds)` : '';
  return `${bold ? `**${s}**` : s}${c.mark ?? ''}${partial}`;
}

function bestOf(t: Table, col: string): number | null {
  const v = t.rows.map((r) => r.cells[col]?.mean).filter((x): x is number => x !== null && x !== undefined);
  return v.length ? Math.max(...v) : null;
}

export function tableMarkdown(t: Table, seeds: number): string {
  const extra = t.name === 'zero_shot' ? ['scored by'] : t.reference ? ['RelaImpr'] : [];
  const head = ['model', 'group', ...t.columns, ...extra];
  const lines = [`## ${t.title}`, '', `| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const r of t.rows) {
    const cells = t.columns.map((c) => cellText(r.cells[c], r.cells[c]?.mean !== null && r.cells[c]?.mean === bestOf(t, c), seeds));
    const own = r.cells[OVERALL]?.mean ?? null;
    const rela = r.id === t.reference ? 'reference' : r.relaImpr !== null ? pct(r.relaImpr) : own === null ? 'n/a' : 'n/a (reference AUC ≤ 0.5 or missing)';
    const tail = t.name === 'zero_shot' ? [r.head ?? ''] : t.reference ? [rela] : [];
    lines.push(`| ${[r.label, r.group, ...cells, ...tail].join(' | ')} |`);
  }
  lines.push('', t.caption, '');
  if (t.significance?.length) {
    lines.push('| column | compared | paired t-test p | DeLong p per seed |', '|---|---|---|---|');
    for (const s of t.significance) {
      lines.push(`| ${s.column} | ${s.focus} vs ${s.baseline} | ${f4(s.ttest.p)} | ${s.delong.map((d) => `${d.seed}: ${f4(d.p)}`).join(', ')} |`);
    }
    lines.push('');
  }
  if (t.paper) {
    lines.push(`**${t.paper.title}**`, '', `| model | ${t.paper.columns.join(' | ')} |`, `|---|${t.paper.columns.map(() => '---').join('|')}|`);
    for (const [label, v] of t.paper.rows) lines.push(`| ${label} | ${v.map((x) => f4(x)).join(' | ')} |`);
    lines.push('');
  }
  return lines.join('\n');
}

/** One CSV per table: a row per model and column with mean, std, interval, logloss and the seeds' AUCs. */
export function tableCsv(t: Table): string {
  const lines = ['model,group,column,auc_mean,auc_std,auc_ci95_low,auc_ci95_high,logloss_mean,seeds,auc_per_seed,marker,relaimpr_pct'];
  for (const r of t.rows) {
    for (const c of t.columns) {
      const x = r.cells[c]!;
      lines.push(
        [
          csvField(r.label), csvField(r.group), csvField(c), f4(x.mean), f4(x.std), f4(x.ci95?.[0]), f4(x.ci95?.[1]), f4(x.logloss),
          x.seeds.join(' '), x.values.map((v) => v.toFixed(6)).join(' '), x.mark ?? '', c === OVERALL && r.relaImpr != null ? r.relaImpr.toFixed(4) : '',
        ].join(','),
      );
    }
  }
  return lines.join('\n') + '\n';
}

function figureOf(t: Table): string {
  return barChartSvg({
    title: t.title,
    groups: t.columns,
    yLabel: 'test AUC (mean over seeds)',
    series: t.rows.map((r) => ({ name: r.label, values: t.columns.map((c) => r.cells[c]?.mean ?? null), intervals: t.columns.map((c) => r.cells[c]?.ci95 ?? null) })),
    note: 'Whiskers: bootstrap 95% interval of the test AUC, averaged over seeds.',
  });
}

/** tables.md, <table>.csv, figures/<table>.svg and summary.json under `out`. */
export async function writeTables(
  out: string,
  rc: ReproduceConfig,
  tables: Table[],
  info: { seeds: number[]; command: string; /** Planned runs that have not finished (an incomplete grid). */ missing?: readonly string[] },
): Promise<string[]> {
  const written: string[] = [];
  const w = async (rel: string, text: string) => {
    await atomicWriteFile(path.join(out, rel), text);
    written.push(rel);
  };
  const md = [
    `# ${rc.name}: reproduced tables`,
    '',
    `Made by \`${info.command}\` from the run folders under \`runs/\` (config: \`${path.relative(process.cwd(), rc.file)}\`). ` +
      'Every number is in summary.json with the run folders it came from; the per-table CSVs hold each seed.',
    '',
    ...(info.missing?.length
      ? [
          `**Incomplete grid: ${info.missing.length} planned run${info.missing.length === 1 ? ' has' : 's have'} not finished** (${info.missing.join(', ')}). ` +
            'Cells average the seeds that finished and say so when they are fewer than the grid\'s; rerun the command to complete it.',
          '',
        ]
      : []),
    ...tables.flatMap((t) => [tableMarkdown(t, info.seeds.length), `![${t.name}](figures/${t.name}.svg)`, '']),
  ].join('\n');
  await w('tables.md', md);
  for (const t of tables) {
    await w(`${t.name}.csv`, tableCsv(t));
    await w(`figures/${t.name}.svg`, figureOf(t));
  }
  await atomicWriteJson(path.join(out, 'summary.json'), {
    name: rc.name,
    config: path.relative(process.cwd(), rc.file),
    seeds: info.seeds,
    budget: rc.reproduce.budget,
    missing_runs: info.missing ?? [],
    tables,
  });
  written.push('summary.json');
  return written;
}
