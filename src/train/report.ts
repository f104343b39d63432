/**
 * report.md of a run: per-domain test metrics with bootstrap intervals, zero-shot scores, domains
 * added later, the training curve, and — only when the run's domains are the paper's — the
 * published Uni-CTR numbers for orientation.
 */
import type { Experiment } from './experiment.js';
import type { MetricsFile } from './metrics_file.js';
import { isPaperDomainSet, PAPER_TABLE3, PAPER_ZERO_SHOT, PAPER_ZERO_SHOT_DOMAIN } from './paper.js';

// metrics.json stores NaN (e.g. gAUC with no user holding both classes) as null.
const f4 = (x: number | null | undefined) => (x === undefined || x === null || !Number.isFinite(x) ? 'n/a' : x.toFixed(4));

export function renderReport(config: Experiment, m: MetricsFile): string {
  const lines: string[] = [];
  lines.push(`# ${config.name}`, '');
  lines.push(`Model \`${config.model.name}\`, seed ${config.seed}, dataset \`${config.dataset_dir}\`.`);
  if (config.model.name === 'unictr') {
    lines.push(`Backbone: ${config.backbone.kind}${config.backbone.path ? ` (${config.backbone.path})` : ''}, ${config.backbone.tuning}, max length ${config.backbone.max_length}.`);
  }
  const ci = (r: { auc_ci95: [number, number] }) => `[${f4(r.auc_ci95[0])}, ${f4(r.auc_ci95[1])}]`;
  lines.push('', '## Test (own-domain head)', '');
  lines.push('| domain | rows | positives | AUC | 95% CI (bootstrap) | logloss | gAUC |', '|---|---|---|---|---|---|---|');
  for (const [d, r] of Object.entries(m.test)) {
    lines.push(`| ${d} | ${r.rows} | ${r.positives} | ${f4(r.auc)} | ${ci(r)} | ${f4(r.logloss)} | ${f4(r.gauc)} |`);
  }
  if (m.overall_test) lines.push(`| all test rows | ${m.overall_test.rows} | ${m.overall_test.positives} | ${f4(m.overall_test.auc)} | ${ci(m.overall_test)} | ${f4(m.overall_test.logloss)} | |`);
  lines.push(
    '',
    'gAUC is the AUC within each user, averaged with weights equal to the user\'s test rows, over the users who have both a click and a ' +
      'non-click among their test rows; it is n/a when no user has both (typical of these splits, where most users have one or two test rows).',
  );
  if (Object.keys(m.zero_shot).length) {
    lines.push('', '## Zero-shot (domains never trained on)', '');
    if (m.zero_shot_head_choice) lines.push(`Scored by: ${m.zero_shot_head_choice}.`, '');
    lines.push('| domain | rows | positives | AUC | 95% CI (bootstrap) | logloss |', '|---|---|---|---|---|---|');
    for (const [d, r] of Object.entries(m.zero_shot)) {
      lines.push(`| ${d} | ${r.rows} | ${r.positives} | ${f4(r.auc)} | ${ci(r)} | ${f4(r.logloss)} |`);
    }
  }
  if (m.added_domains && Object.keys(m.added_domains).length) {
    lines.push('', '## Added domains (`unictr add-domain`: only the new domain-specific network trained)', '');
    lines.push('| domain | rows | positives | AUC | 95% CI (bootstrap) | logloss | gAUC |', '|---|---|---|---|---|---|---|');
    for (const [d, r] of Object.entries(m.added_domains)) {
      lines.push(`| ${d} | ${r.rows} | ${r.positives} | ${f4(r.auc)} | ${ci(r)} | ${f4(r.logloss)} | ${f4(r.gauc)} |`);
    }
  }
  lines.push('', '## Training', '', '![training curve](curve.svg)', '');
  lines.push(
    config.model.name === 'unictr'
      ? 'Train loss is the sum of two binary cross-entropies: the domain tower\'s on each row and the general network\'s (spec §4), so it starts near 2 × ln 2 ≈ 1.39.'
      : 'Train loss is the binary cross-entropy of the tower of each row\'s domain.',
    '',
  );
  // One network: no column naming it; per-domain models and added domains: which one the row is.
  const keys = Object.keys(m.epochs);
  const named = !(keys.length === 1 && keys[0] === 'model');
  lines.push(`| ${named ? 'network | ' : ''}epoch | train loss | valid AUC | lr | seconds |`, `|${named ? '---|' : ''}---|---|---|---|---|`);
  for (const [k, h] of Object.entries(m.epochs)) {
    for (const e of h) lines.push(`| ${named ? `${k} | ` : ''}${e.epoch} | ${f4(e.train_loss)} | ${f4(e.valid_auc)} | ${e.lr.toExponential(2)} | ${e.seconds.toFixed(1)} |`);
  }
  if (isPaperDomainSet(config.domains.train)) {
    const paper = PAPER_TABLE3[config.model.name];
    lines.push('', '## Published numbers (paper, Sheared-LLaMA backbone, full 2018 data; for orientation only)', '');
    if (paper) lines.push(`${config.model.name} in the paper's Table III: ${Object.entries(paper).map(([d, a]) => `${d} ${a.toFixed(4)}`).join(', ')}.`);
    lines.push(`Uni-CTR in the paper's Table III: ${Object.entries(PAPER_TABLE3.unictr!).map(([d, a]) => `${d} ${a.toFixed(4)}`).join(', ')}; zero-shot ${PAPER_ZERO_SHOT_DOMAIN} ${PAPER_ZERO_SHOT.unictr!.toFixed(4)}.`);
    lines.push('', "The shipped data are 5-core subsets with few negatives; intervals are wide. Numbers here are not comparable to the paper's full-data tables.");
  }
  lines.push('');
  return lines.join('\n');
}
