/**
 * A trained run scoring files its dataset never held: zero-shot from a file equals the in-dataset
 * zero-shot path on identical rows, predict returns one score per input row in input order,
 * add-domain from a file leaves the old domains' test AUC unchanged.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import os from 'node:os';
import path from 'node:path';
import { ROOT, runCli } from '../helpers/cli.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'unictr-newdata-'));
const run = path.join(tmp, 'run');
const common = ['--backend', 'wasm'];
const fixtures = path.join(ROOT, 'test/fixtures/synthetic');
const metaOf = (d: string) => path.join(fixtures, `Synthetic_${d}/meta_Synthetic_${d}.json.gz`);
const reviewsOf = (d: string) => path.join(fixtures, `Synthetic_${d}/Synthetic_${d}_5.json.gz`);
/** Synthetic D's rows with users renamed, so that no user of X appears in A or B. */
const xFile = path.join(tmp, 'Synthetic_X_5.json.gz');

function records(file: string): Record<string, unknown>[] {
  return gunzipSync(readFileSync(file)).toString('utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
}

function csvScores(file: string): number[] {
  const [header, ...lines] = readFileSync(file, 'utf8').trim().split('\n');
  const k = header!.split(',').indexOf('score');
  return lines.map((l) => Number(l.split(',')[k]));
}

before(() => {
  const xs = records(reviewsOf('D')).map((r) => ({ ...r, reviewerID: `X${String(r.reviewerID)}` }));
  writeFileSync(xFile, gzipSync(xs.map((r) => JSON.stringify(r)).join('\n') + '\n'));
  const src = (name: string, reviews: string, meta: string) =>
    `    - { domain: ${name}, reviews: ${JSON.stringify(reviews)}, meta: ${JSON.stringify(meta)}, format: json2018, meta_format: json2018 }`;
  const config = path.join(tmp, 'exp.yaml');
  writeFileSync(
    config,
    [
      `extends: ${JSON.stringify(path.join(ROOT, 'experiments/tiny.yaml'))}`,
      `dataset_dir: ${JSON.stringify(path.join(tmp, 'data'))}`,
      'data:',
      '  sources:',
      src('Synthetic A', reviewsOf('A'), metaOf('A')),
      src('Synthetic B', reviewsOf('B'), metaOf('B')),
      src('Synthetic X', xFile, metaOf('D')),
      'domains: { train: [Synthetic A, Synthetic B], zero_shot: [Synthetic X] }',
      '',
    ].join('\n'),
  );
  const r = runCli([
    'train', '--config', config, '--out', run, ...common,
    '--set', `backbone.cache_dir=${path.join(tmp, 'cache')}`, '--set', 'train.epochs=1', '--set', 'train.max_train_rows=320',
  ]);
  assert.equal(r.code, 0, r.stderr);
});

test('zero-shot from a separate file equals the in-dataset zero-shot path and leaves the run alone', () => {
  const metricsBefore = readFileSync(path.join(run, 'metrics.json'), 'utf8');
  const r = runCli(['zero-shot', '--run', run, '--data', xFile, '--meta', metaOf('D'), '--domain', 'Synthetic X', '--json', ...common]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(readFileSync(path.join(run, 'metrics.json'), 'utf8'), metricsBefore, 'the run\'s metrics are not touched');
  const fromFile = JSON.parse(readFileSync(path.join(run, 'zero_shot/synthetic-x/metrics.json'), 'utf8'));
  const inRun = JSON.parse(metricsBefore).zero_shot['Synthetic X'];
  assert.equal(fromFile.metrics.rows, inRun.rows);
  assert.ok(Math.abs(fromFile.metrics.auc - inRun.auc) < 1e-6, `${fromFile.metrics.auc} vs ${inRun.auc}`);
  assert.equal(fromFile.metrics.head, 'general');
  assert.match(fromFile.rule, /general network/);
  // The old path's predictions, row by row.
  const old = runCli(['zero-shot', '--run', run, '--domain', 'Synthetic X', ...common]);
  assert.equal(old.code, 0, old.stderr);
  const a = csvScores(path.join(run, 'zero_shot/synthetic-x/predictions.csv'));
  const b = csvScores(path.join(run, 'predictions/zero_shot_synthetic-x.csv'));
  assert.equal(a.length, b.length);
  a.forEach((s, i) => assert.ok(Math.abs(s - b[i]!) < 1e-6, `row ${i}: ${s} vs ${b[i]}`));
});

test('zero-shot of a domain the dataset never held counts unseen ids; --split all scores every row', () => {
  const r = runCli(['zero-shot', '--run', run, '--data', reviewsOf('C'), '--meta', metaOf('C'), '--split', 'all', '--out', path.join(tmp, 'zs'), ...common]);
  assert.equal(r.code, 0, r.stderr);
  const m = JSON.parse(readFileSync(path.join(tmp, 'zs/synthetic-c/metrics.json'), 'utf8'));
  assert.equal(m.domain, 'Synthetic C', 'domain name from the file name');
  assert.equal(m.unseen.items_unseen, m.unseen.items, 'no item of C is in the run');
  assert.ok(m.unseen.users_unseen < m.unseen.users, 'C shares users with A and B');
  assert.equal(m.metrics.rows, m.unseen.rows);
  assert.match(r.stdout, new RegExp(`Synthetic C: ${m.unseen.items} of ${m.unseen.items} items unseen, ${m.unseen.users_unseen} of ${m.unseen.users} users unseen`));
  assert.ok(!existsSync(path.join(run, 'zero_shot/synthetic-c')));
  const bad = runCli(['zero-shot', '--run', run, '--data', reviewsOf('A'), '--meta', metaOf('A'), ...common]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /Synthetic A.*training tower/);
});

test('predict --input scores every row of a CSV in input order; malformed rows get located errors', () => {
  const rows = records(reviewsOf('C')).slice(0, 40);
  const csv = ['reviewerID,asin,overall,unixReviewTime', ...rows.map((r) => `${r.reviewerID},${r.asin},${r.overall},${r.unixReviewTime}`)];
  const input = path.join(tmp, 'new_rows.csv');
  writeFileSync(input, csv.join('\n') + '\n');
  const out = path.join(tmp, 'scores.csv');
  const r = runCli(['predict', '--run', run, '--input', input, '--input-format', 'csv', '--meta', metaOf('C'), '--domain', 'Synthetic C', '--out', out, ...common]);
  assert.equal(r.code, 0, r.stderr);
  const lines = readFileSync(out, 'utf8').trim().split('\n');
  assert.equal(lines[0], 'row_id,domain,label,score,head');
  assert.equal(lines.length - 1, rows.length, 'one score per input row (3-star rows included)');
  lines.slice(1).forEach((l, i) => {
    const [id, domain, label, score, head] = l.split(',');
    assert.equal(Number(id), i, 'input order');
    assert.equal(domain, 'Synthetic C');
    assert.equal(Number(label), Number(rows[i]!.overall) > 3 ? 1 : 0);
    assert.ok(Number(score) > 0 && Number(score) < 1);
    assert.equal(head, 'general');
  });
  const badFile = path.join(tmp, 'bad_rows.csv');
  writeFileSync(badFile, [csv[0], csv[1], `${rows[1]!.reviewerID},${rows[1]!.asin},five,${rows[1]!.unixReviewTime}`].join('\n') + '\n');
  const bad = runCli(['predict', '--run', run, '--input', badFile, '--input-format', 'csv', '--domain', 'Synthetic C', '--out', path.join(tmp, 'bad.csv'), ...common]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /error: .*bad_rows\.csv: data row 2: rating "five" in column "overall" is not a number/);
  assert.ok(!existsSync(path.join(tmp, 'bad.csv')));
});

test('add-domain from a file trains the new DSN and leaves every old domain\'s test AUC unchanged', () => {
  const before = JSON.parse(runCli(['eval', '--run', run, '--json', ...common]).stdout);
  const r = runCli(['add-domain', '--run', run, '--data', reviewsOf('C'), '--meta', metaOf('C'), '--domain', 'Synthetic C', '--json', ...common]);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.ok(out.test['Synthetic C'].rows > 0);
  const m = JSON.parse(readFileSync(path.join(run, 'metrics.json'), 'utf8'));
  assert.deepEqual(m.added_domains['Synthetic C'].auc, out.test['Synthetic C'].auc);
  const after = runCli(['eval', '--run', run, '--json', ...common]);
  assert.equal(after.code, 0, after.stderr);
  const ev = JSON.parse(after.stdout);
  for (const d of ['Synthetic A', 'Synthetic B']) assert.equal(ev.test[d].auc, before.test[d].auc, d);
  // The reopened run scores the added domain's new rows with its own network.
  const p = runCli(['predict', '--run', run, '--input', reviewsOf('C'), '--meta', metaOf('C'), '--out', path.join(tmp, 'c.csv'), ...common]);
  assert.equal(p.code, 0, p.stderr);
  assert.match(readFileSync(path.join(tmp, 'c.csv'), 'utf8'), /\n0,Synthetic C,\d,[0-9.e-]+,Synthetic C\n/);
});
