/**
 * Routing of single-domain baselines as the trainer does it (buildModels → unit.source →
 * makeBatch): each per-domain model is fed its own domain's rows and nothing else; and the id
 * check the trainer runs on every split before training.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { initBackend } from '../../../src/runtime/backend.js';
import { loadExperiment } from '../../../src/train/experiment.js';
import { buildModels } from '../../../src/train/model_setup.js';
import { makeBatch, disposeBatch, chunks } from '../../../src/train/batches.js';
import { checkSplitIds } from '../../../src/train/dataset_access.js';
import type { Manifest, SplitColumns, SplitName } from '../../../src/data/types.js';
import { ROOT } from '../../helpers/cli.js';
import { makeSynthetic } from './helpers.js';

before(async () => {
  await initBackend({ backend: 'cpu' });
});

const DOMAINS = ['A', 'B', 'C', 'Z'];

/** A split with the columns the trainer reads, from the synthetic ID data (domains 0..3). */
function split(seed: number, rows: number): SplitColumns {
  const d = makeSynthetic(seed, { rows, domains: 4 });
  const f = d.features;
  return {
    rows,
    domainId: f.domainId,
    userId: f.userId,
    itemId: f.itemId,
    brandId: f.brandId,
    titleId: f.titleId,
    priceBucket: f.priceBucket,
    history: f.history,
    label: Uint8Array.from(d.labels),
  } as unknown as SplitColumns;
}

const vocab = makeSynthetic(1, { rows: 1 }).vocab;
const manifest = {
  domains: DOMAINS.map((name, id) => ({ name, id })),
  vocab_sizes: vocab,
  files: { train: 'train.arrow', valid: 'valid.arrow', test: 'test.arrow' },
} as unknown as Manifest;

test('each per-domain model of a single-domain baseline gets exactly its own rows, in every split', async () => {
  const { config } = loadExperiment(path.join(ROOT, 'experiments/baselines/deepfm.yaml'), ['model.embedding_dim=4', 'model.hidden_units=[8]']);
  const splits: Record<SplitName, SplitColumns> = { train: split(3, 900), valid: split(4, 300), test: split(5, 300) };
  const built = await buildModels(config, manifest, splits, [0, 1, 2], [3]);
  try {
    assert.equal(built.units.length, 3);
    for (const s of ['train', 'valid', 'test'] as const) {
      let total = 0;
      for (const unit of built.units) {
        const id = unit.domainIds[0]!;
        assert.equal(built.unitFor(id), unit);
        const src = unit.source(s);
        const expected = Array.from({ length: splits[s].rows }, (_, r) => r).filter((r) => splits[s].domainId[r] === id);
        assert.deepEqual(Array.from(src.rows), expected, `${unit.label} ${s}: rows`);
        total += src.rows.length;
        // The batches it is fed route every row to its single tower.
        for (const rows of chunks(src.rows, 64)) {
          const b = makeBatch(src.split, rows, unit.towerOf);
          assert.ok(Array.from(b.domainIndex.dataSync()).every((k) => k === 0), `${unit.label}: a row of another domain`);
          disposeBatch(b);
        }
      }
      const zero = splits[s].domainId.filter((d) => d === 3).length;
      assert.equal(total + zero, splits[s].rows, `${s}: every training-domain row is used once`);
    }
  } finally {
    built.dispose();
  }
});

test('checkSplitIds names the split file, column and row of an id outside its table', () => {
  const splits: Record<SplitName, SplitColumns> = { train: split(3, 50), valid: split(4, 20), test: split(5, 20) };
  checkSplitIds(splits, manifest, '/data/x');
  splits.valid.history[3 * 5 + 2] = vocab.item;
  assert.throws(
    () => checkSplitIds(splits, manifest, '/data/x'),
    new RegExp(`/data/x/valid\\.arrow: column "history_item_ids" row 3: id ${vocab.item} is outside the vocabulary \\[0, ${vocab.item}\\)`),
  );
  splits.valid.history[3 * 5 + 2] = 0;
  splits.test.brandId[7] = -1;
  assert.throws(() => checkSplitIds(splits, manifest, '/data/x'), /test\.arrow: column "brand_id" row 7/);
});
