import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileTemplate, resolveTemplate, PLACEHOLDERS } from '../../src/data/prompt/templates.js';
import { verbalize, type PromptFields } from '../../src/data/prompt/verbalize.js';
import { ConfigError } from '../../src/util/errors.js';
import { parsePyLiteral } from '../../src/data/readers/py_literal.js';
import { splitSizes, splitRows } from '../../src/data/split.js';
import { buildHistory } from '../../src/data/history.js';
import { paperNameFor } from '../../src/data/domains.js';

function fields(over: Partial<PromptFields> = {}): PromptFields {
  return {
    domain: 'Gift Cards',
    domain_id: 2,
    user_id: 7,
    item_id: 42,
    title: 'Cafe Card',
    brand: 'Cafe',
    description: 'A card for the cafe.',
    title_or_description: 'Cafe Card',
    price: '25.00',
    price_bucket: 100,
    brand_id: 3,
    title_id: 9,
    historyTitles: ['Book Card', "Men's Shoes"],
    historyItemIds: [5, 6],
    historyMode: 'titles',
    ...over,
  };
}

test('paper template is byte-exact (spec §2)', () => {
  const t = resolveTemplate('paper');
  assert.equal(
    verbalize(t, fields()),
    "Gift Cards: The user ID is user_7, who clicked product 'Book Card' & product 'Men's Shoes' recently. The ID of current product is product_42, the title is 'Cafe Card', the brand is 'Cafe', the price is 25.00$.",
  );
});

test('empty history reads "who clicked nothing recently"', () => {
  const t = resolveTemplate('paper');
  assert.equal(
    verbalize(t, fields({ historyTitles: [], historyItemIds: [] })),
    "Gift Cards: The user ID is user_7, who clicked nothing recently. The ID of current product is product_42, the title is 'Cafe Card', the brand is 'Cafe', the price is 25.00$.",
  );
});

test('ids history mode renders product_<id> items', () => {
  const t = resolveTemplate('paper');
  assert.match(verbalize(t, fields({ historyMode: 'ids' })), /who clicked product_5 & product_6 recently\./);
});

test('ablation templates (Table V)', () => {
  assert.equal(
    verbalize(resolveTemplate('id_name'), fields()),
    "scenario_2, user_7, product 'Book Card' & product 'Men's Shoes', product_42, title_Cafe Card, brand_Cafe, price_25.00.",
  );
  assert.equal(verbalize(resolveTemplate('id_only'), fields()), "2, 7, Book Card & Men's Shoes, 42, Cafe Card, Cafe, 25.00.");
  assert.equal(verbalize(resolveTemplate('id_only'), fields({ historyTitles: [], historyItemIds: [] })), '2, 7, nothing, 42, Cafe Card, Cafe, 25.00.');
});

test('custom template with every placeholder and escaped braces', () => {
  const text = PLACEHOLDERS.map((p) => `{${p}}`).join('|') + ' {{literal}}';
  const t = resolveTemplate({ name: 'custom', text });
  assert.equal(
    verbalize(t, fields()),
    "Gift Cards|2|7|42|Cafe Card|Cafe|25.00|100|3|9|product 'Book Card' & product 'Men's Shoes'|Book Card & Men's Shoes|A card for the cafe.|Cafe Card {literal}",
  );
});

test('unknown placeholder is a ConfigError naming it and the allowed set', () => {
  assert.throws(
    () => compileTemplate('custom', 'user {uid} likes {title}', 'exp.yaml: key "data.template"'),
    (e: unknown) => e instanceof ConfigError && /exp\.yaml: key "data\.template": unknown placeholder "\{uid\}"/.test(e.message) && /allowed: \{domain\}, \{domain_id\}/.test(e.message),
  );
  assert.throws(() => compileTemplate('custom', 'a {title', 'x'), ConfigError);
  assert.throws(() => compileTemplate('custom', 'a } b', 'x'), ConfigError);
  assert.throws(() => resolveTemplate({ name: 'custom' }), ConfigError);
});

test('Python-literal parser (2014 metadata)', () => {
  assert.deepEqual(
    parsePyLiteral(`{'asin': 'o1', 'title': "Men's \\"Best\\"", 'price': 3.17, 'n': -2, 'e': 1e3, 'ok': True, 'no': None, 'f': False, 't': (1, 'a',), 'l': [], 'd': {'k': ['x', "y"]}, 'u': u'caf\\xe9 \\u2615 \\n'}`),
    { asin: 'o1', title: 'Men\'s "Best"', price: 3.17, n: -2, e: 1000, ok: true, no: null, f: false, t: [1, 'a'], l: [], d: { k: ['x', 'y'] }, u: 'café ☕ \n' },
  );
  assert.throws(() => parsePyLiteral("{'a': __import__('os')}"), /expected a Python literal/);
  assert.throws(() => parsePyLiteral("{'a': 1"), /expected "," or "}"/);
  assert.throws(() => parsePyLiteral("{'a': 'x'} extra"), /unexpected text/);
});

test('split variants: paper_80_10_10 and explicit fractions; the 81/9/10 fractions equal the default', () => {
  for (let n = 0; n < 500; n++) {
    // 80/10/10: trainval = floor(9n/10), train = floor(8·trainval/9), exact integer reference.
    const tv = Number((BigInt(n) * 9n) / 10n);
    assert.deepEqual(splitSizes(n, 'paper_80_10_10'), { train: Number((BigInt(tv) * 8n) / 9n), valid: tv - Number((BigInt(tv) * 8n) / 9n), test: n - tv });
    assert.deepEqual(splitSizes(n, { train: 0.81, valid: 0.09, test: 0.1 }), splitSizes(n));
    assert.deepEqual(splitSizes(n, 'released_81_9_10'), splitSizes(n));
    // 70/15/15: trainval = floor(85n/100), train = floor(70·trainval/85).
    const tv2 = Number((BigInt(n) * 85n) / 100n);
    const tr2 = Number((BigInt(tv2) * 70n) / 85n);
    assert.deepEqual(splitSizes(n, { train: 0.7, valid: 0.15, test: 0.15 }), { train: tr2, valid: tv2 - tr2, test: n - tv2 });
  }
  assert.deepEqual(splitSizes(100, 'paper_80_10_10'), { train: 80, valid: 10, test: 10 });
  assert.deepEqual(splitSizes(1000, 'paper_80_10_10'), { train: 800, valid: 100, test: 100 });
});

