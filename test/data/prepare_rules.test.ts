/**
 * Every preprocessing rule on the hand-written fixture test/fixtures/data/basic (expected values
 * worked out by hand; see the comments in basic.yaml's test below).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, copyFileSync } from 'node:fs';
import path from 'node:path';
import { tableToIPC, tableFromArrays } from 'apache-arrow';
import { DuckDBInstance } from '@duckdb/node-api';
import { prepareDataset } from '../../src/data/prepare.js';
import { loadSplit, readManifest, readVocab } from '../../src/data/dataset.js';
import type { Manifest, SplitColumns } from '../../src/data/types.js';
import { ConfigError } from '../../src/util/errors.js';
import { FIX, tempDir, writeYaml } from './helpers.js';

const BASIC = path.join(FIX, 'basic');
const B = (f: string) => JSON.stringify(path.join(BASIC, f));

/** basic.yaml with absolute paths and extra `data:` keys. */
function basicYaml(dir: string, extra = '', domains = '[Gift Cards, Musical Instruments]'): string {
  return writeYaml(
    dir,
    'exp.yaml',
    `data:
  join: left
  domains: ${domains}
${extra}
  sources:
    - domain: Gift Cards
      reviews: ${B('gift_reviews.json')}
      meta: ${B('meta_gift.json')}
    - domain: Musical Instruments
      reviews: ${B('music_reviews.csv')}
      meta: ${B('music_meta.csv')}
      meta_columns: { item: Product ID, title: Description, brand: null, price: price }
`,
  );
}

async function prep(cfg: string, out: string, sets: string[] = []) {
  const m = await prepareDataset({ config: cfg, out, sets });
  return { m, train: await loadSplit(out, 'train'), valid: await loadSplit(out, 'valid'), test: await loadSplit(out, 'test') };
}

const P = {
  g_u1_g1: "Gift Cards: The user ID is user_1, who clicked nothing recently. The ID of current product is product_1, the title is 'Cafe Card', the brand is 'Cafe', the price is 25.00$.",
  g_u3_g3: "Gift Cards: The user ID is user_3, who clicked nothing recently. The ID of current product is product_3, the title is 'unknown', the brand is 'unknown', the price is 15.19$.",
  g_u2_g1: "Gift Cards: The user ID is user_2, who clicked nothing recently. The ID of current product is product_1, the title is 'Cafe Card', the brand is 'Cafe', the price is 25.00$.",
  m_u1_m1: "Musical Instruments: The user ID is user_1, who clicked nothing recently. The ID of current product is product_4, the title is 'Guitar Strings', the brand is 'unknown', the price is 7.5$.",
  m_u1_m2: "Musical Instruments: The user ID is user_1, who clicked nothing recently. The ID of current product is product_5, the title is 'Tuner, Clip-on', the brand is 'unknown', the price is 12$.",
  m_u2_m1: "Musical Instruments: The user ID is user_2, who clicked nothing recently. The ID of current product is product_4, the title is 'Guitar Strings', the brand is 'unknown', the price is 7.5$.",
  v_g: "Gift Cards: The user ID is user_1, who clicked product 'Cafe Card' & product 'Guitar Strings' & product 'Tuner, Clip-on' recently. The ID of current product is product_2, the title is 'Book Card', the brand is 'unknown', the price is 15.19$.",
  v_m: "Musical Instruments: The user ID is user_1, who clicked product 'Cafe Card' & product 'Guitar Strings' & product 'Tuner, Clip-on' & product 'Book Card' recently. The ID of current product is product_4, the title is 'Guitar Strings', the brand is 'unknown', the price is 7.5$.",
  t_g: "Gift Cards: The user ID is user_1, who clicked product 'Guitar Strings' & product 'Tuner, Clip-on' & product 'Book Card' & product 'Guitar Strings' & product 'Tuner, Clip-on' recently. The ID of current product is product_1, the title is 'Cafe Card', the brand is 'Cafe', the price is 25.00$.",
  t_m: "Musical Instruments: The user ID is user_1, who clicked product 'Cafe Card' & product 'Guitar Strings' & product 'Tuner, Clip-on' & product 'Book Card' & product 'Guitar Strings' recently. The ID of current product is product_5, the title is 'Tuner, Clip-on', the brand is 'unknown', the price is 12$.",
};

