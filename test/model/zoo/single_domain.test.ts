/** Single-domain routing: a per-domain model is fed its own domain's rows and nothing else. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectDomainRows } from '../../../src/model/zoo/single_domain.js';
import { checkIdRanges } from '../../../src/model/layers/feature_embedding.js';
import { makeSynthetic } from './helpers.js';

test('selectDomainRows keeps exactly the rows of the domain, in order', () => {
  const domainIds = Int32Array.from([0, 2, 1, 2, 2, 0, 1]);
  assert.deepEqual(Array.from(selectDomainRows([0, 1, 2, 3, 4, 5, 6], domainIds, 2)), [1, 3, 4]);
  // A shuffled subset (a mini-batch order) keeps its order.
  assert.deepEqual(Array.from(selectDomainRows([6, 5, 2, 0], domainIds, 0)), [5, 0]);
  assert.deepEqual(Array.from(selectDomainRows([6, 5, 2, 0], domainIds, 3)), []);
  assert.throws(() => selectDomainRows([7], domainIds, 0), /row 7 \(position 0\) is outside the split's 7 rows/);
});

test('every batch built from the selected rows holds only that domain, and all of its rows are used', () => {
  const data = makeSynthetic(3, { rows: 3000, domains: 3 });
  const all = Int32Array.from({ length: 3000 }, (_, i) => i);
  let total = 0;
  for (let d = 0; d < 3; d++) {
    const rows = selectDomainRows(all, data.features.domainId, d);
    total += rows.length;
    for (let start = 0; start < rows.length; start += 256) {
      const fed = rows.subarray(start, start + 256);
      assert.ok(Array.from(fed).every((r) => data.features.domainId[r] === d), `a batch of domain ${d} holds another domain's row`);
    }
    const expected = Array.from(all).filter((r) => data.features.domainId[r] === d);
    assert.deepEqual(Array.from(rows), expected);
  }
  assert.equal(total, 3000);
});

test('checkIdRanges names the column and row of an id outside its table', () => {
  const data = makeSynthetic(3, { rows: 10 });
  checkIdRanges(data.features, data.vocab, 'train.arrow');
  data.features.history[3 * 5 + 2] = data.vocab.item;
  assert.throws(() => checkIdRanges(data.features, data.vocab, 'train.arrow'), /train\.arrow: column "history_item_ids" row 3: id 41 is outside the vocabulary \[0, 41\)/);
  data.features.brandId[7] = -1;
  assert.throws(() => checkIdRanges(data.features, data.vocab, 'x'), /column "brand_id" row 7/);
});
