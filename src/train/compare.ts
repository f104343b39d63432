/**
 * A comparison table (markdown) of finished runs: test AUC per domain and zero-shot AUC, with the
 * RelaImpr of each run over a reference run (spec §6: ((AUC_A − 0.5) / (AUC_B − 0.5) − 1) × 100%).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { RunFolderError } from '../util/errors.js';
import { relaImpr } from './metrics.js';
import { runPaths } from './run_folder.js';

interface Scored {
  auc: number | null;
}
interface RunMetrics {
  model: string;
  test: Record<string, Scored>;
  zero_shot: Record<string, Scored>;
}

function load(dir: string): RunMetrics {
  const f = runPaths(dir).metrics;
  if (!existsSync(f)) throw new RunFolderError(`${dir}: no metrics.json (is it a finished run folder?)`);
  return JSON.parse(readFileSync(f, 'utf8')) as RunMetrics;
}

const fmt = (x: number | null | undefined) => (x === null || x === undefined || Number.isNaN(x) ? 'n/a' : x.toFixed(4));

function withImpr(a: number | null | undefined, b: number | null | undefined): string {
  if (a == null || b == null) return fmt(a);
  const r = relaImpr(a, b);
  return `${fmt(a)} (${r >= 0 ? '+' : ''}${r.toFixed(1)}%)`;
}

export function compareRuns(dirs: readonly string[], ref?: string): string {
  if (dirs.length === 0) throw new RunFolderError('compare: name at least one run folder');
  const runs = dirs.map((d) => ({ dir: d, m: load(d) }));
  const base = ref ? load(ref) : null;
  const domains = [...new Set(runs.flatMap((r) => Object.keys(r.m.test)))];
  const zero = [...new Set(runs.flatMap((r) => Object.keys(r.m.zero_shot)))];
  const head = ['run', 'model', ...domains, ...zero.map((z) => `${z} (zero-shot)`)];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const { dir, m } of runs) {
    const cell = (part: 'test' | 'zero_shot', d: string) =>
      base ? withImpr(m[part][d]?.auc, base[part][d]?.auc) : fmt(m[part][d]?.auc);
    lines.push(`| ${[path.basename(dir), m.model, ...domains.map((d) => cell('test', d)), ...zero.map((d) => cell('zero_shot', d))].join(' | ')} |`);
  }
  if (ref) lines.push('', `AUC (RelaImpr over ${path.basename(ref)}).`);
  return lines.join('\n') + '\n';
}
