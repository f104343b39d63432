/**
 * End-to-end runs through the real CLI on small synthetic data with a small baseline: the
 * run-folder contract, metrics recomputed independently (scikit-learn) from predictions/test.csv,
 * exact resume after kill -9, and the errors a user meets.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { ROOT, runCli, startCli, needSklearn, writeTinyConfig } from '../helpers/cli.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'unictr-run-'));
const dataset = path.join(tmp, 'data');

function config(name: string, extra = ''): string {
  return writeTinyConfig(
    tmp,
    name,
    dataset,
    `model: { name: mmoe, embedding_dim: 8, num_experts: 2, expert_hidden_units: [32], tower_hidden_units: [16] }
train: { optimizer: adam, lr: 0.01, batch_size: 32, epochs: 3, patience: 3, bootstrap: 100 }
${extra}`,
  );
}

const BACKEND = ['--backend', 'wasm'];

before(() => {
  const r = runCli(['prepare', '--config', path.join(ROOT, 'experiments/tiny-base.yaml'), '--out', dataset]);
  assert.equal(r.code, 0, r.stderr);
});

test('train writes the run-folder contract; metrics equal an independent recomputation', (t) => {
  const out = path.join(tmp, 'run-a');
  const r = runCli(['train', '--config', config('a'), '--out', out, ...BACKEND]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /backend: wasm/);
  for (const f of ['config.yaml', 'run.json', 'log.jsonl', 'metrics.json', 'predictions/test.csv', 'report.md', 'curve.svg']) {
    assert.ok(existsSync(path.join(out, f)), `missing ${f}`);
  }
  const metrics = JSON.parse(readFileSync(path.join(out, 'metrics.json'), 'utf8'));
  const manifest = JSON.parse(readFileSync(path.join(dataset, 'manifest.json'), 'utf8'));
  assert.deepEqual(Object.keys(metrics.test), ['Synthetic A', 'Synthetic B', 'Synthetic C']);
  assert.deepEqual(Object.keys(metrics.zero_shot), ['Synthetic D']);
  const csv = readFileSync(path.join(out, 'predictions/test.csv'), 'utf8').trim().split('\n');
  assert.equal(csv[0], 'domain,label,score,row_id');
  for (const d of manifest.domains.slice(0, 3)) {
    assert.equal(metrics.test[d.name].rows, d.splits.test.rows);
    assert.equal(csv.filter((l: string) => l.startsWith(d.name + ',')).length, d.splits.test.rows);
  }
  const run = JSON.parse(readFileSync(path.join(out, 'run.json'), 'utf8'));
  assert.equal(run.seed, 2012);
  assert.equal(run.backend, 'wasm');
  assert.ok(run.packages['@tensorflow/tfjs-core']);
  const events = readFileSync(path.join(out, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.ok(events.some((e) => e.event === 'step') && events.filter((e) => e.event === 'epoch').length === 3);

  if (!needSklearn(t)) return;
  const py = spawnSync(
    '/usr/bin/python3',
    [
      '-c',
      `import csv, json, sys
from sklearn.metrics import roc_auc_score, log_loss
rows = list(csv.DictReader(open(sys.argv[1])))
out = {}
for d in sorted({r['domain'] for r in rows}):
    y = [int(r['label']) for r in rows if r['domain'] == d]
    p = [float(r['score']) for r in rows if r['domain'] == d]
    out[d] = {'auc': roc_auc_score(y, p), 'logloss': log_loss(y, p), 'rows': len(y)}
print(json.dumps(out))`,
      path.join(out, 'predictions/test.csv'),
    ],
    { encoding: 'utf8' },
  );
  assert.equal(py.status, 0, py.stderr);
  const ref = JSON.parse(py.stdout);
  for (const [d, m] of Object.entries<{ auc: number; logloss: number; rows: number }>(ref)) {
    assert.ok(Math.abs(metrics.test[d].auc - m.auc) < 1e-9, `${d} auc ${metrics.test[d].auc} vs ${m.auc}`);
    assert.ok(Math.abs(metrics.test[d].logloss - m.logloss) < 1e-9, `${d} logloss`);
    assert.equal(metrics.test[d].rows, m.rows);
  }
});

test('kill -9 during training, then --resume, gives the metrics of an uninterrupted run', async () => {
  const extra = 'seed: 7\n';
  const full = path.join(tmp, 'run-full');
  const cfgFull = config('resume-full', extra);
  const a = runCli(['train', '--config', cfgFull, '--out', full, '--set', 'train.checkpoint_every_steps=4', ...BACKEND]);
  assert.equal(a.code, 0, a.stderr);

  const killed = path.join(tmp, 'run-killed');
  const child = startCli(['train', '--config', cfgFull, '--out', killed, '--set', 'train.checkpoint_every_steps=4', ...BACKEND]);
  const log = path.join(killed, 'log.jsonl');
  // Kill once the run is past its first mid-epoch checkpoint, well before the end.
  await new Promise<void>((resolve, reject) => {
    const t0 = Date.now();
    const iv = setInterval(() => {
      const steps = existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter((l) => l.includes('"event":"step"')).length : 0;
      if (steps >= 10) {
        clearInterval(iv);
        child.kill('SIGKILL');
        resolve();
      } else if (Date.now() - t0 > 120_000 || child.exitCode !== null) {
        clearInterval(iv);
        reject(new Error(`run ended or stalled before it could be killed (steps=${steps})`));
      }
    }, 20);
  });
  await new Promise((r) => child.once('close', r));
  assert.ok(!existsSync(path.join(killed, 'metrics.json')), 'the killed run must not have finished');
  const b = runCli(['train', '--resume', killed, ...BACKEND]);
  assert.equal(b.code, 0, b.stderr);
  assert.match(b.stderr, /resumed/);
  const ma = JSON.parse(readFileSync(path.join(full, 'metrics.json'), 'utf8'));
  const mb = JSON.parse(readFileSync(path.join(killed, 'metrics.json'), 'utf8'));
  assert.deepEqual(mb.test, ma.test);
  assert.deepEqual(mb.zero_shot, ma.zero_shot);
  assert.equal(
    readFileSync(path.join(killed, 'predictions/test.csv'), 'utf8'),
    readFileSync(path.join(full, 'predictions/test.csv'), 'utf8'),
  );
});

test('same seed and data give the same metrics', () => {
  const cfg = config('repro');
  const x = runCli(['train', '--config', cfg, '--out', path.join(tmp, 'repro-1'), ...BACKEND]);
  const y = runCli(['train', '--config', cfg, '--out', path.join(tmp, 'repro-2'), ...BACKEND]);
  assert.equal(x.code, 0, x.stderr);
  assert.equal(y.code, 0, y.stderr);
  const m1 = JSON.parse(readFileSync(path.join(tmp, 'repro-1/metrics.json'), 'utf8'));
  const m2 = JSON.parse(readFileSync(path.join(tmp, 'repro-2/metrics.json'), 'utf8'));
  assert.deepEqual(m1.test, m2.test);
});

test('bad input: clear errors, exit code 2, run folder left consistent', () => {
  const cfg = config('bad');
  const typo = runCli(['train', '--config', cfg, '--out', path.join(tmp, 'bad-1'), '--set', 'train.epoch=3', ...BACKEND]);
  assert.equal(typo.code, 2);
  assert.match(typo.stderr, /--set train\.epoch=3: unknown key "train\.epoch" \(did you mean "train\.epochs"\?\)/);
  assert.ok(!existsSync(path.join(tmp, 'bad-1')), 'nothing is written for an invalid config');

  const badValue = runCli(['train', '--config', cfg, '--out', path.join(tmp, 'bad-2'), '--set', 'train.optimizer=sgd', ...BACKEND]);
  assert.equal(badValue.code, 2);
  assert.match(badValue.stderr, /key "train\.optimizer".*adamw.*adam/);

  const domain = runCli(['train', '--config', cfg, '--out', path.join(tmp, 'bad-3'), '--set', 'domains.train=[Nowhere]', ...BACKEND]);
  assert.equal(domain.code, 2);
  assert.match(domain.stderr, /unknown domain "Nowhere"; the dataset has: "Synthetic A"/);

  const model = runCli(['train', '--config', cfg, '--out', path.join(tmp, 'bad-4'), '--set', 'model.name=deepfmm', ...BACKEND]);
  assert.equal(model.code, 2);
  assert.match(model.stderr, /unknown (model|baseline) "deepfmm"/);

  const missing = runCli(['eval', '--run', path.join(tmp, 'no-such-run'), ...BACKEND]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /run folder not found/);

  const resumeMissing = runCli(['train', '--resume', path.join(tmp, 'no-such-run'), ...BACKEND]);
  assert.equal(resumeMissing.code, 2);

  const nanDir = path.join(tmp, 'bad-nan');
  const nan = runCli(['train', '--config', cfg, '--out', nanDir, '--set', 'train.lr=1e30', ...BACKEND]);
  assert.equal(nan.code, 2, nan.stderr);
  assert.match(nan.stderr, /training diverged at epoch 1, batch \d+: (the loss became|the gradient of "[\w.]+" holds) (NaN|Infinity)/);
  assert.ok(existsSync(path.join(nanDir, 'config.yaml')), 'the run folder keeps its header');
  assert.ok(!existsSync(path.join(nanDir, 'metrics.json')), 'no metrics for a diverged run');
  const leftovers = readdirSync(nanDir).filter((f) => f.includes('.tmp-'));
  assert.deepEqual(leftovers, []);
});

test('unictr --help lists every command with an example', () => {
  const r = runCli(['--help']);
  assert.equal(r.code, 0);
  for (const c of ['quickstart', 'prepare', 'inspect', 'train', 'eval', 'zero-shot', 'add-domain', 'predict', 'compare', 'embed']) {
    assert.match(r.stdout, new RegExp(`unictr ${c}`), c);
  }
  for (const c of ['train', 'eval', 'zero-shot', 'add-domain', 'predict', 'quickstart']) {
    const h = runCli([c, '--help']);
    assert.equal(h.code, 0);
    assert.match(h.stdout, /Examples:/, `${c} --help has examples`);
  }
  const unknown = runCli(['trian']);
  assert.notEqual(unknown.code, 0);
});