function hist(s: SplitColumns, i: number): number[] {
  return [...s.history.slice(i * 5, i * 5 + 5)];
}

test('basic fixture: prompts byte for byte, ids, price fill, buckets, split sizes (left join, 3-star dropped)', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const out = path.join(dir, 'out');
    const { m, train, valid, test: tst } = await prep(basicYaml(dir), out);
    // Gift: 6 reviews − one 3-star = 5 rows → 3/1/1; Music: 6 − one 3-star = 5 → 3/1/1.
    assert.deepEqual(
      m.domains.map((d) => [d.name, d.id, d.splits.train.rows, d.splits.valid.rows, d.splits.test.rows, d.splits.train.positives, d.splits.valid.positives, d.splits.test.positives]),
      [
        ['Gift Cards', 0, 3, 1, 1, 2, 1, 0],
        ['Musical Instruments', 1, 3, 1, 1, 2, 1, 1],
      ],
    );
    // Rows: domain blocks in domain order; within a domain by (unixReviewTime, input order).
    assert.deepEqual(train.prompt, [P.g_u1_g1, P.g_u3_g3, P.g_u2_g1, P.m_u1_m1, P.m_u1_m2, P.m_u2_m1]);
    assert.deepEqual(valid.prompt, [P.v_g, P.v_m]);
    assert.deepEqual(tst.prompt, [P.t_g, P.t_m]);
    assert.deepEqual([...train.rowId], [0, 1, 2, 3, 4, 5]);
    assert.deepEqual([...train.label], [1, 1, 0, 1, 1, 0]);
    assert.deepEqual([...train.rating], [5, 5, 1, 5, 4, 2]);
    assert.deepEqual([...train.unixTime], [100, 100, 150, 100, 100, 250]);
    assert.deepEqual(train.domain, ['Gift Cards', 'Gift Cards', 'Gift Cards', 'Musical Instruments', 'Musical Instruments', 'Musical Instruments']);
    assert.deepEqual([...train.domainId], [0, 0, 0, 1, 1, 1]);
    // Joint ids, sorted strings, 1-based: u1..u3; g1 g2 g3 m1 m2 → 1..5 across both domains.
    assert.deepEqual([...train.userId], [1, 3, 2, 1, 1, 2]);
    assert.deepEqual([...train.itemId], [1, 3, 1, 4, 5, 4]);
    // Brand "Cafe" = 1, blank and missing brands = unknown = 0; titles sorted: Book 1, Cafe 2, Guitar 3, Tuner 4.
    assert.deepEqual([...train.brandId], [1, 0, 1, 0, 0, 0]);
    assert.deepEqual([...train.titleId], [2, 0, 2, 3, 4, 3]);
    assert.deepEqual(train.title, ['Cafe Card', 'unknown', 'Cafe Card', 'Guitar Strings', 'Tuner, Clip-on', 'Guitar Strings']);
    assert.deepEqual(train.brand, ['Cafe', 'unknown', 'Cafe', 'unknown', 'unknown', 'unknown']);
    // Mean over rows with a price: (3×25 + 3×7.5 + 2×12) / 8 = 15.1875; range "$10.00 - $50.00" and missing meta take it.
    assert.equal(m.price.global_mean, 15.1875);
    assert.equal(m.price.min, 7.5);
    assert.equal(m.price.max, 25);
    assert.deepEqual([...train.price], [25, 15.1875, 25, 7.5, 12, 7.5]);
    // Buckets: 1 + floor((p − 7.5) / 17.5 × 100), capped at 100.
    assert.deepEqual([...train.priceBucket], [100, 44, 100, 1, 26, 1]);
    // History holds only strictly earlier positives: u1's day-100 rows (g1, m1, m2) see nothing.
    assert.deepEqual(hist(train, 3), [0, 0, 0, 0, 0]);
    assert.deepEqual(hist(train, 4), [0, 0, 0, 0, 0]);
    assert.deepEqual(hist(valid, 0), [1, 4, 5, 0, 0]);
    assert.deepEqual(hist(tst, 0), [4, 5, 2, 4, 5]);
    assert.deepEqual(m.vocab_sizes, { user: 4, item: 6, brand: 2, title: 5, price_bucket: 101 });
    const vocab = await readVocab(out);
    assert.deepEqual(vocab.user, { u1: 1, u2: 2, u3: 3 });
    assert.deepEqual(vocab.item, { g1: 1, g2: 2, g3: 3, m1: 4, m2: 5 });
    assert.deepEqual(vocab.brand, { unknown: 0, Cafe: 1 });
    assert.deepEqual(vocab.title, { unknown: 0, 'Book Card': 1, 'Cafe Card': 2, 'Guitar Strings': 3, 'Tuner, Clip-on': 4 });
    const manifest = await readManifest(out);
    assert.equal(manifest.schema_version, 1);
    assert.match(manifest.config_hash, /^[0-9a-f]{64}$/);
    assert.equal(manifest.sources.length, 4);
    assert.equal(
      manifest.sources[0]!.sha256,
      (await import('node:crypto')).createHash('sha256').update(readFileSync(path.join(BASIC, 'gift_reviews.json'))).digest('hex'),
    );
    assert.deepEqual(manifest.files, { train: 'train.arrow', valid: 'valid.arrow', test: 'test.arrow' });
  } finally {
    cleanup();
  }
});