test('split sizes: floor(0.9 n) trainval, floor(0.9 trainval) train', () => {
  assert.deepEqual(splitSizes(0), { train: 0, valid: 0, test: 0 });
  assert.deepEqual(splitSizes(1), { train: 0, valid: 0, test: 1 });
  assert.deepEqual(splitSizes(5), { train: 3, valid: 1, test: 1 });
  assert.deepEqual(splitSizes(100), { train: 81, valid: 9, test: 10 });
  assert.deepEqual(splitSizes(2839), { train: 2299, valid: 256, test: 284 });
  for (let n = 0; n < 500; n++) {
    const s = splitSizes(n);
    assert.equal(s.train + s.valid + s.test, n);
    // Reference with exact decimal arithmetic: floor(0.9·n) = floor(9n/10).
    const tv = Number((BigInt(n) * 9n) / 10n);
    assert.equal(s.train + s.valid, tv);
    assert.equal(s.train, Number((BigInt(tv) * 9n) / 10n));
  }
  // Domain blocks in domain order, time order within.
  const split = splitRows(Int32Array.from([0, 1, 2, 3, 4, 5, 6]), Int32Array.from([1, 0, 1, 1, 0, 1, 1]), 2);
  // domain 0 = rows [1, 4] (n=2 → 0/1/1); domain 1 = rows [0, 2, 3, 5, 6] (n=5 → 3/1/1)
  assert.deepEqual([...split.train], [0, 2, 3]);
  assert.deepEqual([...split.valid], [1, 5]);
  assert.deepEqual([...split.test], [4, 6]);
});

test('history: last 5 earlier positives, oldest first; the current row joins only after it', () => {
  // user 1: rows 0..7 with labels; user 2 interleaved; every row at its own time.
  const user = Int32Array.from([1, 1, 2, 1, 1, 1, 1, 1, 1]);
  const label = Uint8Array.from([1, 0, 1, 1, 1, 1, 1, 1, 1]);
  const h = buildHistory(user, label, Float64Array.from([10, 20, 30, 40, 50, 60, 70, 80, 90]), 3);
  const row = (i: number) => [...h.slice(i * 5, i * 5 + 5)];
  assert.deepEqual(row(0), [-1, -1, -1, -1, -1]);
  assert.deepEqual(row(1), [0, -1, -1, -1, -1]);
  assert.deepEqual(row(2), [-1, -1, -1, -1, -1]);
  assert.deepEqual(row(3), [0, -1, -1, -1, -1]); // row 1 was negative
  assert.deepEqual(row(7), [0, 3, 4, 5, 6]);
  assert.deepEqual(row(8), [3, 4, 5, 6, 7]);
});

test('history: two same-day rows of one user never see each other, whatever their order', () => {
  // User 1 rates two items on day 100 (both positive), then one on day 200; user 2 on day 100.
  const user = Int32Array.from([1, 2, 1, 1]);
  const label = Uint8Array.from([1, 1, 1, 0]);
  const time = Float64Array.from([100, 100, 100, 200]);
  const h = buildHistory(user, label, time, 3);
  const row = (i: number) => [...h.slice(i * 5, i * 5 + 5)];
  assert.deepEqual(row(0), [-1, -1, -1, -1, -1]);
  assert.deepEqual(row(2), [-1, -1, -1, -1, -1]); // row 0 is a same-day positive: not earlier
  assert.deepEqual(row(3), [0, 2, -1, -1, -1]); // both day-100 positives, in global order
  // Swapped input order: still no history on day 100.
  const h2 = buildHistory(Int32Array.from([1, 1, 2, 1]), Uint8Array.from([1, 1, 1, 0]), time, 3);
  assert.deepEqual([...h2.slice(0, 10)], [-1, -1, -1, -1, -1, -1, -1, -1, -1, -1]);
  assert.deepEqual([...h2.slice(15, 20)], [0, 1, -1, -1, -1]);
  // Same-day rows beyond the last five still come out as the last five by global order.
  const many = buildHistory(Int32Array.from([1, 1, 1, 1, 1, 1, 1, 1]), Uint8Array.from([1, 1, 1, 1, 1, 1, 1, 1]), Float64Array.from([5, 5, 5, 5, 5, 5, 5, 9]), 2);
  assert.deepEqual([...many.slice(35, 40)], [2, 3, 4, 5, 6]);
  assert.deepEqual([...many.slice(30, 35)], [-1, -1, -1, -1, -1]);
  assert.throws(() => buildHistory(Int32Array.from([1, 1]), Uint8Array.from([1, 1]), Float64Array.from([2, 1]), 2), /not in time order/);
});

test('paper domain names must be the display names', () => {
  assert.equal(paperNameFor('Gift Cards'), null);
  assert.equal(paperNameFor('Gift Card'), 'Gift Cards');
  assert.equal(paperNameFor('AMAZON_FASHION'), 'Amazon Fashion');
  assert.equal(paperNameFor('musical instruments'), 'Musical Instruments');
  assert.equal(paperNameFor('Vintage Shop'), null);
});
