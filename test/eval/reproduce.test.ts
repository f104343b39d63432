/**
 * `unictr reproduce` end to end on experiments/reproduce/smoke.yaml: a crash in the first run, a
 * --dry-run that sees it, --resume that continues it and finishes the grid, tables whose numbers are
 * the run folders' metrics, a DeLong p-value equal to the independent Python reference, and a
 * second invocation that reruns nothing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { ROOT, runCli } from '../helpers/cli.js';

const out = path.join(mkdtempSync(path.join(os.tmpdir(), 'unictr-repro-')), 'smoke');
const args = ['reproduce', '--config', path.join(ROOT, 'experiments/reproduce/smoke.yaml'), '--out', out, '--backend', 'wasm'];
const RUNS = ['dnn-s2012', 'dnn-rows150-s2012', 'unictr-s2012', 'dnn-s2013', 'dnn-rows150-s2013', 'unictr-s2013'];

function hasScipy(): boolean {
  return spawnSync('/usr/bin/python3', ['-c', 'import numpy, scipy'], { encoding: 'utf8' }).status === 0;
}

test('reproduce smoke: crash, resume, tables from the run folders, nothing rerun', () => {
  const crashed = runCli(args, { env: { UNICTR_CRASH_AFTER_STEPS: '3' } });
  assert.notEqual(crashed.code, 0, 'the simulated crash stops the command');
  assert.ok(existsSync(path.join(out, 'runs/dnn-s2012/checkpoints/model/last')), 'a mid-epoch checkpoint was kept');
  assert.ok(!existsSync(path.join(out, 'runs/dnn-s2012/metrics.json')));

  const dry = runCli([...args, '--dry-run', '--resume']);
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, /^6 runs under /);
  assert.match(dry.stdout, /dnn-s2012\s+interrupted, resume/);
  assert.match(dry.stdout, /unictr-s2013\s+train/);
  assert.ok(!existsSync(path.join(out, 'tables.md')), 'a dry run writes nothing');

  const r = runCli([...args, '--resume']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /run 1\/6 dnn-s2012 \(resuming\)/);
  assert.match(r.stderr, /resumed model at epoch 1, batch \d+/);
  assert.match(r.stderr, /run 2\/6 dnn-rows150-s2012 \| ETA \d/);
  for (const f of ['tables.md', 'table3.csv', 'zero_shot.csv', 'ablation.csv', 'scaling.csv', 'summary.json', 'figures/table3.svg', 'figures/zero_shot.svg', 'figures/ablation.svg', 'figures/scaling.svg']) {
    assert.ok(existsSync(path.join(out, f)), `missing ${f}`);
  }
  for (const id of RUNS) assert.ok(existsSync(path.join(out, 'runs', id, 'metrics.json')), id);

  // Table III shape: a row per model, a column per training domain and the overall.
  const md = readFileSync(path.join(out, 'tables.md'), 'utf8');
  assert.match(md, /\| model \| group \| Synthetic A \| Synthetic B \| Synthetic C \| Overall \| RelaImpr \|/);
  assert.match(md, /\| DNN \(w\/o LLM\) \| multi-domain \| [0-9.]+ ± [0-9.]+/);
  assert.match(md, /\| Uni-CTR \| Uni-CTR \| /);
  assert.match(md, /Budget: every model trains on the same fixed 300-row subset/);
  assert.doesNotMatch(md, /paper's numbers/, 'synthetic domains: no paper numbers');

  // Every number equals the run folders' metrics.
  const metrics = (id: string) => JSON.parse(readFileSync(path.join(out, 'runs', id, 'metrics.json'), 'utf8'));
  const csv = readFileSync(path.join(out, 'table3.csv'), 'utf8').trim().split('\n').map((l) => l.split(','));
  const row = (model: string, col: string) => csv.find((c) => c[0] === model && c[2] === col)!;
  for (const [label, id] of [['DNN (w/o LLM)', 'dnn'], ['Uni-CTR', 'unictr']]) {
    for (const d of ['Synthetic A', 'Synthetic C']) {
      const want = [2012, 2013].map((s) => metrics(`${id}-s${s}`).test[d].auc as number);
      const got = row(label!, d)[9]!.split(' ').map(Number);
      want.forEach((w, i) => assert.ok(Math.abs(got[i]! - w) < 1e-6, `${label} ${d} seed ${i}`));
      assert.ok(Math.abs(Number(row(label!, d)[3]) - (want[0]! + want[1]!) / 2) < 1e-4);
    }
    const overall = [2012, 2013].map((s) => metrics(`${id}-s${s}`).overall_test.auc as number);
    assert.ok(Math.abs(Number(row(label!, 'Overall')[3]) - (overall[0]! + overall[1]!) / 2) < 1e-4);
  }
  const summary = JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8'));
  const t3 = summary.tables.find((t: { name: string }) => t.name === 'table3');
  assert.deepEqual(t3.rows[1].cells.Overall.runs, ['runs/unictr-s2012', 'runs/unictr-s2013']);
  const zs = summary.tables.find((t: { name: string }) => t.name === 'zero_shot');
  assert.equal(zs.rows[1].cells['Synthetic D'].values[0], metrics('unictr-s2012').zero_shot['Synthetic D'].auc);
  assert.equal(zs.rows[1].head, 'general');

  // A marker claims "significantly better": never on a column where the focus row is lower.
  type SumCell = { mean: number; values: number[]; seeds: number[]; mark?: string };
  type SumRow = { id: string; cells: Record<string, SumCell> };
  type Sig = { column: string; baseline: string; ttest: { p: number }; delong: { p: number }[] };
  const focusRow = (t3.rows as SumRow[]).find((r) => r.id === 'unictr')!;
  for (const s of t3.significance as Sig[]) {
    const mine = focusRow.cells[s.column]!;
    const theirs = (t3.rows as SumRow[]).find((r) => r.id === s.baseline)!.cells[s.column]!;
    const higherEverySeed = mine.seeds.every((seed, i) => mine.values[i]! > theirs.values[theirs.seeds.indexOf(seed)]!);
    assert.equal((mine.mark ?? '').includes('*'), s.ttest.p < 0.05 && mine.mean > theirs.mean, `${s.column}: * marker`);
    assert.equal((mine.mark ?? '').includes('†'), higherEverySeed && s.delong.every((d) => d.p < 0.05), `${s.column}: † marker`);
  }

  // DeLong on the pooled predictions equals the independent NumPy/SciPy implementation.
  const overallSig = t3.significance.find((s: { column: string }) => s.column === 'Overall');
  assert.equal(overallSig.baseline, 'dnn');
  if (hasScipy()) {
    const py = spawnSync('/usr/bin/python3', [
      path.join(ROOT, 'scripts/significance_reference.py'), 'delong',
      path.join(out, 'runs/unictr-s2012/predictions/test.csv'), path.join(out, 'runs/dnn-s2012/predictions/test.csv'),
    ], { encoding: 'utf8' });
    assert.equal(py.status, 0, py.stderr);
    const ref = JSON.parse(py.stdout);
    const got = overallSig.delong.find((d: { seed: number }) => d.seed === 2012);
    assert.ok(Math.abs(got.p - ref.p) < 1e-9 && Math.abs(got.z - ref.z) < 1e-9, `DeLong p ${got.p} vs reference ${ref.p}`);
  }

  // The ablation table tests every row against the full model, in either direction; here the
  // pair (Uni-CTR, DNN) on the overall column is Table III's, so the p-values must agree.
  const ab = summary.tables.find((t: { name: string }) => t.name === 'ablation');
  assert.equal(ab.significance.length, 1);
  assert.deepEqual(ab.significance[0], overallSig);
  const dnnOverall = (ab.rows as SumRow[]).find((r) => r.id === 'dnn')!.cells.Overall!;
  const u = focusRow.cells.Overall!;
  const sameSign = u.values.every((v, i) => v > dnnOverall.values[i]!) || u.values.every((v, i) => v < dnnOverall.values[i]!);
  assert.equal(dnnOverall.mark ?? '', (overallSig.ttest.p < 0.05 ? '*' : '') + (sameSign && overallSig.delong.every((d: { p: number }) => d.p < 0.05) ? '†' : ''));
  assert.match(md, /\| Overall \| unictr vs dnn \| [0-9.]+ \| 2012: [0-9.]+, 2013: [0-9.]+ \|/);

  // A second invocation reruns nothing and rewrites the same tables.
  const stamp = statSync(path.join(out, 'runs/unictr-s2013/metrics.json')).mtimeMs;
  const again = runCli(args);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /6\/6 runs already finished with the same config/);
  assert.match(again.stderr, /0 trained now/);
  assert.match(again.stderr, /all 6 planned runs have finished; the grid is complete/);
  assert.equal(statSync(path.join(out, 'runs/unictr-s2013/metrics.json')).mtimeMs, stamp);
  assert.equal(readFileSync(path.join(out, 'tables.md'), 'utf8'), md);
});

test('reproduce: --only scaling plans the budget-sized point as the main run, not a twin of it', () => {
  const dry = runCli([...args, '--only', 'scaling', '--dry-run']);
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, /^4 runs under /);
  assert.match(dry.stdout, /dnn-s2012\s/);
  assert.doesNotMatch(dry.stdout, /dnn-rows300-/);
});

test('reproduce: bad --only and a config without a reproduce block fail with one error line', () => {
  const bad = runCli([...args, '--only', 'table9', '--dry-run']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--only: unknown table "table9" \(allowed: table3, zero_shot, ablation, scaling\)/);
  // A bad model option stops the dry run before anything trains, naming the config and the row.
  const badModel = path.join(path.dirname(out), 'bad-model.yaml');
  writeFileSync(
    badModel,
    [
      `extends: ${JSON.stringify(path.join(ROOT, 'experiments/reproduce/smoke.yaml'))}`,
      'reproduce:',
      '  models:',
      '    - { id: dnn, label: DNN, model: { name: dnn, hiden_units: [8] } }',
      '    - { id: unictr, label: Uni-CTR, model: { name: unictr } }',
    ].join('\n'),
  );
  const bm = runCli(['reproduce', '--config', badModel, '--out', path.join(path.dirname(out), 'bad-out'), '--dry-run']);
  assert.equal(bm.code, 2, bm.stderr);
  assert.match(bm.stderr, /bad-model\.yaml \(reproduce\.models "dnn"\): unknown key "model\.hiden_units"/);
  assert.ok(!existsSync(path.join(path.dirname(out), 'bad-out')), 'nothing written');
  const plain = runCli(['reproduce', '--config', path.join(ROOT, 'experiments/tiny.yaml'), '--out', out, '--dry-run']);
  assert.equal(plain.code, 2);
  assert.match(plain.stderr, /tiny\.yaml: no "reproduce:" block/);
});

test('reproduce: --models trains only those rows, --no-train writes an incomplete grid and says so', () => {
  const dry = runCli([...args, '--models', 'dnn', '--dry-run']);
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, /^4 runs under/);
  assert.doesNotMatch(dry.stdout, /unictr-s2012/);
  const bad = runCli([...args, '--models', 'dnn,nosuch', '--dry-run']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--models: "nosuch" is not a model of the selected tables .* \(they are: dnn, unictr\)/);

  // A copy of the finished grid with one run unfinished.
  const partial = path.join(path.dirname(out), 'partial');
  cpSync(out, partial, { recursive: true });
  rmSync(path.join(partial, 'runs/unictr-s2013/metrics.json'));
  const r = runCli(['reproduce', '--config', path.join(ROOT, 'experiments/reproduce/smoke.yaml'), '--out', partial, '--no-train']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /1 of 6 planned runs have not finished/);
  assert.doesNotMatch(r.stderr, /runs finished \(/, '--no-train reported a training loop');
  assert.ok(!existsSync(path.join(partial, 'runs/unictr-s2013/metrics.json')), '--no-train trained a run');
  const md = readFileSync(path.join(partial, 'tables.md'), 'utf8');
  assert.match(md, /Incomplete grid: 1 planned run has not finished\*\* \(unictr-s2013\)/);
  // Uni-CTR's cells now hold seed 2012 only, equal to that run's metrics; the DNN's both seeds.
  const m = JSON.parse(readFileSync(path.join(partial, 'runs/unictr-s2012/metrics.json'), 'utf8'));
  const line = md.split('\n').find((l) => l.startsWith('| Uni-CTR |'))!;
  assert.ok(line.includes(`${m.overall_test.auc.toFixed(4)}`) && line.includes('(1/2 seeds)'), line);
  assert.doesNotMatch(md.split('\n').find((l) => l.startsWith('| DNN'))!, /seeds\)/);
  assert.deepEqual(JSON.parse(readFileSync(path.join(partial, 'summary.json'), 'utf8')).missing_runs, ['unictr-s2013']);

  // A run made when a default was different (its resolved hash differs; its YAML is the same) is
  // stale, not finished; a run folder from before resolved hashes is judged by its config hash.
  const runJson = path.join(partial, 'runs/dnn-s2013/run.json');
  const info = JSON.parse(readFileSync(runJson, 'utf8'));
  assert.match(info.resolved_hash, /^[0-9a-f]{16}$/);
  writeFileSync(runJson, JSON.stringify({ ...info, resolved_hash: '0000000000000000' }));
  const partialArgs = ['reproduce', '--config', path.join(ROOT, 'experiments/reproduce/smoke.yaml'), '--out', partial, '--dry-run'];
  const dryStale = runCli(partialArgs);
  assert.equal(dryStale.code, 0, dryStale.stderr);
  assert.match(dryStale.stdout, /dnn-s2013\s+made from another config, retrain/);
  assert.match(dryStale.stdout, /dnn-s2012\s+finished/);
  const { resolved_hash: _gone, ...older } = info;
  writeFileSync(runJson, JSON.stringify(older));
  assert.match(runCli(partialArgs).stdout, /dnn-s2013\s+finished/);
});

test('compare: reference row first, intervals, logloss, RelaImpr, CSV and JSON, no shared domain', () => {
  const run = (id: string) => path.join(out, 'runs', id);
  const md = runCli(['compare', '--ref', run('dnn-s2012'), run('unictr-s2012'), run('dnn-s2013')]);
  assert.equal(md.code, 0, md.stderr);
  const lines = md.stdout.split('\n');
  assert.match(lines[2]!, /\| run \| folder \| model \| seed \| Synthetic A \| Synthetic B \| Synthetic C \| Synthetic D \(zero-shot\) \|/);
  assert.ok(lines[4]!.startsWith(`| smoke/dnn-s2012 (reference) | ${run('dnn-s2012')} | dnn | 2012 | `), lines[4]);
  assert.ok(lines[5]!.startsWith(`| smoke/unictr-s2012 | ${run('unictr-s2012')} | unictr | 2012 | `), lines[5]);
  assert.match(md.stdout, /### Logloss/);
  assert.doesNotMatch(md.stdout, /NaN/);

  const json = JSON.parse(runCli(['compare', '--json', '--ref', run('dnn-s2012'), run('unictr-s2012')]).stdout);
  const ref = JSON.parse(readFileSync(path.join(run('dnn-s2012'), 'metrics.json'), 'utf8'));
  const mine = JSON.parse(readFileSync(path.join(run('unictr-s2012'), 'metrics.json'), 'utf8'));
  assert.equal(json.rows.length, 2);
  assert.equal(json.rows[0].reference, true);
  for (const d of ['Synthetic A', 'Synthetic B', 'Synthetic C']) {
    const cell = json.rows[1].cells[d];
    assert.equal(cell.auc, mine.test[d].auc);
    assert.deepEqual(cell.ci95, mine.test[d].auc_ci95);
    assert.equal(cell.logloss, mine.test[d].logloss);
    const b = ref.test[d].auc;
    if (b > 0.5) assert.ok(Math.abs(cell.rela_impr - ((mine.test[d].auc - 0.5) / (b - 0.5) - 1) * 100) < 1e-9);
    else assert.equal(cell.rela_impr, null, 'undefined over a reference AUC at or below 0.5');
  }
  const csv = runCli(['compare', '--format', 'csv', run('unictr-s2012')]).stdout.trim().split('\n');
  assert.equal(csv[0], 'run,folder,model,seed,reference,domain,split,rows,auc,auc_ci95_low,auc_ci95_high,logloss,relaimpr_pct');
  assert.equal(csv.length, 1 + 4);
  assert.equal(Number(csv[1]!.split(',')[8]), mine.test['Synthetic A'].auc);

  // A run on other domains: a warning, and RelaImpr over a reference AUC of exactly 0.5 is n/a.
  const other = path.join(path.dirname(out), 'other-run');
  mkdirSync(other, { recursive: true });
  writeFileSync(path.join(other, 'config.yaml'), 'name: other\n');
  const s = { auc: 0.5, auc_ci95: [0.4, 0.6], logloss: 0.69, rows: 10, positives: 5 };
  writeFileSync(path.join(other, 'metrics.json'), JSON.stringify({ model: 'dnn', seed: 1, test: { Elsewhere: s }, zero_shot: {} }));
  const apart = runCli(['compare', '--ref', other, run('unictr-s2012')]);
  assert.equal(apart.code, 0, apart.stderr);
  assert.match(apart.stderr, /warning: the runs share no domain/);
  const missing = runCli(['compare', path.join(out, 'no-such-run')]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /run folder not found/);
});