test('equal timestamps: same-day rows never enter each other\'s history, whatever the domain or input order', async () => {
  const { dir, cleanup } = tempDir();
  try {
    // Music first: at t=100 u1's two music rows now come before the gift row, yet none sees another.
    const a = await prep(basicYaml(dir, '', '[Musical Instruments, Gift Cards]'), path.join(dir, 'a'));
    assert.equal(a.train.domain[0], 'Musical Instruments');
    assert.deepEqual(a.train.prompt.slice(0, 2), [P.m_u1_m1, P.m_u1_m2]);
    assert.equal(a.train.prompt[3], P.g_u1_g1);
    // Later rows list the earlier same-day positives in the global order (domain order first).
    assert.ok(a.valid.prompt[0]!.startsWith("Musical Instruments: The user ID is user_1, who clicked product 'Guitar Strings' & product 'Tuner, Clip-on' & product 'Cafe Card' & product 'Book Card' recently."), a.valid.prompt[0]);
    // Reversed input order of the music file: same prompts for the day-100 rows.
    const csv = readFileSync(path.join(BASIC, 'music_reviews.csv'), 'utf8');
    const [head, ...rest] = csv.replace(/\n$/, '').split('\n');
    const records: string[] = [];
    for (const line of rest) {
      // The third record spans two lines (quoted newline).
      if (records.length > 0 && !/^u\d,/.test(line)) records[records.length - 1] += '\n' + line;
      else records.push(line);
    }
    writeFileSync(path.join(dir, 'music_reviews.csv'), [head, ...records.reverse()].join('\n') + '\n');
    const rev = readFileSync(basicYaml(dir), 'utf8').replace(B('music_reviews.csv'), JSON.stringify(path.join(dir, 'music_reviews.csv')));
    const b = await prep(writeYaml(dir, 'rev.yaml', rev), path.join(dir, 'b'));
    const day100 = (s: SplitColumns) => s.prompt.filter((_, i) => s.unixTime[i] === 100 && s.userId[i] === 1);
    assert.deepEqual(day100(b.train).sort(), [P.g_u1_g1, P.m_u1_m2, P.m_u1_m1].sort());
    assert.ok(day100(b.train).every((p) => p.includes('who clicked nothing recently')));
  } finally {
    cleanup();
  }
});

