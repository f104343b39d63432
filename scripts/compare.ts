/**
 * Comparison table (markdown) of finished runs: test AUC per domain, zero-shot AUC, and RelaImpr of
 * each run over a reference run (spec §6: ((AUC_A − 0.5) / (AUC_B − 0.5) − 1) × 100%).
 *
 *   npx tsx scripts/compare.ts --ref runs/baselines/dnn runs/quickstart runs/baselines/*
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { relaImpr } from '../src/train/metrics.js';

interface M {
  auc: number | null;
  auc_ci95: [number, number];
}
interface Metrics {
  model: string;
  test: Record<string, M>;
  zero_shot: Record<string, M>;
}

const { values, positionals } = parseArgs({ options: { ref: { type: 'string' } }, allowPositionals: true });
const runs = positionals.filter((d) => existsSync(path.join(d, 'metrics.json')));
if (runs.length === 0) {
  process.stderr.write('usage: compare.ts [--ref RUN] RUN...  (folders with metrics.json)\n');
  process.exit(2);
}
const load = (d: string) => JSON.parse(readFileSync(path.join(d, 'metrics.json'), 'utf8')) as Metrics;
const all = runs.map((d) => ({ dir: d, m: load(d) }));
const ref = values.ref ? load(values.ref) : null;
const domains = [...new Set(all.flatMap((r) => Object.keys(r.m.test)))];
const zero = [...new Set(all.flatMap((r) => Object.keys(r.m.zero_shot)))];
const f = (x: number | null | undefined) => (x === null || x === undefined || Number.isNaN(x) ? 'n/a' : x.toFixed(4));
const ri = (a: number | null | undefined, b: number | null | undefined) =>
  a == null || b == null ? '' : ` (${relaImpr(a, b) >= 0 ? '+' : ''}${relaImpr(a, b).toFixed(1)}%)`;
const head = ['run', 'model', ...domains, ...zero.map((z) => `${z} (zero-shot)`)];
const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
for (const { dir, m } of all) {
  const cells = [
    path.basename(dir),
    m.model,
    ...domains.map((d) => f(m.test[d]?.auc) + (ref ? ri(m.test[d]?.auc, ref.test[d]?.auc) : '')),
    ...zero.map((d) => f(m.zero_shot[d]?.auc) + (ref ? ri(m.zero_shot[d]?.auc, ref.zero_shot[d]?.auc) : '')),
  ];
  lines.push(`| ${cells.join(' | ')} |`);
}
if (ref) lines.push('', `RelaImpr in parentheses is relative to ${values.ref}.`);
process.stdout.write(lines.join('\n') + '\n');
