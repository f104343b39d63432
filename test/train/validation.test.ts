import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validationAuc, sortByDomain, earlyStopping } from '../../src/train/fit.js';
import type { SplitColumns } from '../../src/data/types.js';

// Two domains: each ranked perfectly inside itself, but domain 1's scores are all lower, so the
// pooled AUC is worse than the per-domain mean.
const split = {
  rows: 8,
  domainId: Int32Array.from([0, 0, 0, 0, 1, 1, 1, 1]),
  label: Uint8Array.from([0, 1, 0, 1, 0, 1, 1, 1]),
} as unknown as SplitColumns;
const src = { split, rows: Int32Array.from([0, 1, 2, 3, 4, 5, 6, 7]) };
const scores = [0.6, 0.9, 0.7, 0.95, 0.1, 0.3, 0.2, 0.4];

test('validation score: mean of per-domain AUCs vs pooled AUC', () => {
  assert.equal(validationAuc(src, scores, 'auc_mean'), 1);
  // pooled: 8 pairs... computed by hand: negatives {0.6,0.7,0.1}, positives {0.9,0.95,0.3,0.2,0.4}
  // wins: 0.9>all3 (3), 0.95 (3), 0.3>0.1 (1), 0.2>0.1 (1), 0.4>0.1 (1) = 9 of 15.
  assert.equal(validationAuc(src, scores, 'auc_pooled'), 9 / 15);
  // A one-class domain is left out of the mean.
  const oneClass = { split: { ...split, label: Uint8Array.from([0, 1, 0, 1, 1, 1, 1, 1]) } as SplitColumns, rows: src.rows };
  assert.equal(validationAuc(oneClass, scores, 'auc_mean'), 1);
});

test('batch rows are grouped by domain, order kept within a domain', () => {
  const domainId = Int32Array.from([2, 0, 1, 0, 2, 1]);
  assert.deepEqual(Array.from(sortByDomain(Int32Array.from([4, 1, 0, 2, 3, 5]), domainId)), [1, 3, 2, 5, 4, 0]);
});

test('early stopping: patience counts bad epochs, 0 never stops, NaN is neither better nor worse', () => {
  const fresh = { best_auc: -Infinity, best_epoch: -1, bad_epochs: 0 };
  const afterBest = { best_auc: 0.7, best_epoch: 1, bad_epochs: 0 };
  assert.deepEqual(earlyStopping(fresh, 0.6, 1), { improved: true, badEpochs: 0, stop: false });
  assert.deepEqual(earlyStopping(afterBest, 0.65, 1), { improved: false, badEpochs: 1, stop: true });
  assert.deepEqual(earlyStopping(afterBest, 0.65, 2), { improved: false, badEpochs: 1, stop: false });
  assert.deepEqual(earlyStopping({ ...afterBest, bad_epochs: 1 }, 0.7, 2), { improved: false, badEpochs: 2, stop: true });
  // patience 0: no early stopping, however many bad epochs.
  assert.deepEqual(earlyStopping({ ...afterBest, bad_epochs: 9 }, 0.5, 0), { improved: false, badEpochs: 10, stop: false });
  // NaN: the first epoch still gets a best checkpoint; later NaNs neither stop nor reset the count.
  assert.deepEqual(earlyStopping(fresh, NaN, 1), { improved: true, badEpochs: 0, stop: false });
  assert.deepEqual(earlyStopping(afterBest, NaN, 1), { improved: false, badEpochs: 0, stop: false });
  assert.deepEqual(earlyStopping({ ...afterBest, bad_epochs: 1 }, NaN, 3), { improved: false, badEpochs: 1, stop: false });
});