test('dedupe: exact duplicate ratings are dropped by default, counted, and kept with dedupe: false', async () => {
  const { dir, cleanup } = tempDir();
  try {
    // Two extra copies of u1's g1 5-star at t=100 (one with other extra keys), and a near copy
    // with another rating (not a duplicate).
    const base = readFileSync(path.join(BASIC, 'gift_reviews.json'), 'utf8');
    const extra = [
      '{"overall": 5.0, "reviewerID": "u1", "asin": "g1", "unixReviewTime": 100}',
      '{"overall": 5.0, "verified": false, "reviewerID": "u1", "asin": "g1", "unixReviewTime": 100}',
      '{"overall": 4.0, "reviewerID": "u1", "asin": "g1", "unixReviewTime": 100}',
    ];
    writeFileSync(path.join(dir, 'gift_reviews.json'), base + extra.join('\n') + '\n');
    const cfg = readFileSync(basicYaml(dir), 'utf8').replace(B('gift_reviews.json'), JSON.stringify(path.join(dir, 'gift_reviews.json')));
    const yaml = writeYaml(dir, 'dup.yaml', cfg);
    const a = await prep(yaml, path.join(dir, 'a'));
    // Gift: 5 rows + the 4-star near copy = 6 → 4/1/1.
    assert.deepEqual(a.m.domains.map((d) => [d.name, d.exact_duplicates, d.splits.train.rows + d.splits.valid.rows + d.splits.test.rows]), [
      ['Gift Cards', 2, 6],
      ['Musical Instruments', 0, 5],
    ]);
    assert.equal((a.m.config as { dedupe: boolean }).dedupe, true);
    const b = await prep(yaml, path.join(dir, 'b'), ['data.dedupe=false']);
    assert.deepEqual(b.m.domains.map((d) => [d.exact_duplicates, d.splits.train.rows + d.splits.valid.rows + d.splits.test.rows]), [[2, 8], [0, 5]]);
    const { formatCounts } = await import('../../src/cli/commands/inspect.js');
    assert.match(formatCounts(a.m), /exact duplicate review rows \(same user, item, rating, time\): 2 removed \(Gift Cards 2\)/);
    assert.match(formatCounts(b.m), /2 kept \(data\.dedupe: false\)/);
  } finally {
    cleanup();
  }
});

