import { test } from 'node:test';
import assert from 'node:assert/strict';
import { groupByLength, meanPaddedLength } from '../../src/train/batches.js';
import { Rng } from '../../src/util/rng.js';

// Lengths like paper-template prompts: 40–130 tokens, a long tail.
const N = 1003;
const lengths = Int32Array.from({ length: N }, (_, i) => 40 + ((i * 7919) % 61) + (i % 17 === 0 ? 30 : 0));
const lengthOf = (p: number) => lengths[p]!;

function shuffled(seed: number): Int32Array {
  return new Rng(seed).shuffle(Int32Array.from({ length: N }, (_, i) => i));
}

test('group_by_length: a permutation of the epoch, full batches first, the short batch last', () => {
  const order = groupByLength(shuffled(1), lengthOf, 64, 8, new Rng(2));
  assert.deepEqual([...order].sort((a, b) => a - b), Array.from({ length: N }, (_, i) => i));
  // 1003 = 15 × 64 + 43: the last 43 rows are the tail of the last group, sorted by length.
  const tail = Array.from(order.subarray(15 * 64), lengthOf);
  assert.equal(tail.length, 43);
  assert.deepEqual(tail, [...tail].sort((a, b) => b - a));
});

test('group_by_length: batches pad far less than shuffled ones, and grouping is seeded', () => {
  const plain = shuffled(1);
  const grouped = groupByLength(plain, lengthOf, 64, 8, new Rng(2));
  const real = lengths.reduce((a, b) => a + b, 0) / N;
  const before = meanPaddedLength(plain, lengthOf, 64);
  const after = meanPaddedLength(grouped, lengthOf, 64);
  assert.ok(before > real * 1.3, `shuffled batches pad to ${before} (real ${real})`);
  assert.ok(after < real * 1.1, `grouped batches pad to ${after} (real ${real})`);
  assert.deepEqual(groupByLength(plain, lengthOf, 64, 8, new Rng(2)), grouped);
  assert.notDeepEqual(groupByLength(plain, lengthOf, 64, 8, new Rng(3)), grouped);
});

test('group_by_length: batch order is shuffled, not sorted by length', () => {
  const grouped = groupByLength(shuffled(5), lengthOf, 32, 31, new Rng(6));
  const maxima = Array.from({ length: Math.floor(N / 32) }, (_, b) => Math.max(...Array.from(grouped.subarray(b * 32, (b + 1) * 32), lengthOf)));
  const desc = [...maxima].sort((a, b) => b - a);
  assert.notDeepEqual(maxima, desc);
});

test('meanPaddedLength: each slice pads to its longest row', () => {
  assert.equal(meanPaddedLength(Int32Array.from([0, 1, 2]), (p) => [3, 5, 2][p]!, 2), (2 * 5 + 2) / 3);
});
