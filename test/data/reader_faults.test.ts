/**
 * Bad rows and broken files in the review/metadata readers: ratings outside `data.rating_range`,
 * non-finite prices (an error at file:line, or skipped with a counted warning under
 * `data.on_bad_row: skip`), invalid UTF-8 named at its own line, truncated gzip streams as one
 * located error (never an unhandled stream error).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import os from 'node:os';
import path from 'node:path';
import { ROOT, runCli } from '../helpers/cli.js';
import { firstNonEmptyLine, readLines } from '../../src/data/readers/text_lines.js';
import { DataError } from '../../src/util/errors.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'unictr-readers-'));
const FIX = path.join(ROOT, 'test/fixtures/synthetic/Synthetic_A');
const reviewsGz = readFileSync(path.join(FIX, 'Synthetic_A_5.json.gz'));
const reviews = gunzipSync(reviewsGz).toString('utf8').trim().split('\n');
const meta = gunzipSync(readFileSync(path.join(FIX, 'meta_Synthetic_A.json.gz'))).toString('utf8').trim().split('\n');

function write(name: string, data: string | Uint8Array): string {
  const f = path.join(tmp, name);
  writeFileSync(f, data);
  return f;
}

function config(name: string, reviewsFile: string, metaFile: string, extra = ''): string {
  return write(
    `${name}.yaml`,
    `dataset_dir: ${path.join(tmp, 'unused')}
data:
  join: left
  sources:
    - { domain: Synthetic A, reviews: ${reviewsFile}, meta: ${metaFile} }
${extra}
domains: { train: [Synthetic A] }
model: { name: mmoe }
`,
  );
}

function errorLine(stderr: string): string {
  const lines = stderr.split('\n').filter((l) => l.startsWith('error:'));
  assert.equal(lines.length, 1, stderr);
  assert.doesNotMatch(stderr, /internal error|\n\s+at /);
  return lines[0]!;
}

const metaFile = write('meta.json', meta.join('\n') + '\n');
const prepare = (cfg: string, out: string, sets: string[] = []) => runCli(['prepare', '--config', cfg, '--out', path.join(tmp, out), ...sets]);

test('ratings outside data.rating_range: an error at file:line, or dropped and counted with on_bad_row: skip', () => {
  const rows = [...reviews];
  const bad = (r: number) => JSON.stringify({ ...JSON.parse(reviews[0]!), overall: r });
  rows.splice(30, 0, bad(7)); // line 31
  rows.splice(60, 0, bad(-3)); // line 61
  rows.splice(90, 0, bad(0)); // line 91
  const f = write('ratings.json', rows.join('\n') + '\n');
  const cfg = config('ratings', f, metaFile);
  const r = prepare(cfg, 'r1');
  assert.equal(r.code, 2);
  assert.match(errorLine(r.stderr), /ratings\.json:31: rating 7 in column "overall" is outside data\.rating_range \[1, 5\]/);

  const wide = prepare(cfg, 'r2', ['--set', 'data.rating_range=[0, 7]']);
  assert.equal(wide.code, 2);
  assert.match(errorLine(wide.stderr), /ratings\.json:61: rating -3 .*outside data\.rating_range \[0, 7\]/);

  const skip = prepare(cfg, 'r3', ['--set', 'data.on_bad_row=skip']);
  assert.equal(skip.code, 0, skip.stderr);
  assert.match(skip.stderr, /warning: .*ratings\.json: 3 reviews whose rating is outside data\.rating_range \[1, 5\] were dropped/);
  const clean = prepare(config('clean', write('clean.json', reviews.join('\n') + '\n'), metaFile), 'r4');
  assert.equal(clean.code, 0, clean.stderr);
  const total = (dir: string) =>
    JSON.parse(readFileSync(path.join(tmp, dir, 'manifest.json'), 'utf8')).domains[0].splits.train.rows;
  assert.equal(total('r3'), total('r4'), 'the skipped rows are exactly the bad ones');

  const badRange = prepare(cfg, 'r5', ['--set', 'data.rating_range=[5, 1]']);
  assert.equal(badRange.code, 2);
  assert.match(errorLine(badRange.stderr), /key "data\.rating_range": expected \[min, max\] with min <= max/);
});

test('a non-finite price is an error at file:line, or kept as unknown with on_bad_row: skip', () => {
  const rows = [...meta];
  rows.splice(5, 0, `{"title":"x","brand":"b","price":1e999,"asin":"S0I0000099"}`); // line 6
  const m = write('meta-inf.json', rows.join('\n') + '\n');
  const cfg = config('price', write('reviews.json', reviews.join('\n') + '\n'), m);
  const r = prepare(cfg, 'p1');
  assert.equal(r.code, 2);
  assert.match(errorLine(r.stderr), /meta-inf\.json:6: price 1e999 in column "price" is not a finite number/);
  const skip = prepare(cfg, 'p2', ['--set', 'data.on_bad_row=skip']);
  assert.equal(skip.code, 0, skip.stderr);
  assert.match(skip.stderr, /warning: .*meta-inf\.json: 1 metadata records with a non-finite price were kept with the price unknown/);
  const manifest = JSON.parse(readFileSync(path.join(tmp, 'p2/manifest.json'), 'utf8'));
  assert.ok(Number.isFinite(manifest.price.mean ?? 0), 'the mean price stays finite');
});

test('invalid UTF-8 is reported at its own line', () => {
  const head = Buffer.from(reviews.slice(0, 20).join('\n') + '\n');
  const bad = Buffer.concat([Buffer.from('{"reviewerID": "u'), Buffer.from([0xff, 0xfe]), Buffer.from('", "asin": "x", "overall": 5.0, "unixReviewTime": 1}\n')]);
  const tail = Buffer.from(reviews.slice(20, 40).join('\n') + '\n');
  const f = write('utf8.json', Buffer.concat([head, bad, tail]));
  const r = prepare(config('utf8', f, metaFile), 'u1');
  assert.equal(r.code, 2);
  assert.match(errorLine(r.stderr), /utf8\.json:21: invalid UTF-8 in reviews file/);
});

test('a truncated .gz is one located error, at any cut, and leaves no temp folder', async () => {
  for (const cut of [100, 400, Math.floor(reviewsGz.length / 2), reviewsGz.length - 20]) {
    const f = write(`cut-${cut}.json.gz`, reviewsGz.subarray(0, cut));
    const r = prepare(config(`cut-${cut}`, f, metaFile), `g-${cut}`);
    assert.equal(r.code, 2, r.stderr);
    assert.match(errorLine(r.stderr), new RegExp(`cut-${cut}\\.json\\.gz:\\d+: cannot read past line \\d+ \\(the gzip stream is truncated\\)`));
    // Read directly: stopping after the first line must not leave a stream error unheard.
    try {
      assert.ok((await firstNonEmptyLine(f)) !== null);
    } catch (e) {
      assert.ok(e instanceof DataError, String(e));
    }
    await assert.rejects(
      (async () => {
        for await (const _ of readLines(f)) void _;
      })(),
      (e) => e instanceof DataError,
    );
  }
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(readdirSync(tmp).filter((n) => n.includes('.tmp-')), []);
});