test('data.split: default 81/9/10 unchanged, paper_80_10_10 and fractions change the sizes; bad fractions are a config error', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const sizes = (m: Manifest) => m.domains.map((d) => [d.splits.train.rows, d.splits.valid.rows, d.splits.test.rows]);
    // three_star: negative gives n = 6 per domain; a domain column over the basic gift rows would
    // be smaller, so use both domains as they are.
    const def = await prep(basicYaml(dir), path.join(dir, 'a'), ['data.three_star=negative']);
    assert.deepEqual(sizes(def.m), [[4, 1, 1], [4, 1, 1]]); // trainval = floor(5.4) = 5, train = floor(4.5) = 4
    assert.equal((def.m.config as { split: string }).split, 'released_81_9_10');
    // 80/10/10 on n = 6: trainval 5, train floor(40/9) = 4: same sizes, another dataset.
    const paper = await prep(basicYaml(dir), path.join(dir, 'b'), ['data.three_star=negative', 'data.split=paper_80_10_10']);
    assert.deepEqual(sizes(paper.m), [[4, 1, 1], [4, 1, 1]]);
    assert.equal((paper.m.config as { split: string }).split, 'paper_80_10_10');
    assert.notEqual(paper.m.config_hash, def.m.config_hash);
    // A 100-row domain: 81/9/10 by default, 80/10/10 with the preset.
    const csv = ['user,item,stars,day', ...Array.from({ length: 100 }, (_, k) => `u${k},i${k % 7},${k % 3 === 0 ? 1 : 5},${1000 + k}`)].join('\n') + '\n';
    writeFileSync(path.join(dir, 'shop.csv'), csv);
    const shop = writeYaml(
      dir,
      'shop.yaml',
      `data:\n  join: left\n  sources:\n    - { domain: Shop, reviews: shop.csv, columns: { user: user, item: item, rating: stars, time: day } }\n`,
    );
    assert.deepEqual(sizes((await prep(shop, path.join(dir, 's1'))).m), [[81, 9, 10]]);
    const s2 = await prep(shop, path.join(dir, 's2'), ['data.split=paper_80_10_10']);
    assert.deepEqual(sizes(s2.m), [[80, 10, 10]]);
    assert.deepEqual([...s2.test.unixTime], Array.from({ length: 10 }, (_, k) => 1090 + k));
    // 50/25/25 on n = 6: trainval = floor(4.5) = 4, train = floor(4·50/75) = 2.
    const half = await prep(basicYaml(dir, '  split: { train: 0.5, valid: 0.25, test: 0.25 }'), path.join(dir, 'c'), ['data.three_star=negative']);
    assert.deepEqual(sizes(half.m), [[2, 2, 2], [2, 2, 2]]);
    // The test split is always the latest rows of each domain.
    assert.deepEqual([...half.test.unixTime], [200, 300, 260, 270]);
    await assert.rejects(
      prep(basicYaml(dir, '  split: { train: 0.5, valid: 0.25, test: 0.5 }'), path.join(dir, 'd')),
      (e: unknown) => e instanceof ConfigError && /data\.split/.test(e.message) && /must be 1/.test(e.message),
    );
    await assert.rejects(prep(basicYaml(dir), path.join(dir, 'e'), ['data.split=paper_90_5_5']), (e: unknown) => e instanceof ConfigError && /data\.split/.test(e.message));
  } finally {
    cleanup();
  }
});

test('inner join drops reviews without metadata; left keeps them', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const { m, train, valid, test: tst } = await prep(basicYaml(dir), path.join(dir, 'out'), ['data.join=inner']);
    // g3 (no metadata) is gone: Gift n = 4 → 2/1/1; ids renumber without u3 and g3.
    assert.deepEqual(m.domains.map((d) => [d.splits.train.rows, d.splits.valid.rows, d.splits.test.rows]), [[2, 1, 1], [3, 1, 1]]);
    assert.ok(!train.prompt.some((p) => p.includes("'unknown'") && p.startsWith('Gift')));
    assert.deepEqual([...train.itemId.slice(0, 2)], [1, 1]);
    assert.equal(m.vocab_sizes.user, 3);
    assert.equal(m.vocab_sizes.item, 5);
    assert.equal(valid.prompt[0], P.v_g); // g2 keeps id 2 (g1 g2 m1 m2)
    assert.equal(tst.prompt[1], P.t_m.replace('product_5', 'product_4'));
  } finally {
    cleanup();
  }
});

test('three_star: negative keeps 3-star rows as label 0 (and the mean price follows the rows)', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const { m, train } = await prep(basicYaml(dir), path.join(dir, 'out'), ['data.three_star=negative']);
    // Gift n = 6 → 4/1/1, Music n = 6 → 4/1/1.
    assert.deepEqual(m.domains.map((d) => [d.splits.train.rows, d.splits.valid.rows, d.splits.test.rows]), [[4, 1, 1], [4, 1, 1]]);
    const three = [...train.rating.keys()].filter((i) => train.rating[i] === 3);
    assert.equal(three.length, 1); // the gift 3-star (t=100); the music one (t=260) lands in valid
    assert.equal(train.label[three[0]!], 0);
    // (3×25 + 3×7.5 + 3×12) / 9 = 14.8333… → "14.83"
    assert.ok(train.prompt[1]!.endsWith("the title is 'Book Card', the brand is 'unknown', the price is 14.83$."), train.prompt[1]);
  } finally {
    cleanup();
  }
});

