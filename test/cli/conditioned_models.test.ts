/**
 * PEPNet, M2M, APG and AdaSparse through the real CLI on the tiny synthetic data: train, eval,
 * zero-shot (the training domain whose parameters score best on validation) and compare, with
 * tiny sizes and one epoch each.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, runCli, writeTinyConfig } from '../helpers/cli.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'unictr-conditioned-'));
const dataset = path.join(tmp, 'data');
const BACKEND = ['--backend', 'wasm'];
const MODELS: Record<string, string> = {
  pepnet: '{ name: pepnet, embedding_dim: 4, hidden_units: [16, 8], gate_hidden_units: 8 }',
  m2m: '{ name: m2m, embedding_dim: 4, num_experts: 2, expert_hidden_units: [16, 8], scenario_dim: 4 }',
  apg: '{ name: apg, embedding_dim: 4, hidden_units: [16, 8], rank: 4, generator_hidden_units: [8] }',
  adasparse: '{ name: adasparse, embedding_dim: 4, hidden_units: [16, 8] }',
};

before(() => {
  const r = runCli(['prepare', '--config', path.join(ROOT, 'experiments/tiny-base.yaml'), '--out', dataset]);
  assert.equal(r.code, 0, r.stderr);
});

for (const [name, block] of Object.entries(MODELS)) {
  test(`${name}: train, eval and zero-shot through the CLI`, () => {
    const cfg = writeTinyConfig(
      tmp,
      name,
      dataset,
      `model: ${block}
train: { optimizer: adam, epochs: 1, batch_size: 64, eval_batch_size: 256, lr: 0.01, patience: 1, bootstrap: 20 }
`,
    );
    const out = path.join(tmp, `run-${name}`);
    const r = runCli(['train', '--config', cfg, '--out', out, ...BACKEND]);
    assert.equal(r.code, 0, r.stderr);
    const metrics = JSON.parse(readFileSync(path.join(out, 'metrics.json'), 'utf8'));
    assert.deepEqual(Object.keys(metrics.test), ['Synthetic A', 'Synthetic B', 'Synthetic C']);
    assert.deepEqual(Object.keys(metrics.zero_shot), ['Synthetic D']);
    assert.match(metrics.zero_shot_head_choice, /best validation/);
    for (const m of Object.values(metrics.test) as { auc: number }[]) assert.ok(Number.isFinite(m.auc));
    if (name === 'adasparse') {
      // The share of pruned neurons reaches the epoch records, the step log and the console line.
      const epochs = Object.values(metrics.epochs as Record<string, { stats?: Record<string, number> }[]>).flat();
      for (const e of epochs) assert.ok(e.stats!.pruned_fraction! >= 0 && e.stats!.pruned_fraction! <= 1 && Number.isFinite(e.stats!.sparsity_loss), JSON.stringify(e.stats));
      const steps = readFileSync(path.join(out, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((l) => l.event === 'step');
      assert.ok(steps.length > 0 && steps.every((l) => typeof l.stats?.pruned_fraction === 'number'));
      assert.match(r.stdout + r.stderr, /pruned fraction \d\.\d{4}/);
    }
    const ev = runCli(['eval', '--run', out, ...BACKEND]);
    assert.equal(ev.code, 0, ev.stderr);
    const zs = runCli(['zero-shot', '--run', out, '--domain', 'Synthetic D', ...BACKEND]);
    assert.equal(zs.code, 0, zs.stderr);
  });
}

test('compare lists the four runs', () => {
  const r = runCli(['compare', ...Object.keys(MODELS).map((m) => path.join(tmp, `run-${m}`))]);
  assert.equal(r.code, 0, r.stderr);
  for (const m of Object.keys(MODELS)) assert.match(r.stdout, new RegExp(`run-${m}`));
});
