/**
 * A processed dataset knows what made it: opening it for an experiment whose data: block or
 * source files differ never reuses it (ensureDataset, the path every train/eval/zero-shot/
 * add-domain/predict command goes through), and --no-rebuild turns the mismatch into an error.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadExperiment } from '../../src/train/experiment.js';
import { ensureDataset, keyedDatasetDir } from '../../src/train/dataset_access.js';
import { loadSplit, readManifest } from '../../src/data/dataset.js';
import { prepareDataset } from '../../src/data/prepare.js';
import { DataError } from '../../src/util/errors.js';
import { FIX, ROOT, runCli, tempDir, writeYaml } from './helpers.js';

const BASIC = path.join(FIX, 'basic');

/** An experiment over copies of the basic fixture (so a test may edit a source file). */
function experiment(dir: string): string {
  for (const f of ['gift_reviews.json', 'meta_gift.json', 'music_reviews.csv', 'music_meta.csv']) copyFileSync(path.join(BASIC, f), path.join(dir, f));
  return writeYaml(
    dir,
    'exp.yaml',
    `name: identity
dataset_dir: ${JSON.stringify(path.join(dir, 'data', 'basic'))}
data:
  join: left
  domains: [Gift Cards, Musical Instruments]
  sources:
    - { domain: Gift Cards, reviews: ./gift_reviews.json, meta: ./meta_gift.json }
    - domain: Musical Instruments
      reviews: ./music_reviews.csv
      meta: ./music_meta.csv
      meta_columns: { item: Product ID, title: Description, brand: null, price: price }
domains: { train: [Gift Cards, Musical Instruments] }
model: { name: unictr }
backbone: { kind: hf, path: ${JSON.stringify(path.join(ROOT, 'test', 'fixtures', 'tiny-bert'))} }
train: {}
`,
  );
}

async function open(file: string, sets: string[] = [], rebuild = true) {
  const loaded = loadExperiment(file, sets);
  const m = await ensureDataset(loaded.config, loaded.file, loaded.sets, { rebuild });
  return { dir: loaded.config.dataset_dir, m, train: await loadSplit(loaded.config.dataset_dir, 'train') };
}

test('experiments that differ only in data.template never share a dataset folder', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const file = experiment(dir);
    const base = path.join(dir, 'data', 'basic');
    const a = await open(file);
    assert.equal(a.dir, base);
    assert.match(a.train.prompt[0]!, /^Gift Cards: The user ID is user_1/);
    const b = await open(file, ['data.template=id_only']);
    assert.equal(b.dir, keyedDatasetDir(base, b.m.config_hash));
    assert.notEqual(b.m.config_hash, a.m.config_hash);
    assert.equal(b.train.prompt[0], '0, 1, nothing, 1, Cafe Card, Cafe, 25.00.');
    // The first folder is untouched, and each experiment keeps finding its own dataset.
    assert.equal((await readManifest(base)).config_hash, a.m.config_hash);
    assert.equal((await open(file)).dir, base);
    const again = await open(file, ['data.template=id_only']);
    assert.equal(again.dir, b.dir);
    assert.equal(again.m.created_at, b.m.created_at); // reused, not rebuilt
    // Cosmetic: experiment keys outside data: do not change the hash.
    assert.equal((await open(file, ['name=other', 'seed=7', 'train.epochs=9'])).dir, base);
  } finally {
    cleanup();
  }
});

test('--set dataset_dir pointing at a dataset of another data: block is not reused; --no-rebuild is an error', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const file = experiment(dir);
    const other = path.join(dir, 'other');
    await prepareDataset({ config: file, out: other, sets: ['data.three_star=negative'] });
    const before = readFileSync(path.join(other, 'manifest.json'), 'utf8');
    await assert.rejects(
      open(file, [`dataset_dir=${other}`], false),
      (e: unknown) => e instanceof DataError && /does not match the experiment's data: block \(differs in data\.three_star\)/.test(e.message) && e.message.includes(other),
    );
    const r = await open(file, [`dataset_dir=${other}`]);
    assert.equal(r.dir, keyedDatasetDir(other, r.m.config_hash));
    assert.equal((r.m.config as { three_star: string }).three_star, 'drop');
    assert.equal(readFileSync(path.join(other, 'manifest.json'), 'utf8'), before);
  } finally {
    cleanup();
  }
});

test('a changed source file is noticed through its sha256, and the CLI says what it does', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const file = experiment(dir);
    const a = await open(file);
    // Same size, other content (u2's 1-star becomes a 2-star): the mtime/size cache must not hide it.
    const gift = path.join(dir, 'gift_reviews.json');
    writeFileSync(gift, readFileSync(gift, 'utf8').replace('"overall": 1.0', '"overall": 2.0'));
    const b = await open(file);
    assert.notEqual(b.m.config_hash, a.m.config_hash);
    assert.equal(b.dir, keyedDatasetDir(a.dir, b.m.config_hash));
    // Through the real CLI: train --no-rebuild with a template the folder was not built with.
    const r = await runCli(['train', '--config', file, '--out', path.join(dir, 'run'), '--set', 'data.template=id_name', '--no-rebuild', '--backend', 'cpu']);
    assert.equal(r.code, 2, r.stderr);
    const m = /error: .*does not match the experiment's data: block \(differs in data\.template, source files\); drop --no-rebuild to build it into (\S+),/.exec(r.stderr);
    assert.ok(m, r.stderr);
    assert.ok(!existsSync(m[1]!), 'nothing built with --no-rebuild');
  } finally {
    cleanup();
  }
});