test('history: ids variant and the ablation templates through prepare', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const { valid, m } = await prep(basicYaml(dir), path.join(dir, 'out'), ['data.history=ids']);
    assert.equal(valid.prompt[0], P.v_g.replace("product 'Cafe Card' & product 'Guitar Strings' & product 'Tuner, Clip-on'", 'product_1 & product_4 & product_5'));
    assert.equal(m.template.name, 'paper');
    const r2 = await prep(basicYaml(dir), path.join(dir, 'out2'), ['data.template=id_name']);
    assert.equal(r2.train.prompt[0], 'scenario_0, user_1, nothing, product_1, title_Cafe Card, brand_Cafe, price_25.00.');
    const r3 = await prep(basicYaml(dir), path.join(dir, 'out3'), ['data.template=id_only']);
    assert.equal(r3.valid.prompt[0], '0, 1, Cafe Card & Guitar Strings & Tuner, Clip-on, 2, Book Card, unknown, 15.19.');
    const r4 = await prep(basicYaml(dir, '  template: { name: custom, text: "[{domain}] u{user_id} i{item_id} b{price_bucket} h={history_values}" }'), path.join(dir, 'out4'));
    assert.equal(r4.train.prompt[4], '[Musical Instruments] u1 i5 b26 h=nothing');
    assert.equal(r4.valid.prompt[1], '[Musical Instruments] u1 i4 b1 h=Cafe Card & Guitar Strings & Tuner, Clip-on & Book Card');
    assert.equal(r4.m.template.text, '[{domain}] u{user_id} i{item_id} b{price_bucket} h={history_values}');
  } finally {
    cleanup();
  }
});

test('prompts of max_prompt_chars characters or more are dropped; history still counts them', async () => {
  const { dir, cleanup } = tempDir();
  try {
    // Threshold at exactly the length of the valid gift prompt: that row goes (>=), shorter ones stay.
    const len = P.v_g.length;
    const a = await prep(basicYaml(dir), path.join(dir, 'a'), [`data.max_prompt_chars=${len}`]);
    assert.ok(!a.train.prompt.concat(a.valid.prompt, a.test.prompt).some((p) => p.length >= len));
    const b = await prep(basicYaml(dir), path.join(dir, 'b'), [`data.max_prompt_chars=${len + 1}`]);
    assert.ok(b.train.prompt.concat(b.valid.prompt, b.test.prompt).includes(P.v_g));
    // A 10,000-character title: the g2 row's prompt is too long and so are u1's later rows (their history shows it).
    const meta = readFileSync(path.join(BASIC, 'meta_gift.json'), 'utf8').replace('"Book Card"', JSON.stringify('x'.repeat(10000)));
    writeFileSync(path.join(dir, 'meta_gift.json'), meta);
    copyFileSync(path.join(BASIC, 'gift_reviews.json'), path.join(dir, 'gift_reviews.json'));
    const cfg = readFileSync(basicYaml(dir), 'utf8').replace(B('meta_gift.json'), 'meta_gift.json');
    writeFileSync(path.join(dir, 'long.yaml'), cfg);
    const c = await prep(path.join(dir, 'long.yaml'), path.join(dir, 'c'));
    // Kept: gift u1@100, u3@100, u2@150; music u1@100 ×2, u2@250 (n = 3 each → 1/1/1).
    assert.deepEqual(c.m.domains.map((d) => [d.splits.train.rows, d.splits.valid.rows, d.splits.test.rows]), [[1, 1, 1], [1, 1, 1]]);
    assert.deepEqual(c.train.prompt, [P.g_u1_g1, P.m_u1_m1]);
    assert.deepEqual(c.test.prompt, [P.g_u2_g1, P.m_u2_m1]);
  } finally {
    cleanup();
  }
});

