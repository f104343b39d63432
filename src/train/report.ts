/**
 * report.md of a run: per-domain test metrics with bootstrap intervals, zero-shot scores,
 * the training curve and the published Uni-CTR numbers for comparison.
 */
import type { Experiment } from './experiment.js';
import type { MetricsFile } from './metrics_file.js';

/** Published AUCs (spec §6) for the paper's domains. */
const PAPER: Record<string, Record<string, number>> = {
  'Uni-CTR (Sheared-LLaMA)': { 'Amazon Fashion': 0.7523, 'Musical Instruments': 0.7569, 'Gift Cards': 0.7246, 'All Beauty (zero-shot)': 0.6391 },
};

const f4 = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? 'n/a' : x.toFixed(4));

export function renderReport(config: Experiment, m: MetricsFile): string {
  const lines: string[] = [];
  lines.push(`# ${config.name}`, '');
  lines.push(`Model \`${config.model.name}\`, seed ${config.seed}, dataset \`${config.dataset_dir}\`.`);
  if (config.model.name === 'unictr') {
    lines.push(`Backbone: ${config.backbone.kind}${config.backbone.path ? ` (${config.backbone.path})` : ''}, ${config.backbone.tuning}, max length ${config.backbone.max_length}.`);
  }
  lines.push('', '## Test (own-domain head)', '');
  lines.push('| domain | rows | positives | AUC | 95% CI (bootstrap) | logloss | gAUC |', '|---|---|---|---|---|---|---|');
  for (const [d, r] of Object.entries(m.test)) {
    lines.push(`| ${d} | ${r.rows} | ${r.positives} | ${f4(r.auc)} | [${f4(r.auc_ci95[0])}, ${f4(r.auc_ci95[1])}] | ${f4(r.logloss)} | ${f4(r.gauc)} |`);
  }
  if (m.overall_test) lines.push(`| all test rows | ${m.overall_test.rows} | ${m.overall_test.positives} | ${f4(m.overall_test.auc)} | [${f4(m.overall_test.auc_ci95[0])}, ${f4(m.overall_test.auc_ci95[1])}] | ${f4(m.overall_test.logloss)} | |`);
  if (Object.keys(m.zero_shot).length) {
    lines.push('', '## Zero-shot (domains never trained on)', '');
    if (m.zero_shot_head_choice) lines.push(`Scored by: ${m.zero_shot_head_choice}.`, '');
    lines.push('| domain | rows | positives | AUC | 95% CI (bootstrap) | logloss |', '|---|---|---|---|---|---|');
    for (const [d, r] of Object.entries(m.zero_shot)) {
      lines.push(`| ${d} | ${r.rows} | ${r.positives} | ${f4(r.auc)} | [${f4(r.auc_ci95[0])}, ${f4(r.auc_ci95[1])}] | ${f4(r.logloss)} |`);
    }
  }
  lines.push('', '## Training', '', '![training curve](curve.svg)', '');
  lines.push('| model | epoch | train loss | valid AUC | lr | seconds |', '|---|---|---|---|---|---|');
  for (const [k, h] of Object.entries(m.epochs)) {
    for (const e of h) lines.push(`| ${k} | ${e.epoch} | ${f4(e.train_loss)} | ${f4(e.valid_auc)} | ${e.lr.toExponential(2)} | ${e.seconds.toFixed(1)} |`);
  }
  lines.push('', '## Published numbers (paper, full 2018 data, for orientation only)', '');
  for (const [k, v] of Object.entries(PAPER)) {
    lines.push(`${k}: ${Object.entries(v).map(([d, a]) => `${d} ${a.toFixed(4)}`).join(', ')}.`);
  }
  lines.push('', 'The shipped data are 5-core subsets with few negatives; intervals are wide. Numbers here are not comparable to the paper\'s full-data tables.', '');
  return lines.join('\n');
}
