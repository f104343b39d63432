/**
 * Config errors name where a key came from (the parent file reached through `extends:`, or the
 * `--set KEY=VALUE` that wrote it), suggest the key that was probably meant, and refuse keys that
 * would reach Object.prototype.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadExperiment } from '../../src/train/experiment.js';
import { validateModelBlock } from '../../src/model/registry.js';
import { loadDataConfig } from '../../src/data/config_load.js';
import { ConfigError } from '../../src/util/errors.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'unictr-config-'));
const parent = path.join(tmp, 'parent.yaml');
writeFileSync(parent, 'dataset_dir: data\ndomains: { train: [A] }\nmodel: { name: mmoe }\ntrain: { epochs: 2 }\n');
const child = path.join(tmp, 'child.yaml');
writeFileSync(child, `extends: parent.yaml\nname: child\n`);

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${String(e)}`);
    return e.message;
  }
  assert.fail('no error thrown');
}

test('a loaded child config is valid', () => {
  assert.equal(loadExperiment(child).config.train.epochs, 2);
});

test('an unknown key suggests the key that was probably meant', () => {
  const f = path.join(tmp, 'typo.yaml');
  writeFileSync(f, 'extends: parent.yaml\ntrain: { epoch: 3 }\n');
  assert.match(errorOf(() => loadExperiment(f)), /typo\.yaml: unknown key "train\.epoch" \(did you mean "train\.epochs"\?\)/);
  assert.match(errorOf(() => loadExperiment(child, ['backbone.tunning=lora'])), /did you mean "backbone\.tuning"\?/);
  // Nothing close: no suggestion.
  assert.doesNotMatch(errorOf(() => loadExperiment(child, ['train.zzzzzzzzzz=1'])), /did you mean/);
});

test('an error about a --set key names the --set, not the YAML file', () => {
  const m = errorOf(() => loadExperiment(child, ['train.epoch=3']));
  assert.match(m, /^--set train\.epoch=3: unknown key "train\.epoch" \(did you mean "train\.epochs"\?\)/);
  assert.doesNotMatch(m, /child\.yaml/);
  assert.match(errorOf(() => loadExperiment(child, ['train.lr=-1'])), /^--set train\.lr=-1: key "train\.lr"/);
  assert.match(errorOf(() => loadExperiment(child, ['train'])), /^--set train: expected KEY=VALUE/);
});

test('prepare\'s data block: a --set typo names the --set and suggests the key', () => {
  const f = path.join(tmp, 'data.yaml');
  writeFileSync(f, 'data: { sources: [{ domain: A, reviews: r.json }] }\n');
  assert.match(errorOf(() => loadDataConfig(f, ['data.jion=left'])), /^--set data\.jion=left: unknown key "data\.jion" \(did you mean "data\.join"\?\)/);
  assert.match(errorOf(() => loadDataConfig(f, ['data.rating_range=[5, 1]'])), /^--set data\.rating_range=\[5, 1\]: key "data\.rating_range"/);
});

test('a typo in an extends parent names the parent file', () => {
  const bad = path.join(tmp, 'bad-parent.yaml');
  writeFileSync(bad, 'dataset_dir: data\ndomains: { train: [A] }\nmodel: { name: mmoe }\ntrain: { epohcs: 2 }\n');
  const kid = path.join(tmp, 'kid.yaml');
  writeFileSync(kid, 'extends: bad-parent.yaml\nname: kid\n');
  const m = errorOf(() => loadExperiment(kid));
  assert.match(m, /bad-parent\.yaml: unknown key "train\.epohcs"/);
  assert.doesNotMatch(m, /kid\.yaml/);
  const missing = path.join(tmp, 'orphan.yaml');
  writeFileSync(missing, 'extends: no-such-parent.yaml\n');
  assert.match(errorOf(() => loadExperiment(missing)), /orphan\.yaml: key "extends": parent config not found: no-such-parent\.yaml/);
});

test('__proto__, constructor and prototype are refused as keys (from --set and from YAML)', () => {
  for (const k of ['__proto__.x', 'constructor.x', 'train.prototype', '__proto__']) {
    assert.match(errorOf(() => loadExperiment(child, [`${k}=1`])), new RegExp(`--set ${k.replace(/\./g, '\\.')}=1: unknown key`));
  }
  assert.match(errorOf(() => loadExperiment(child, ['train={"__proto__": {"polluted": 1}}'])), /unknown key "train\.__proto__"/);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  const f = path.join(tmp, 'proto.yaml');
  writeFileSync(f, 'extends: parent.yaml\n__proto__: { x: 1 }\n');
  assert.match(errorOf(() => loadExperiment(f)), /proto\.yaml: unknown key "__proto__"/);
});

test('duplicate domains name domains.train; bootstrap 0 is refused at load', () => {
  assert.match(errorOf(() => loadExperiment(child, ['domains.train=[A, A]'])), /key "domains\.train": domain "A" is listed twice/);
  assert.match(errorOf(() => loadExperiment(child, ['train.bootstrap=0'])), /--set train\.bootstrap=0: key "train\.bootstrap": expected at least 1/);
});

test('the model block is validated on its own, naming the file or --set that holds the bad key', () => {
  const loaded = loadExperiment(child, ['model.name=deepfmm']);
  assert.match(errorOf(() => validateModelBlock(loaded.config.model, loaded.sources)), /^--set model\.name=deepfmm: key "model\.name": unknown model "deepfmm" \(did you mean "deepfm"\?\)/);
  const inFile = path.join(tmp, 'model-typo.yaml');
  writeFileSync(inFile, 'extends: parent.yaml\nmodel: { name: mmeo }\n');
  const typo = loadExperiment(inFile);
  assert.match(errorOf(() => validateModelBlock(typo.config.model, typo.sources)), /^.*model-typo\.yaml: key "model\.name": unknown model "mmeo" \(did you mean "mmoe"\?\)/);
  const drop = loadExperiment(child, ['model.dropout=-0.5']);
  assert.match(errorOf(() => validateModelBlock(drop.config.model, drop.sources)), /--set model\.dropout=-0\.5: (key "model\.dropout"|unknown key "model\.dropout")/);
  const ladder = loadExperiment(child, ['model={name: unictr, ladder_dropout: 1.5}']);
  assert.match(errorOf(() => validateModelBlock(ladder.config.model, ladder.sources)), /key "model\.ladder_dropout"/);
});

test('YAML merge keys (<<) merge a mapping and later keys override it', () => {
  const f = path.join(tmp, 'merge.yaml');
  writeFileSync(f, 'extends: parent.yaml\ntrain: { <<: { epochs: 4, batch_size: 16 }, batch_size: 8 }\n');
  const t = loadExperiment(f).config.train;
  assert.equal(t.epochs, 4);
  assert.equal(t.batch_size, 8);
});