test('2014 files: JSON-lines reviews and Python-literal metadata (no eval), custom domain name', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const out = path.join(dir, 'out');
    const m = await prepareDataset({ config: path.join(BASIC, 'old.yaml'), out });
    assert.deepEqual(m.domains.map((d) => d.name), ['Vintage Shop']);
    const all = [...(await loadSplit(out, 'train')).prompt, ...(await loadSplit(out, 'valid')).prompt, ...(await loadSplit(out, 'test')).prompt];
    assert.deepEqual(all, [
      `Vintage Shop: The user ID is user_1, who clicked nothing recently. The ID of current product is product_1, the title is 'Men's "Best" Shoes', the brand is 'unknown', the price is 3.17$.`,
      `Vintage Shop: The user ID is user_1, who clicked product 'Men's "Best" Shoes' recently. The ID of current product is product_2, the title is 'Café Mug ☕', the brand is 'Mugs & Co', the price is 5$.`,
      `Vintage Shop: The user ID is user_1, who clicked product 'Men's "Best" Shoes' & product 'Café Mug ☕' recently. The ID of current product is product_3, the title is 'Tab\tbed', the brand is 'unknown', the price is 4.08$.`, // mean (3.17 + 5) / 2 = 4.085 in binary is 4.08499…, printed %.2f
    ]);
    // format: auto tells the Python-literal metadata from JSON by its first line.
    const auto = readFileSync(path.join(BASIC, 'old.yaml'), 'utf8')
      .replace(/format: json2014/g, 'format: auto')
      .replace('old_reviews.json', JSON.stringify(path.join(BASIC, 'old_reviews.json')))
      .replace('old_meta.json', JSON.stringify(path.join(BASIC, 'old_meta.json')));
    const out2 = path.join(dir, 'auto');
    await prepareDataset({ config: writeYaml(dir, 'auto.yaml', auto), out: out2 });
    assert.deepEqual((await loadSplit(out2, 'test')).prompt, all.slice(2));
  } finally {
    cleanup();
  }
});

test('any table: Parquet and Arrow IPC with a column map and a domain column', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const inst = await DuckDBInstance.create(':memory:');
    const c = await inst.connect();
    await c.run(`COPY (SELECT * FROM (VALUES ('a', 'p1', 5.0, 10, 'Shop One'), ('b', 'p2', 2.0, 11, 'Shop Two'), ('a', 'p2', 4.0, 12, 'Shop Two'))
                  t(who, what, stars, ts, shop)) TO '${path.join(dir, 'reviews.parquet')}' (FORMAT parquet)`);
    c.closeSync();
    inst.closeSync();
    const meta = tableFromArrays({ pid: ['p1', 'p2'], name: ['Lamp', 'Desk'], maker: ['Lux', ''], cost: Float64Array.from([10, 30]) });
    writeFileSync(path.join(dir, 'meta.arrow'), tableToIPC(meta, 'file'));
    const cfg = writeYaml(
      dir,
      'table.yaml',
      `data:
  join: inner
  domains: [Shop Two, Shop One]
  sources:
    - domain_column: shop
      reviews: reviews.parquet
      meta: meta.arrow
      columns: { user: who, item: what, rating: stars, time: ts }
      meta_columns: { item: pid, title: name, brand: maker, price: cost }
`,
    );
    const out = path.join(dir, 'out');
    const m = await prepareDataset({ config: cfg, out });
    assert.deepEqual(m.domains.map((d) => [d.name, d.splits.train.rows + d.splits.valid.rows + d.splits.test.rows]), [['Shop Two', 2], ['Shop One', 1]]);
    const t = await loadSplit(out, 'test');
    assert.deepEqual(t.prompt, [
      "Shop Two: The user ID is user_1, who clicked product 'Lamp' recently. The ID of current product is product_2, the title is 'Desk', the brand is 'unknown', the price is 30$.",
      "Shop One: The user ID is user_1, who clicked nothing recently. The ID of current product is product_1, the title is 'Lamp', the brand is 'Lux', the price is 10$.",
    ]);
  } finally {
    cleanup();
  }
});
