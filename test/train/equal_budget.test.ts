/**
 * train.max_train_rows picks the same training rows for every model: a fixed, seeded subset per
 * domain, shared among the domains by size, whether one model or one model per domain trains.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SplitColumns } from '../../src/data/types.js';
import { cappedTrainRows } from '../../src/train/model_setup.js';

// Only what the row selection reads: the domain of each row.
function split(domains: number[]): SplitColumns {
  return { rows: domains.length, domainId: Int32Array.from(domains) } as unknown as SplitColumns;
}
const domains = Array.from({ length: 1000 }, (_, i) => (i % 10 < 6 ? 0 : i % 10 < 9 ? 1 : 2));
const train = split(domains);

test('the cap is shared among domains by size and drawn from the seed', () => {
  const pick = cappedTrainRows(train, [0, 1, 2], 200, 7);
  const sizes = [0, 1, 2].map((d) => pick(d).length);
  assert.deepEqual(sizes, [120, 60, 20]);
  for (const d of [0, 1, 2]) {
    const rows = pick(d);
    assert.ok(rows.every((r) => domains[r] === d), 'rows belong to their domain');
    assert.ok(rows.every((r, i) => i === 0 || r > rows[i - 1]!), 'split order, no repeats');
  }
  assert.deepEqual(cappedTrainRows(train, [0, 1, 2], 200, 7)(0), pick(0), 'same seed, same rows');
  assert.notDeepEqual(cappedTrainRows(train, [0, 1, 2], 200, 8)(0), pick(0), 'another seed, other rows');
});

test('a domain keeps the same rows whichever other domains it is listed with for a unit', () => {
  // Multi-domain models ask for every training domain at once, per-domain baselines for one.
  const pick = cappedTrainRows(train, [0, 1, 2], 300, 3);
  const again = cappedTrainRows(train, [0, 1, 2], 300, 3);
  assert.deepEqual(again(1), pick(1));
  assert.equal(cappedTrainRows(train, [0, 1, 2], 0, 3)(2).length, 100, 'cap 0 keeps every row');
  assert.equal(cappedTrainRows(train, [0, 1], 5000, 3)(0).length, 600, 'a cap above the rows keeps every row');
  assert.equal(cappedTrainRows(train, [0, 1], 100, 3)(2).length, 100, 'an added domain keeps at most the cap');
});

test('a domain added from a new file (add-domain --data) keeps the run\'s cap and seeded rows', async () => {
  const { newDomainTrainRows, describeTrainRows } = await import('../../src/train/new_data.js');
  type Args = Parameters<typeof newDomainTrainRows>;
  // The new file's rows: the run's two training domains' ids do not occur, the new domain is id 2.
  const ctx = { config: { seed: 3, train: { max_train_rows: 40 } }, trainIds: [0, 1] } as unknown as Args[0];
  const rows = { parts: { train } } as unknown as Args[1];
  const picked = newDomainTrainRows(ctx, rows, { id: 2 } as Args[2]);
  assert.deepEqual(picked.rows, cappedTrainRows(train, [0, 1], 40, 3)(2), 'the in-dataset path\'s rows');
  assert.equal(picked.rows.length, 40);
  assert.equal(picked.of, 100);
  assert.equal(describeTrainRows(picked), 'trained on 40 of 100 training rows (train.max_train_rows: 40)');
  const other = newDomainTrainRows({ ...ctx, config: { seed: 4, train: { max_train_rows: 40 } } } as unknown as Args[0], rows, { id: 2 } as Args[2]);
  assert.notDeepEqual(other.rows, picked.rows, 'drawn from the run\'s seed');
  const all = newDomainTrainRows({ ...ctx, config: { seed: 3, train: { max_train_rows: 0 } } } as unknown as Args[0], rows, { id: 2 } as Args[2]);
  assert.equal(describeTrainRows(all), 'trained on all 100 training rows');
});
