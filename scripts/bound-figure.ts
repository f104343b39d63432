/**
 * The figure of docs/training.md's "Where the bound lies": test AUC per training domain, pooled and
 * zero-shot, mean of the three seeds with their min–max as whiskers, for the floor, the shipped
 * recipe and the variants of findings 20–26 that trained a model. Reads the grid's run folders and
 * the experiment run folders of those findings (their commands are in docs/training.md):
 *
 *   npx tsx scripts/bound-figure.ts [GRID=results/magazines/runs] [RUNS=runs/x10] [OUT=docs/img/magazines-bound.svg]
 *
 * `tuning` as the first argument draws finding 27's figure instead: the floor and the shipped
 * recipe against Uni-CTR with a LoRA-tuned USE-lite (committed run folders):
 *
 *   npx tsx scripts/bound-figure.ts tuning [GRID=results/magazines/runs] [RUNS=results/magazines-tuning/runs] [OUT=docs/img/magazines-tuning.svg]
 */
import { existsSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { barChartSvg, type BarSeries } from '../src/eval/figures.js';
import { readRunMetrics } from '../src/eval/run_results.js';

const figure = process.argv[2] === 'tuning' || process.argv[2] === 'bound' ? process.argv[2] : 'bound';
const args = process.argv.slice(figure === process.argv[2] ? 3 : 2);
const tuning = figure === 'tuning';
const [
  grid = 'results/magazines/runs',
  runs = tuning ? 'results/magazines-tuning/runs' : 'runs/x10',
  out = tuning ? 'docs/img/magazines-tuning.svg' : 'docs/img/magazines-bound.svg',
] = args;
const SEEDS = [2012, 2013, 2014];
const DOMAINS = ['Fashion & Style', 'Professional & Educational Journals', 'Sports, Recreation & Outdoors'];
const ZERO_SHOT = 'Home & Garden';
// Three series leave narrow groups: the zero-shot label is shortened so it does not overlap.
const GROUPS = ['Fashion & Style', 'Journals', 'Sports', 'pooled (3)', tuning ? 'zero-shot H&G' : `${ZERO_SHOT} (zero-shot)`];

/** Legend name → run folder of seed S (`S` replaced). */
const FLOOR_AND_RECIPE: [string, string][] = [
  ['pooled_lr (the floor)', `${grid}/pooled_lr-sS`],
  ['Uni-CTR, shipped recipe', `${grid}/unictr-sS`],
];
const VARIANTS: [string, string][] = tuning
  ? [...FLOOR_AND_RECIPE, ['27. Uni-CTR, LoRA-tuned USE-lite', `${runs}/lora-sS`]]
  : [
      ...FLOOR_AND_RECIPE,
      ['20. a fourth epoch', `${runs}/e4r-sS`],
      ['21. standardised states', `${runs}/std-sS`],
      ['22. pooled general network', `${runs}/gpool-sS`],
      ['24. 128 tokens', `${runs}/ml128-sS`],
      ['24. floor, 128 tokens', `${runs}/lr-ml128-sS`],
      ['26. linear towers', `${runs}/lin-sS`],
      ['23. all rows', `${runs}/all-sS`],
      ['23. floor, all rows', `${runs}/lr-all-sS`],
    ];

function cells(dir: string): number[] {
  const m = readRunMetrics(dir);
  if (!m.overall_test) throw new Error(`${dir}: metrics.json has no pooled test AUC`);
  return [...DOMAINS.map((d) => m.test[d]!.auc), m.overall_test.auc, m.zero_shot[ZERO_SHOT]!.auc];
}

const series: BarSeries[] = [];
for (const [name, pattern] of VARIANTS) {
  const dirs = SEEDS.map((s) => pattern.replace(/S$/, String(s)));
  const missing = dirs.filter((d) => !existsSync(path.join(d, 'metrics.json')));
  if (missing.length > 0) {
    console.error(`skipping "${name}": no finished run in ${missing.join(', ')}`);
    continue;
  }
  const bySeed = dirs.map(cells);
  series.push({
    name,
    values: GROUPS.map((_, g) => bySeed.reduce((a, c) => a + c[g]!, 0) / bySeed.length),
    intervals: GROUPS.map((_, g) => [Math.min(...bySeed.map((c) => c[g]!)), Math.max(...bySeed.map((c) => c[g]!))] as [number, number]),
  });
}
const svg = barChartSvg({
  title: tuning
    ? 'Magazine Subscriptions: frozen USE-lite states against a LoRA-tuned USE-lite, test AUC'
    : 'Magazine Subscriptions: every head on frozen USE-lite states, test AUC',
  groups: GROUPS,
  series,
  yLabel: 'test AUC (mean of 3 seeds)',
  note: tuning
    ? 'whiskers: lowest and highest seed; every bar the grid budget of 10,000 training rows, 3 epochs at most'
    : 'whiskers: lowest and highest seed; all rows = 19,050 training rows, every other bar the grid budget of 10,000',
});
writeFileSync(`${out}.tmp`, svg);
renameSync(`${out}.tmp`, out);
console.log(`wrote ${out} (${series.length} series)`);
