/**
 * The official headerless "ratings only" CSV, domains from a metadata field, and metadata text
 * cleaning (markup titles, descriptions, HTML entities) on the hand-written fixture
 * test/fixtures/data/ratings (expected values worked out by hand in the comments).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { prepareDataset } from '../../src/data/prepare.js';
import { loadSplit } from '../../src/data/dataset.js';
import { cleanText, excerpt } from '../../src/data/prompt/text_clean.js';
import { ConfigError, DataError } from '../../src/util/errors.js';
import { FIX, runCli, tempDir, writeYaml } from './helpers.js';

const R = (f: string) => JSON.stringify(path.join(FIX, 'ratings', f));
const F = 'Fashion & Style';
const P = 'Professional & Educational Journals';
const GLOSSY = 'Glossy fashion & beauty monthly.';
const LONG = 'A very long description of a magazine about gardening, homes, kitchens and backyards, written to be longer than one...';

function yaml(dir: string, extra = '', source = '', reviews = R('ratings.csv')): string {
  return writeYaml(
    dir,
    'mag.yaml',
    `data:
  join: left
  domains: [${F}, ${P}]
  template: { name: custom, text: "{domain}|{title}|{title_or_description}|{description}|{brand}|{history}" }
${extra}
  sources:
    - reviews: ${reviews}
      meta: ${R('meta.json')}
      domain_from: { field: category, index: 1 }
${source}
`,
  );
}

test('ratings-only CSV + domain_from category[1]: domains, duplicates, markup titles, description excerpts, first metadata row', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const out = path.join(dir, 'out');
    const m = await prepareDataset({ config: yaml(dir), out });
    // m4 ("Travel, City &amp; Regional": not configured) and m5 (no category[1]) are dropped;
    // m1's second metadata row ("Travel") is ignored: the first row per item wins.
    // Fashion: m1 u1@100, m3 u3@120, m1 u2@150, m1 u1@200, m1 u3@500 (the second m1 u2@150 1-star is an
    // exact duplicate, m3 u1@400 is 3-star) → n = 5 → 3/1/1. Journals: m2 u1@100, m2 u2@300 → 0/1/1.
    assert.deepEqual(
      m.domains.map((d) => [d.name, d.exact_duplicates, d.splits.train.rows, d.splits.valid.rows, d.splits.test.rows, d.splits.train.positives]),
      [
        [F, 1, 3, 1, 1, 2],
        [P, 0, 0, 1, 1, 0],
      ],
    );
    assert.equal(m.price.rows_with_price, 0);
    const train = await loadSplit(out, 'train');
    const valid = await loadSplit(out, 'valid');
    const tst = await loadSplit(out, 'test');
    assert.deepEqual(train.prompt, [
      `${F}|unknown|${GLOSSY}|${GLOSSY}|Style House|nothing`,
      `${F}|unknown|${LONG}|${LONG}|unknown|nothing`,
      `${F}|unknown|${GLOSSY}|${GLOSSY}|Style House|nothing`,
    ]);
    assert.deepEqual([...train.unixTime], [100, 120, 150]);
    assert.deepEqual([...train.label], [1, 1, 0]);
    // u1@200 sees both day-100 positives (Fashion before Journals in domain order).
    assert.deepEqual(valid.prompt, [`${F}|unknown|${GLOSSY}|${GLOSSY}|Style House|product 'unknown' & product 'Trade Journal'`, `${P}|Trade Journal|Trade Journal|unknown|Pro Press|nothing`]);
    assert.deepEqual(tst.prompt, [`${F}|unknown|${GLOSSY}|${GLOSSY}|Style House|product 'unknown'`, `${P}|Trade Journal|Trade Journal|unknown|Pro Press|nothing`]);
    assert.deepEqual(train.title, ['unknown', 'unknown', 'unknown']);
    assert.deepEqual([...valid.userId, ...valid.itemId], [1, 1, 1, 2]);
  } finally {
    cleanup();
  }
});

test('ratings_csv: auto-detected from the first line, explicit format works, a bad rating names file and line', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const a = await prepareDataset({ config: yaml(dir, '', '      format: ratings_csv'), out: path.join(dir, 'a') });
    const b = await prepareDataset({ config: yaml(dir), out: path.join(dir, 'b') });
    assert.deepEqual(a.domains, b.domains);
    const bad = path.join(dir, 'bad.csv');
    writeFileSync(bad, 'm1,u1,5.0,100\nm2,u1,five,100\n');
    await assert.rejects(
      prepareDataset({ config: yaml(dir, '', '      format: ratings_csv', JSON.stringify(bad)), out: path.join(dir, 'c') }),
      (e: unknown) => e instanceof DataError && e.message.startsWith(`${bad}:2: rating "five"`),
    );
  } finally {
    cleanup();
  }
});

test('domain_from without data.domains takes every value; a configured domain with no rows left is refused, naming it', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const file = writeYaml(
      dir,
      'all.yaml',
      `data:\n  join: left\n  sources:\n    - { reviews: ${R('ratings.csv')}, meta: ${R('meta.json')}, domain_from: { field: category, index: 1 } }\n`,
    );
    const m = await prepareDataset({ config: file, out: path.join(dir, 'all') });
    assert.deepEqual(m.domains.map((d) => d.name), [F, P, 'Travel, City & Regional']);
    // Only 3-star rows in Journals → refused with the counts.
    const three = path.join(dir, 'three.csv');
    writeFileSync(three, 'm1,u1,5.0,100\nm1,u2,1.0,110\nm1,u3,5.0,120\nm2,u1,3.0,100\n');
    await assert.rejects(
      prepareDataset({ config: yaml(dir, '', '', JSON.stringify(three)), out: path.join(dir, 'x') }),
      (e: unknown) =>
        e instanceof DataError &&
        /domain "Professional & Educational Journals" has no rows left: 1 reviews read \(exact duplicates removed\), 0 after the left join and the 3-star rule \(three_star: drop\)/.test(e.message),
    );
    // A configured domain that no item carries is a config error.
    await assert.rejects(
      prepareDataset({ config: writeYaml(dir, 'hg.yaml', readFileSync(yaml(dir), 'utf8').replace(`[${F}, ${P}]`, `[${F}, ${P}, Home & Garden]`)), out: path.join(dir, 'y') }),
      (e: unknown) => e instanceof ConfigError && /domain "Home & Garden" has no review rows/.test(e.message),
    );
    // domain_from needs metadata.
    const noMeta = writeYaml(dir, 'nometa.yaml', `data:\n  join: left\n  sources:\n    - { reviews: ${R('ratings.csv')}, domain_from: { field: category, index: 1 } }\n`);
    await assert.rejects(prepareDataset({ config: noMeta, out: path.join(dir, 'z') }), (e: unknown) => e instanceof ConfigError && /domain_from.*needs a "meta" file/.test(e.message));
  } finally {
    cleanup();
  }
});

test('no price anywhere: the paper template warns that {price} would be a fill value', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const file = writeYaml(dir, 'paper.yaml', readFileSync(yaml(dir), 'utf8').replace(/  template: .*\n/, '  template: paper\n'));
    const r = await runCli(['prepare', '--config', file, '--out', path.join(dir, 'out')]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /warning: no row has a price in its metadata; the template's \{price\} shows the fill value 0\.00 for every row/);
    const quiet = await runCli(['prepare', '--config', yaml(dir), '--out', path.join(dir, 'out2')]);
    assert.ok(!quiet.stderr.includes('no row has a price'), quiet.stderr);
    assert.match(quiet.stdout, /exact duplicate review rows \(same user, item, rating, time\): 1 removed \(Fashion & Style 1\)/);
  } finally {
    cleanup();
  }
});

test('description cleaning: tags out, entities decoded, whitespace collapsed, excerpt cut at a word', () => {
  assert.equal(cleanText('<p>Arts &amp; Crafts&nbsp;<br/>weekly &quot;best&quot;</p>\n\n'), 'Arts & Crafts weekly "best"');
  assert.equal(excerpt('short text'), 'short text');
  assert.equal(excerpt('aaaa bbbb cccc', 10), 'aaaa bbbb...');
  assert.equal(excerpt('abcdefghijklmnop', 10), 'abcdefghij...'); // no space in the second half: hard cut
  assert.equal(excerpt('aaaa, bbbb cccc', 6), 'aaaa...');
});
