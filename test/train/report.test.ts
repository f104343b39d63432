/**
 * report.md: no meaningless columns, gAUC and the training loss explained, the paper's numbers only
 * beside runs on the paper's domains, added domains listed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { ROOT } from '../helpers/cli.js';
import { loadExperiment } from '../../src/train/experiment.js';
import { renderReport } from '../../src/train/report.js';
import type { MetricsFile } from '../../src/train/metrics_file.js';

const summary = (auc: number) => ({ auc, logloss: 0.6, rows: 50, positives: 40, auc_ci95: [auc - 0.1, auc + 0.1] as [number, number] });
const epoch = { epoch: 1, train_loss: 1.3, valid_auc: 0.6, lr: 1e-3, seconds: 2 };

function metrics(domains: string[], extra: Partial<MetricsFile> = {}): MetricsFile {
  return {
    // gauc null: how metrics.json stores NaN (no user with both classes).
    test: Object.fromEntries(domains.map((d) => [d, { ...summary(0.61), gauc: null as unknown as number }])),
    zero_shot: {},
    valid: {},
    overall_test: summary(0.6),
    model: 'unictr',
    seed: 1,
    epochs: { model: [epoch] },
    ...extra,
  };
}

test('a tiny synthetic run: no model column, no paper numbers, gAUC and loss explained', () => {
  const { config } = loadExperiment(path.join(ROOT, 'experiments/tiny.yaml'));
  const md = renderReport(config, metrics(['Synthetic A', 'Synthetic B', 'Synthetic C']));
  assert.match(md, /\n\| epoch \| train loss \| valid AUC \| lr \| seconds \|\n/);
  assert.doesNotMatch(md, /\| model \|/);
  assert.match(md, /\| 1 \| 1\.3000 \| 0\.6000 \|/);
  assert.match(md, /\| Synthetic A \| 50 \| 40 \| 0\.6100 \| \[0\.5100, 0\.7100\] \| 0\.6000 \| n\/a \|/);
  assert.match(md, /gAUC is the AUC within each user[^\n]*n\/a when no user has both/);
  assert.match(md, /Train loss is the sum of two binary cross-entropies: the domain tower's on each row and the general network's/);
  assert.doesNotMatch(md, /0\.7523|5-core|Published numbers/);
});

test("a run on the paper's domains shows the paper's numbers; added domains and per-domain models are listed", () => {
  const { config } = loadExperiment(path.join(ROOT, 'experiments/baselines/dnn.yaml'));
  const m = metrics(['Amazon Fashion', 'Musical Instruments', 'Gift Cards'], {
    model: 'dnn',
    epochs: { model: [epoch], 'add Digital Music': [epoch] },
    added_domains: { 'Digital Music': { ...summary(0.58), head: 'Digital Music' } },
  });
  const md = renderReport(config, m);
  assert.match(md, /## Published numbers/);
  assert.match(md, /dnn in the paper's Table III|Uni-CTR in the paper's Table III: Amazon Fashion 0\.7523, Musical Instruments 0\.7569, Gift Cards 0\.7246; zero-shot All Beauty 0\.6391/);
  assert.match(md, /Train loss is the binary cross-entropy of the tower of each row's domain/);
  assert.match(md, /## Added domains[\s\S]*\| Digital Music \| 50 \| 40 \| 0\.5800 \|/);
  assert.match(md, /\| network \| epoch \|[\s\S]*\| add Digital Music \| 1 \|/);
});
