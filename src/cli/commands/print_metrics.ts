/** Console summary of a metrics file (stdout), or the JSON itself with --json. */
import type { MetricsFile } from '../../train/run.js';

const f = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? '  n/a ' : x.toFixed(4));

export function printMetrics(m: Pick<MetricsFile, 'test' | 'zero_shot'> & Partial<MetricsFile>, json: boolean): void {
  if (json) {
    process.stdout.write(JSON.stringify(m, null, 2) + '\n');
    return;
  }
  const rows: string[] = [];
  const add = (kind: string, name: string, r: MetricsFile['test'][string]) =>
    rows.push(
      `${kind.padEnd(10)} ${name.padEnd(22)} rows ${String(r.rows).padStart(6)}  AUC ${f(r.auc)} [${f(r.auc_ci95[0])}, ${f(r.auc_ci95[1])}]  logloss ${f(r.logloss)}`,
    );
  for (const [d, r] of Object.entries(m.test)) add('test', d, r);
  for (const [d, r] of Object.entries(m.zero_shot)) add('zero-shot', d, r);
  process.stdout.write(rows.join('\n') + '\n');
}
