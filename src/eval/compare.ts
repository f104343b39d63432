/**
 * `unictr compare`: finished runs side by side — test AUC per domain and zero-shot AUC with their
 * bootstrap 95% intervals, logloss, and the RelaImpr of each run over a reference run (spec §6:
 * ((AUC_A − 0.5) / (AUC_B − 0.5) − 1) × 100%), as markdown, CSV or JSON.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { RunFolderError } from '../util/errors.js';
import { log } from '../util/log.js';
import { relaImpr } from '../train/metrics.js';
import { csvField, runPaths } from '../train/run_folder.js';
import { readRunMetrics } from './run_results.js';

export interface CompareCell {
  auc: number;
  ci95: [number, number];
  logloss: number;
  rows: number;
  /** RelaImpr (%) over the reference run's AUC in the same column; null when undefined. */
  rela_impr: number | null;
}

export interface CompareColumn {
  key: string;
  domain: string;
  part: 'test' | 'zero_shot';
}

export interface CompareRow {
  /** The run's experiment name (config.yaml `name`). */
  name: string;
  folder: string;
  model: string;
  seed: number;
  reference: boolean;
  cells: Record<string, CompareCell | null>;
}

export interface Comparison {
  columns: CompareColumn[];
  rows: CompareRow[];
  /** Folder of the reference run, when one was given. */
  reference: string | null;
  notes: string[];
}

function runName(dir: string): string {
  try {
    const cfg = YAML.parse(readFileSync(runPaths(dir).config, 'utf8')) as { name?: unknown };
    return typeof cfg?.name === 'string' ? cfg.name : path.basename(dir);
  } catch {
    return path.basename(dir);
  }
}

export function compareRuns(dirs: readonly string[], ref?: string): Comparison {
  if (dirs.length === 0) throw new RunFolderError('compare: name at least one run folder');
  const folders = [...(ref ? [ref] : []), ...dirs.filter((d) => !ref || path.resolve(d) !== path.resolve(ref))];
  for (const d of folders) if (!existsSync(d)) throw new RunFolderError(`run folder not found: ${d}`);
  const runs = folders.map((dir) => ({ dir, m: readRunMetrics(dir) }));
  const columns: CompareColumn[] = [];
  for (const part of ['test', 'zero_shot'] as const) {
    for (const domain of new Set(runs.flatMap((r) => Object.keys(r.m[part] ?? {})))) {
      columns.push({ key: part === 'test' ? domain : `${domain} (zero-shot)`, domain, part });
    }
  }
  const notes: string[] = [];
  const shared = columns.filter((c) => runs.every((r) => r.m[c.part]?.[c.domain]));
  if (runs.length > 1 && shared.length === 0) {
    const msg = 'the runs share no domain: no column compares them (were they trained on different data?)';
    log.warn(msg);
    notes.push(msg);
  }
  const refRun = ref ? runs[0]! : null;
  let undefinedRela = false;
  const rows: CompareRow[] = runs.map(({ dir, m }) => {
    const cells: Record<string, CompareCell | null> = {};
    for (const c of columns) {
      const s = m[c.part]?.[c.domain];
      if (!s) {
        cells[c.key] = null;
        continue;
      }
      const b = refRun?.m[c.part]?.[c.domain]?.auc;
      // RelaImpr divides by (reference AUC − 0.5): undefined at 0.5, meaningless below.
      const rela = b === undefined || !(b > 0.5) || !Number.isFinite(s.auc) ? null : relaImpr(s.auc, b);
      if (b !== undefined && !(b > 0.5)) undefinedRela = true;
      cells[c.key] = { auc: s.auc, ci95: s.auc_ci95, logloss: s.logloss, rows: s.rows, rela_impr: rela };
    }
    return { name: runName(dir), folder: dir, model: m.model, seed: m.seed, reference: refRun !== null && dir === refRun.dir, cells };
  });
  if (ref) notes.push(`AUC [bootstrap 95% interval] (RelaImpr over the reference run ${runName(ref)}, ${ref}).`);
  else notes.push('AUC [bootstrap 95% interval]; pass --ref RUN for the RelaImpr over a reference run.');
  if (undefinedRela) notes.push('RelaImpr is undefined where the reference AUC is 0.5 or below (it divides by AUC − 0.5): shown as n/a.');
  return { columns, rows, reference: ref ?? null, notes };
}

const f4 = (x: number | null | undefined) => (x === null || x === undefined || !Number.isFinite(x) ? 'n/a' : x.toFixed(4));

function aucCell(c: CompareCell | null, row: CompareRow, withRef: boolean): string {
  if (!c) return '–';
  const base = `${f4(c.auc)} [${f4(c.ci95[0])}, ${f4(c.ci95[1])}]`;
  if (!withRef || row.reference) return base;
  return `${base} (${c.rela_impr === null ? 'n/a' : `${c.rela_impr >= 0 ? '+' : ''}${c.rela_impr.toFixed(1)}%`})`;
}

export function comparisonMarkdown(cmp: Comparison): string {
  const withRef = cmp.reference !== null;
  const label = (r: CompareRow) => `${r.name}${r.reference ? ' (reference)' : ''}`;
  const head = ['run', 'folder', 'model', 'seed', ...cmp.columns.map((c) => c.key)];
  const lines = ['### AUC', '', `| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const r of cmp.rows) lines.push(`| ${[label(r), r.folder, r.model, r.seed, ...cmp.columns.map((c) => aucCell(r.cells[c.key]!, r, withRef))].join(' | ')} |`);
  lines.push('', ...cmp.notes, '', '### Logloss', '', `| ${['run', ...cmp.columns.map((c) => c.key)].join(' | ')} |`, `|${['run', ...cmp.columns].map(() => '---').join('|')}|`);
  for (const r of cmp.rows) lines.push(`| ${[label(r), ...cmp.columns.map((c) => (r.cells[c.key] ? f4(r.cells[c.key]!.logloss) : '–'))].join(' | ')} |`);
  return lines.join('\n') + '\n';
}

/** One line per run and column (long format). */
export function comparisonCsv(cmp: Comparison): string {
  const lines = ['run,folder,model,seed,reference,domain,split,rows,auc,auc_ci95_low,auc_ci95_high,logloss,relaimpr_pct'];
  for (const r of cmp.rows) {
    for (const c of cmp.columns) {
      const x = r.cells[c.key];
      if (!x) continue;
      lines.push(
        [csvField(r.name), csvField(r.folder), csvField(r.model), r.seed, r.reference, csvField(c.domain), c.part, x.rows, x.auc, x.ci95[0], x.ci95[1], x.logloss, x.rela_impr ?? '']
          .map(String)
          .join(','),
      );
    }
  }
  return lines.join('\n') + '\n';
}
