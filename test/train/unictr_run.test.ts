/**
 * Uni-CTR through the CLI on the tiny config: zero-shot scoring, adding a domain without
 * retraining (only the new DSN changes), predictions as CSV and Arrow, eval reproducing metrics.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { ROOT, runCli } from '../helpers/cli.js';
import { loadCheckpoint } from '../../src/train/checkpoint.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'unictr-uni-'));
const run = path.join(tmp, 'run');
const common = ['--backend', 'wasm'];
const sets = [
  '--set', `dataset_dir=${path.join(tmp, 'data')}`,
  '--set', `backbone.cache_dir=${path.join(tmp, 'cache')}`,
  '--set', 'domains.train=[Synthetic A, Synthetic B]',
  '--set', 'domains.zero_shot=[Synthetic D]',
  '--set', 'train.epochs=2',
  '--set', 'train.max_train_rows=320',
  // Fitted state statistics must survive the checkpoint: eval, zero-shot, add-domain and resume read them back.
  '--set', 'model.state_norm=standardize',
  // Length-grouped batches read the cache's token counts; the resume test below replays their order.
  '--set', 'train.group_by_length=4',
];
let trainLog = '';

before(() => {
  const r = runCli(['train', '--config', path.join(ROOT, 'experiments/tiny.yaml'), '--out', run, ...sets, ...common]);
  assert.equal(r.code, 0, r.stderr);
  trainLog = r.stderr;
});

test('train.group_by_length pads batches less, counted in cached tokens (log.jsonl padding event)', () => {
  const events = readFileSync(path.join(run, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const pads = events.filter((e) => e.event === 'padding');
  assert.equal(pads.length, 1, 'logged once, for the first epoch');
  const { unit, padded_per_row: padded, real_per_row: real, shuffled_per_row: shuffled } = pads[0];
  assert.equal(unit, 'tokens');
  assert.ok(real <= padded && padded < shuffled, JSON.stringify(pads[0]));
  assert.match(trainLog, new RegExp(`batches grouped by length: ${padded.toFixed(1)} tokens per row after padding`));
  const steps = events.filter((e) => e.event === 'step');
  assert.ok(steps.length > 0 && steps.every((e) => !Number.isNaN(Date.parse(e.time))), 'every step carries its time');
});

test('train scores the zero-shot domain with the general network', () => {
  const m = JSON.parse(readFileSync(path.join(run, 'metrics.json'), 'utf8'));
  assert.deepEqual(Object.keys(m.test), ['Synthetic A', 'Synthetic B']);
  assert.equal(m.zero_shot['Synthetic D'].head, 'general');
  assert.match(m.zero_shot_head_choice, /general network/);
  assert.ok(m.zero_shot['Synthetic D'].rows > 0);
});

test('eval reproduces the metrics from the best checkpoint', () => {
  const before = JSON.parse(readFileSync(path.join(run, 'metrics.json'), 'utf8'));
  const r = runCli(['eval', '--run', run, '--json', ...common]);
  assert.equal(r.code, 0, r.stderr);
  const printed = JSON.parse(r.stdout);
  assert.deepEqual(printed.test, before.test);
});

test('zero-shot command scores another unseen domain; a training domain is refused', () => {
  const r = runCli(['zero-shot', '--run', run, '--domain', 'Synthetic C', '--json', ...common]);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.zero_shot['Synthetic C'].head, 'general');
  assert.ok(existsSync(path.join(run, 'predictions/zero_shot_synthetic-c.csv')));
  const bad = runCli(['zero-shot', '--run', run, '--domain', 'Synthetic A', ...common]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /was a training domain/);
  const unknown = runCli(['zero-shot', '--run', run, '--domain', 'Nowhere', ...common]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown domain "Nowhere"/);
});

test('predict writes CSV and Arrow probabilities', () => {
  const csv = path.join(tmp, 'p.csv');
  const arrow = path.join(tmp, 'p.arrow');
  assert.equal(runCli(['predict', '--run', run, '--split', 'test', '--out', csv, ...common]).code, 0);
  const r = runCli(['predict', '--run', run, '--split', 'test', '--head', 'general', '--out', arrow, ...common]);
  assert.equal(r.code, 0, r.stderr);
  const lines = readFileSync(csv, 'utf8').trim().split('\n');
  assert.equal(lines[0], 'row_id,domain,label,score,head');
  const table = tableFromIPC(readFileSync(arrow));
  assert.equal(table.numRows, lines.length - 1);
  const scores = table.getChild('score')!.toArray() as Float64Array;
  assert.ok(scores.every((s) => s > 0 && s < 1));
  assert.ok((table.getChild('head')!.toArray() as string[]).every((h) => h === 'general'));
  // Training encoded only the zero-shot domain's test rows; its validation rows are encoded on demand.
  const valid = path.join(tmp, 'v.csv');
  const v = runCli(['predict', '--run', run, '--split', 'valid', '--out', valid, ...common]);
  assert.equal(v.code, 0, v.stderr);
  const rows = readFileSync(valid, 'utf8').trim().split('\n').slice(1);
  assert.ok(rows.some((l) => /^\d+,Synthetic D,\d,[0-9.e-]+,general$/.test(l)), 'zero-shot domain rows scored by the general network');
  assert.ok(rows.some((l) => /,Synthetic A,\d,[0-9.e-]+,Synthetic A$/.test(l)));
});

test('add-domain trains only the new DSN and scores its test rows', () => {
  const bestBefore = loadCheckpoint(path.join(run, 'checkpoints/model/best'));
  const fitted = Object.entries(bestBefore.variables).filter(([n]) => n.startsWith('state_norm.'));
  const layers = [...new Set(fitted.map(([n]) => n.replace(/^state_norm\.(H\d+)\..*$/, '$1')))];
  assert.ok(layers.includes('H0') && layers.length >= 2, `state_norm statistics per state layer: ${layers}`);
  assert.equal(fitted.length, 2 * layers.length, 'a mean and a variance per state layer');
  assert.ok(fitted.every(([n, v]) => v.values.some((x: number) => x !== (n.endsWith('variance') ? 1 : 0))), 'fitted, not the initial values');
  const r = runCli(['add-domain', '--run', run, '--domain', 'Synthetic C', '--set', 'train.epochs=1', '--json', ...common]);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.ok(out.test['Synthetic C'].rows > 0);
  const after = loadCheckpoint(path.join(run, 'checkpoints/added-synthetic-c/best'));
  let newVars = 0;
  for (const [name, v] of Object.entries(after.variables)) {
    const old = bestBefore.variables[name];
    if (!old) {
      assert.match(name, /^dsn\.2\./, `only the new DSN is new: ${name}`);
      newVars++;
      continue;
    }
    assert.deepEqual(v.values, old.values, `${name} must stay frozen`);
  }
  assert.ok(newVars > 0);
  const m = JSON.parse(readFileSync(path.join(run, 'metrics.json'), 'utf8'));
  assert.ok(m.added_domains['Synthetic C']);
  const report = readFileSync(path.join(run, 'report.md'), 'utf8');
  assert.match(report, /## Added domains[^\n]*\n\n[^\n]*\n[^\n]*\n\| Synthetic C \| \d+ \| \d+ \| [0-9.]+ \|/, 'the report shows the added domain');
  assert.match(r.stderr, /wrote .*metrics\.json, .*report\.md/);
  // The reopened run carries the added DSN.
  const ev = runCli(['predict', '--run', run, '--domain', 'Synthetic C', '--out', path.join(tmp, 'c.csv'), ...common]);
  assert.equal(ev.code, 0, ev.stderr);
  assert.match(readFileSync(path.join(tmp, 'c.csv'), 'utf8'), /Synthetic C,\d,[0-9.e-]+,Synthetic C/);
  const again = runCli(['add-domain', '--run', run, '--domain', 'Synthetic C', ...common]);
  assert.equal(again.code, 2);
});

test('backbone.tuning=lora trains the LoRA matrices live (no state cache)', () => {
  const out = path.join(tmp, 'lora');
  let r = runCli([
    'train', '--config', path.join(ROOT, 'experiments/tiny.yaml'), '--out', out, ...sets,
    '--set', 'backbone.tuning=lora', '--set', 'train.epochs=1', '--set', 'train.max_train_rows=96', ...common,
  ]);
  // The shared settings standardise cached states, which a live backbone does not have.
  assert.equal(r.code, 2);
  assert.match(r.stderr, /key "model\.state_norm": "standardize" is fitted on cached frozen states/);
  r = runCli([
    'train', '--config', path.join(ROOT, 'experiments/tiny.yaml'), '--out', out, ...sets,
    '--set', 'backbone.tuning=lora', '--set', 'train.epochs=1', '--set', 'train.max_train_rows=96', '--set', 'model.state_norm=layer_norm', ...common,
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /states are computed live/);
  const ck = loadCheckpoint(path.join(out, 'checkpoints/model/best'));
  const loraB = Object.entries(ck.variables).filter(([k]) => k.endsWith('lora_B'));
  assert.ok(loraB.length > 0, 'LoRA matrices are checkpointed');
  assert.ok(loraB.some(([, v]) => v.values.some((x) => x !== 0)), 'LoRA B moved away from its zero init');
});

test('backbone use-lite with tuning=lora trains its adapters live; eval reproduces the test metrics from the checkpoint', () => {
  const out = path.join(tmp, 'use-lite-lora');
  const r = runCli([
    'train', '--config', path.join(ROOT, 'experiments/tiny.yaml'), '--out', out, ...sets,
    '--set', 'backbone.kind=use-lite', '--set', 'backbone.tuning=lora', '--set', 'backbone.max_length=16',
    '--set', 'train.epochs=1', '--set', 'train.max_train_rows=96', '--set', 'model.state_norm=layer_norm', ...common,
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /states are computed live/);
  const ck = loadCheckpoint(path.join(out, 'checkpoints/model/best'));
  const loraB = Object.entries(ck.variables).filter(([k]) => /layers\.[01]\.attention\.(query|value)\.lora_B$/.test(k));
  assert.equal(loraB.length, 4, Object.keys(ck.variables).filter((k) => k.includes('lora')).join(', '));
  assert.ok(loraB.some(([, v]) => v.values.some((x) => x !== 0)), 'LoRA B moved away from its zero init');
  const ev = runCli(['eval', '--run', out, '--json', ...common]);
  assert.equal(ev.code, 0, ev.stderr);
  const trained = JSON.parse(readFileSync(path.join(out, 'metrics.json'), 'utf8'));
  const again = JSON.parse(readFileSync(path.join(out, 'eval/metrics.json'), 'utf8'));
  for (const d of Object.keys(trained.test)) assert.equal(again.test[d].auc, trained.test[d].auc, d);
});

test('Uni-CTR: a crash mid-epoch then --resume ends with the metrics of an uninterrupted run', () => {
  const extra = ['--set', 'train.checkpoint_every_steps=3'];
  const full = path.join(tmp, 'resume-full');
  const a = runCli(['train', '--config', path.join(ROOT, 'experiments/tiny.yaml'), '--out', full, ...sets, ...extra, ...common]);
  assert.equal(a.code, 0, a.stderr);
  const crashed = path.join(tmp, 'resume-crashed');
  const b = runCli(['train', '--config', path.join(ROOT, 'experiments/tiny.yaml'), '--out', crashed, ...sets, ...extra, ...common], {
    env: { UNICTR_CRASH_AFTER_STEPS: '14' },
  });
  assert.notEqual(b.code, 0);
  assert.ok(!existsSync(path.join(crashed, 'metrics.json')));
  const c = runCli(['train', '--resume', crashed, ...common]);
  assert.equal(c.code, 0, c.stderr);
  const ma = JSON.parse(readFileSync(path.join(full, 'metrics.json'), 'utf8'));
  const mc = JSON.parse(readFileSync(path.join(crashed, 'metrics.json'), 'utf8'));
  assert.deepEqual(mc.test, ma.test);
  assert.deepEqual(mc.zero_shot, ma.zero_shot);
});
