/**
 * Bad input: each case gives a UserError subclass whose message names the file/line/key and what
 * was expected, exit code 2 through the real CLI, and no output folder (or temp sibling) left.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, writeFileSync, chmodSync } from 'node:fs';
import path from 'node:path';
import { prepareDataset } from '../../src/data/prepare.js';
import { loadSplit, readManifest } from '../../src/data/dataset.js';
import { ConfigError, DataError } from '../../src/util/errors.js';
import { FIX, runCli, tempDir, writeYaml } from './helpers.js';

const BAD = path.join(FIX, 'bad');
const BASIC = path.join(FIX, 'basic');
const q = (p: string) => JSON.stringify(p);

interface Case {
  name: string;
  yaml: (dir: string) => string;
  cls: typeof DataError | typeof ConfigError;
  message: RegExp;
}

function oneSource(reviews: string, extra = '', src = ''): string {
  return `data:
  join: left
${extra}
  sources:
    - domain: Gift Cards
      reviews: ${q(reviews)}
${src}
`;
}

const CASES: Case[] = [
  {
    name: 'malformed JSON line',
    yaml: () => oneSource(path.join(BAD, 'malformed.json')),
    cls: DataError,
    message: /malformed\.json:2: malformed JSON line in reviews file \(expected one JSON object per line\)/,
  },
  {
    name: 'malformed CSV record',
    yaml: () => oneSource(path.join(BAD, 'malformed.csv')),
    cls: DataError,
    message: /malformed\.csv:3: malformed CSV record in reviews file: expected 4 fields as in the header, found 6/,
  },
  {
    name: 'missing key in one JSON record',
    yaml: () => oneSource(path.join(BAD, 'missing_user.json')),
    cls: DataError,
    message: /missing_user\.json:2: missing "reviewerID" \(the user column\) in reviews record/,
  },
  {
    name: 'missing CSV column',
    yaml: () => oneSource(path.join(BAD, 'missing_column.csv')),
    cls: DataError,
    message: /missing_column\.csv: missing column "overall" in reviews file \(found: reviewerID, asin, stars, unixReviewTime\)/,
  },
  {
    name: 'non-numeric rating',
    yaml: () => oneSource(path.join(BAD, 'nonnumeric.json')),
    cls: DataError,
    message: /nonnumeric\.json:3: rating "five" in column "overall" is not a number \(expected a numeric star rating/,
  },
  {
    name: 'empty file',
    yaml: () => oneSource(path.join(BAD, 'empty.json')),
    cls: DataError,
    message: /empty\.json: empty reviews file/,
  },
  {
    name: 'unreadable path',
    yaml: (dir) => oneSource(path.join(dir, 'does_not_exist.json.gz')),
    cls: DataError,
    message: /does_not_exist\.json\.gz: cannot read reviews file \(ENOENT\)/,
  },
  {
    name: 'unknown (misspelt paper) domain',
    yaml: () => oneSource(path.join(BASIC, 'gift_reviews.json')).replace('domain: Gift Cards', 'domain: Gift Card'),
    cls: ConfigError,
    message: /key "data\.sources\.0\.domain": unknown domain "Gift Card": paper domains must use the display name "Gift Cards"/,
  },
  {
    name: 'domain not in the configured list',
    yaml: () => oneSource(path.join(BASIC, 'gift_reviews.json'), '  domains: [All Beauty]'),
    cls: ConfigError,
    message: /key "data\.sources\.0\.domain": unknown domain "Gift Cards" \(expected one of data\.domains: "All Beauty"\)/,
  },
  {
    name: 'misspelt config key',
    yaml: () => oneSource(path.join(BASIC, 'gift_reviews.json'), '  thre_star: drop'),
    cls: ConfigError,
    message: /unknown key "data\.thre_star"/,
  },
  {
    name: 'bad enum value',
    yaml: () => oneSource(path.join(BASIC, 'gift_reviews.json'), '  join: outer').replace('  join: left\n', ''),
    cls: ConfigError,
    message: /key "data\.join"/,
  },
  {
    name: 'unknown template placeholder',
    yaml: () => oneSource(path.join(BASIC, 'gift_reviews.json'), '  template: { name: custom, text: "user {uid}" }'),
    cls: ConfigError,
    message: /key "data\.template": unknown placeholder "\{uid\}" in the template text \(allowed: \{domain\}/,
  },
  {
    name: 'malformed Python-literal metadata line',
    yaml: (dir) => {
      writeFileSync(path.join(dir, 'meta_old.json'), "{'asin': 'g1', 'title': 'ok'}\n{'asin': 'g2', 'title': os.system('x')}\n");
      return oneSource(path.join(BASIC, 'gift_reviews.json'), '', `      meta: ${q(path.join(dir, 'meta_old.json'))}\n      meta_format: json2014`);
    },
    cls: DataError,
    message: /meta_old\.json:2: malformed metadata line \(expected a JSON object or a Python-literal dict\)/,
  },
  {
    name: 'unknown value in a domain column',
    yaml: (dir) => {
      writeFileSync(path.join(dir, 'r.csv'), 'reviewerID,asin,overall,unixReviewTime,cat\nu1,a,5,1,Shop A\nu2,b,4,2,Shop B\n');
      return `data:
  join: left
  domains: [Shop A]
  sources:
    - domain_column: cat
      reviews: ${q(path.join(dir, 'r.csv'))}
`;
    },
    cls: DataError,
    message: /r\.csv: data row 2 \(column "cat"\): unknown domain "Shop B" \(expected one of the configured domains: "Shop A"\)/,
  },
];

// Cases run a few at a time: most of each one is the CLI child's start-up.
describe('bad input', { concurrency: 3 }, () => {
  for (const c of CASES) {
    test(c.name, async () => {
      const { dir, cleanup } = tempDir();
      try {
        const cfg = writeYaml(dir, 'exp.yaml', c.yaml(dir));
        const out = path.join(dir, 'out');
        await assert.rejects(prepareDataset({ config: cfg, out }), (e: unknown) => {
          assert.ok(e instanceof c.cls, `expected ${c.cls.name}, got ${(e as Error).name}: ${(e as Error).message}`);
          assert.match((e as Error).message, c.message);
          return true;
        });
        const r = await runCli(['prepare', '--config', cfg, '--out', out]);
        assert.equal(r.code, 2, r.stderr);
        assert.match(r.stderr, /^error: /m);
        assert.match(r.stderr, c.message);
        assert.ok(!existsSync(out), 'no output folder');
        assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith('.out')), [], 'no temp sibling left');
      } finally {
        cleanup();
      }
    });
  }
});

test('a failed prepare leaves an existing output folder untouched', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const out = path.join(dir, 'out');
    const good = writeYaml(dir, 'good.yaml', oneSource(path.join(BASIC, 'gift_reviews.json')));
    await prepareDataset({ config: good, out });
    const before = (await readManifest(out)).created_at;
    const bad = writeYaml(dir, 'bad.yaml', oneSource(path.join(BAD, 'nonnumeric.json')));
    await assert.rejects(prepareDataset({ config: bad, out }), DataError);
    assert.equal((await readManifest(out)).created_at, before);
    assert.equal((await loadSplit(out, 'train')).rows, 3);
  } finally {
    cleanup();
  }
});

test('reader API: missing folder or file is a DataError naming it', async () => {
  const { dir, cleanup } = tempDir();
  try {
    await assert.rejects(readManifest(path.join(dir, 'nope')), (e: unknown) => e instanceof DataError && /nope: not a processed dataset folder \(missing manifest\.json/.test((e as Error).message));
    const out = path.join(dir, 'out');
    await prepareDataset({ config: writeYaml(dir, 'g.yaml', oneSource(path.join(BASIC, 'gift_reviews.json'))), out });
    const { rmSync } = await import('node:fs');
    rmSync(path.join(out, 'valid.arrow'));
    await assert.rejects(loadSplit(out, 'valid'), (e: unknown) => e instanceof DataError && /valid\.arrow: cannot read split file \(ENOENT\)/.test((e as Error).message));
    const r = await runCli(['inspect', path.join(dir, 'nope')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /not a processed dataset folder/);
    void chmodSync;
  } finally {
    cleanup();
  }
});
