/**
 * Reading finished run folders: metrics.json and the pooled test predictions, paired across runs
 * by (domain, row_id) so that two models' scores of the same test row meet.
 */
import { existsSync, readFileSync } from 'node:fs';
import { RunFolderError } from '../util/errors.js';
import { runPaths } from '../train/run_folder.js';
import type { MetricsFile, PredictionRow } from '../train/metrics_file.js';
import path from 'node:path';

export function readRunMetrics(dir: string): MetricsFile {
  const f = runPaths(dir).metrics;
  if (!existsSync(f)) throw new RunFolderError(`${dir}: no metrics.json (is it a finished run folder?)`);
  try {
    return JSON.parse(readFileSync(f, 'utf8')) as MetricsFile;
  } catch (e) {
    throw new RunFolderError(`${f}: not valid JSON (${(e as Error).message})`);
  }
}

/** Fields of one CSV line (RFC 4180 quoting, as run_folder.csvField writes it). */
function csvFields(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') (cur += '"'), i++;
      else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') out.push(cur), (cur = '');
    else cur += c;
  }
  out.push(cur);
  return out;
}

/** predictions/test.csv of a run; rows must carry row_id (runs from before it cannot be paired). */
export function readTestPredictions(dir: string): Required<PredictionRow>[] {
  const f = path.join(runPaths(dir).predictions, 'test.csv');
  if (!existsSync(f)) throw new RunFolderError(`${dir}: no predictions/test.csv`);
  const lines = readFileSync(f, 'utf8').trimEnd().split('\n');
  const head = csvFields(lines[0] ?? '');
  const col = (name: string) => {
    const k = head.indexOf(name);
    if (k < 0) throw new RunFolderError(`${f}:1: expected a "${name}" column (header: ${lines[0]}); retrain or re-evaluate the run with this version`);
    return k;
  };
  const [d, l, s, r] = [col('domain'), col('label'), col('score'), col('row_id')];
  return lines.slice(1).map((line, i) => {
    const x = csvFields(line);
    const row = { domain: x[d]!, label: Number(x[l]), score: Number(x[s]), rowId: Number(x[r]) };
    if (!Number.isFinite(row.score) || !Number.isInteger(row.rowId)) throw new RunFolderError(`${f}:${i + 2}: expected a number in score and row_id`);
    return row;
  });
}

/**
 * Scores of two runs on the same test rows, restricted to `domains`, in one order. Throws when the
 * runs did not score the same rows with the same labels (different datasets cannot be paired).
 */
export function pairPredictions(
  a: Required<PredictionRow>[],
  b: Required<PredictionRow>[],
  domains: readonly string[],
  what: string,
): { labels: number[]; scoresA: number[]; scoresB: number[] } {
  const keep = new Set(domains);
  const key = (p: PredictionRow) => `${p.domain}\u0000${p.rowId}`;
  const byKey = new Map(b.filter((p) => keep.has(p.domain)).map((p) => [key(p), p]));
  const labels: number[] = [];
  const scoresA: number[] = [];
  const scoresB: number[] = [];
  for (const p of a) {
    if (!keep.has(p.domain)) continue;
    const q = byKey.get(key(p));
    if (!q || q.label !== p.label) throw new RunFolderError(`${what}: the runs did not score the same test rows (row ${p.rowId} of ${p.domain})`);
    labels.push(p.label);
    scoresA.push(p.score);
    scoresB.push(q.score);
    byKey.delete(key(p));
  }
  if (byKey.size > 0) throw new RunFolderError(`${what}: the runs did not score the same test rows (${byKey.size} rows only in one)`);
  return { labels, scoresA, scoresB };
}
