/**
 * SAR-Net, DFFM, IntTower and DIEN (auxiliary loss on) through the real CLI on the tiny synthetic
 * data with test-sized options: train, eval reproduces the metrics, zero-shot scores the unseen
 * domain, compare lists every run. The shipped experiments/baselines/<model>.yaml are validated too
 * (they read the real data, so they are not trained here).
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, runCli } from '../helpers/cli.js';
import { loadYamlWithExtends } from '../../src/util/config.js';
import { MODEL_ZOO } from '../../src/model/zoo/index.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'unictr-table3-'));
const dataset = path.join(tmp, 'data');
const common = ['--backend', 'wasm'];
const SMALL: Record<string, string> = {
  sarnet: 'embedding_dim: 8, expert_hidden_units: [16], tower_hidden_units: [8]',
  dffm: 'embedding_dim: 8, hidden_units: [16, 8]',
  inttower: 'embedding_dim: 8, user_hidden_units: [16, 8], item_hidden_units: [16, 8], fe_heads: 2, fe_head_dim: 4',
  dien: 'embedding_dim: 8, gru_units: 8, hidden_units: [16]',
};
const runs = Object.fromEntries(Object.keys(SMALL).map((m) => [m, path.join(tmp, `run-${m}`)]));

function config(m: string): string {
  const file = path.join(tmp, `${m}.yaml`);
  writeFileSync(
    file,
    `extends: ${path.join(ROOT, 'experiments/tiny-base.yaml')}
dataset_dir: ${dataset}
model: { name: ${m}, ${SMALL[m]} }
train: { epochs: 1, batch_size: 64, bootstrap: 20 }
`,
  );
  return file;
}

before(() => {
  const r = runCli(['prepare', '--config', path.join(ROOT, 'experiments/tiny-base.yaml'), '--out', dataset]);
  assert.equal(r.code, 0, r.stderr);
});

test('the shipped configs name their model and hold valid options', () => {
  for (const m of Object.keys(SMALL)) {
    const { name, ...options } = loadYamlWithExtends(path.join(ROOT, `experiments/baselines/${m}.yaml`)).model as Record<string, unknown>;
    assert.equal(name, m);
    MODEL_ZOO[m]!.options.parse(options);
  }
});

for (const m of Object.keys(SMALL)) {
  test(`${m}: train, eval (same metrics), zero-shot`, () => {
    const run = runs[m]!;
    const r = runCli(['train', '--config', config(m), '--out', run, '--quiet', ...common]);
    assert.equal(r.code, 0, r.stderr);
    const metrics = JSON.parse(readFileSync(path.join(run, 'metrics.json'), 'utf8'));
    assert.deepEqual(Object.keys(metrics.test), ['Synthetic A', 'Synthetic B', 'Synthetic C']);
    for (const d of Object.values(metrics.test) as { auc: number }[]) assert.ok(d.auc >= 0 && d.auc <= 1);
    const ev = runCli(['eval', '--run', run, '--json', ...common]);
    assert.equal(ev.code, 0, ev.stderr);
    assert.deepEqual(JSON.parse(ev.stdout).test, metrics.test);
    const zs = runCli(['zero-shot', '--run', run, '--domain', 'Synthetic D', '--json', ...common]);
    assert.equal(zs.code, 0, zs.stderr);
    assert.ok(JSON.parse(zs.stdout).zero_shot['Synthetic D'].rows > 0);
  });
}

test('compare lists every run', () => {
  const r = runCli(['compare', '--ref', runs.dien!, ...Object.values(runs)]);
  assert.equal(r.code, 0, r.stderr);
  for (const m of Object.keys(SMALL)) assert.match(r.stdout, new RegExp(`\\| [^|]+ \\| [^|]*run-${m} \\| ${m} \\|`));
});
