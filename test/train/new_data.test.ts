/**
 * A trained run scoring files its dataset never held: zero-shot from a file equals the in-dataset
 * zero-shot path on identical rows, predict returns one score per input row in input order,
 * add-domain from a file leaves the old domains' test AUC unchanged and keeps the run's
 * train.max_train_rows, row ids are unique across a YAML's sources, and Ctrl-C leaves no temp folder.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import os from 'node:os';
import path from 'node:path';
import { ROOT, runCli, startCli } from '../helpers/cli.js';

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

test('predict --input a YAML with several sources: row_id is the position in the whole input, in source order', () => {
  const c = records(reviewsOf('C')).slice(0, 30);
  const d = records(reviewsOf('D')).slice(0, 25);
  const write = (name: string, rs: Record<string, unknown>[]) => {
    const f = path.join(tmp, name);
    writeFileSync(f, rs.map((r) => JSON.stringify(r)).join('\n') + '\n');
    return f;
  };
  const yaml = path.join(tmp, 'two_sources.yaml');
  writeFileSync(
    yaml,
    [
      'data:',
      '  sources:',
      `    - { domain: Synthetic C, reviews: ${JSON.stringify(write('c_part.json', c))}, meta: ${JSON.stringify(metaOf('C'))}, format: json2018, meta_format: json2018 }`,
      `    - { domain: Synthetic D, reviews: ${JSON.stringify(write('d_part.json', d))}, meta: ${JSON.stringify(metaOf('D'))}, format: json2018, meta_format: json2018 }`,
      '',
    ].join('\n'),
  );
  const out = path.join(tmp, 'two_sources.csv');
  const r = runCli(['predict', '--run', run, '--input', yaml, '--out', out, ...common]);
  assert.equal(r.code, 0, r.stderr);
  const lines = readFileSync(out, 'utf8').trim().split('\n').slice(1);
  const input = [...c.map((x) => ['Synthetic C', x] as const), ...d.map((x) => ['Synthetic D', x] as const)];
  assert.equal(lines.length, input.length, 'one score per input row');
  lines.forEach((l, i) => {
    const [id, domain, label] = l.split(',');
    assert.equal(Number(id), i, 'row_id counts on across sources');
    assert.equal(domain, input[i]![0]);
    assert.equal(Number(label), Number(input[i]![1].overall) > 3 ? 1 : 0);
  });
});

test('add-domain --data trains on at most the run\'s train.max_train_rows rows and says so', () => {
  // The run was trained with train.max_train_rows=320; Synthetic D has more training rows.
  const r = runCli(['add-domain', '--run', run, '--data', reviewsOf('D'), '--meta', metaOf('D'), '--domain', 'Synthetic D', ...common]);
  assert.equal(r.code, 0, r.stderr);
  const m = /Synthetic D: .* unseen \([\d,]+ rows\); trained on 320 of ([\d,]+) training rows \(train\.max_train_rows: 320\)/.exec(r.stdout);
  assert.ok(m, `summary line in:\n${r.stdout}`);
  assert.ok(Number(m[1]!.replace(/,/g, '')) > 320, 'the cap applies');
  const data = readFileSync(path.join(run, 'log.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { event: string; model?: string; positive_rate?: { train: Record<string, { rows: number }> } })
    .find((e) => e.event === 'data' && e.model === 'add Synthetic D');
  assert.ok(data, 'the added domain\'s data event is logged');
  const train = data.positive_rate!.train;
  assert.equal(train.all!.rows, 320, 'trained on 320 rows');
  // One domain besides "all": the added one.
  assert.deepEqual(Object.entries(train).filter(([k]) => k !== 'all').map(([, v]) => v.rows), [320]);
});

test('Ctrl-C (SIGINT) while new rows are processed removes the temp folder and exits with status 130', async () => {
  // A long input, so that the command is still processing it when the signal comes.
  const big = path.join(tmp, 'Synthetic_Big_5.json');
  const rs = records(reviewsOf('C'));
  writeFileSync(big, Array.from({ length: 40 }, (_, k) => rs.map((r) => JSON.stringify({ ...r, reviewerID: `${k}-${String(r.reviewerID)}` })).join('\n')).join('\n') + '\n');
  const tmpdir = path.join(tmp, 'sigint-tmp');
  mkdirSync(tmpdir);
  const temps = () => readdirSync(tmpdir).filter((f) => f.startsWith('unictr-newdata-'));
  const out = path.join(tmp, 'sigint.csv');
  const child = startCli(['predict', '--run', run, '--input', big, '--meta', metaOf('C'), '--out', out, ...common], { env: { TMPDIR: tmpdir } });
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  await new Promise<void>((resolve, reject) => {
    const t0 = Date.now();
    const iv = setInterval(() => {
      // Interrupt once the work folder holds something (DuckDB's database).
      const t = temps()[0];
      if (t && readdirSync(path.join(tmpdir, t)).length > 0) {
        clearInterval(iv);
        child.kill('SIGINT');
        resolve();
      } else if (Date.now() - t0 > 300_000 || child.exitCode !== null) {
        clearInterval(iv);
        reject(new Error(`predict ended before it could be interrupted:\n${stderr}`));
      }
    }, 5);
  });
  const [code, signal] = (await new Promise((r) => child.once('exit', (c, s) => r([c, s])))) as [number | null, string | null];
  assert.equal(code, 130, `exit status 130 after Ctrl-C (code ${code}, signal ${signal})\n${stderr}`);
  assert.deepEqual(temps(), [], 'no temp folder is left');
  assert.ok(!existsSync(out), 'no output written');
});
