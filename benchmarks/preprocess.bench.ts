/**
 * Preprocessing throughput: generate ~1M synthetic Amazon-2018 rows (3 domains), run `prepare`,
 * report rows/s and peak RSS (process.resourceUsage().maxRSS, which includes DuckDB's memory).
 * Usage: npm run bench:preprocess [-- --rows 1000000 --keep]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { generateSynthetic } from '../src/data/synthetic/generate.js';
import { prepareDataset } from '../src/data/prepare.js';

const { values } = parseArgs({ options: { rows: { type: 'string', default: '1000000' }, keep: { type: 'boolean', default: false } } });
const total = Number(values.rows);
const domains = ['Synthetic A', 'Synthetic B', 'Synthetic C'];
const dir = mkdtempSync(path.join(os.tmpdir(), 'unictr-bench-'));
try {
  let t = performance.now();
  const gen = await generateSynthetic({
    outDir: path.join(dir, 'raw'),
    domains,
    users: Math.max(100, Math.round(total / 10)),
    itemsPerDomain: Math.max(50, Math.round(total / 50)),
    rowsPerDomain: Math.ceil(total / domains.length),
    seed: 2012,
    gzipLevel: 1,
  });
  const genS = (performance.now() - t) / 1000;
  const rssBefore = process.resourceUsage().maxRSS;
  t = performance.now();
  const m = await prepareDataset({ config: gen.config, out: path.join(dir, 'processed') });
  const s = (performance.now() - t) / 1000;
  const input = Math.ceil(total / domains.length) * domains.length;
  const written = m.domains.reduce((a, d) => a + d.splits.train.rows + d.splits.valid.rows + d.splits.test.rows, 0);
  const result = {
    bench: 'preprocess',
    input_rows: input,
    written_rows: written,
    generate_s: Number(genS.toFixed(1)),
    prepare_s: Number(s.toFixed(1)),
    rows_per_s: Math.round(input / s),
    peak_rss_mib: Math.round(process.resourceUsage().maxRSS / 1024),
    rss_after_generate_mib: Math.round(rssBefore / 1024),
    cpus: os.cpus().length,
    node: process.version,
  };
  process.stdout.write(JSON.stringify(result) + '\n');
} finally {
  if (!values.keep) rmSync(dir, { recursive: true, force: true });
  else process.stderr.write(`kept ${dir}\n`);
}
