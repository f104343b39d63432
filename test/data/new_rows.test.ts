/**
 * New data against a trained run: the domain name a file implies, and the rules the rows get
 * (the run's, with the join and keep-every-row exceptions documented in docs/data.md).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { domainFromFile, newDataConfig } from '../../src/data/new_rows.js';
import { DataConfigSchema } from '../../src/data/schema.js';
import type { Manifest } from '../../src/data/types.js';

test('a file name gives the domain, paper domains in their display spelling', () => {
  assert.equal(domainFromFile('../shared/data/amazon/All_Beauty/All_Beauty_5.json.gz'), 'All Beauty');
  assert.equal(domainFromFile('AMAZON_FASHION_5.json.gz'), 'Amazon Fashion');
  assert.equal(domainFromFile('Digital_Music.csv'), 'Digital Music');
  assert.equal(domainFromFile('/x/Home_and_Garden_5.json'), 'Home and Garden');
});

const run = {
  config: DataConfigSchema.parse({
    sources: [{ domain: 'Old', reviews: 'old.json.gz', meta: 'meta_old.json.gz' }],
    join: 'inner',
    three_star: 'negative',
    template: 'id_name',
    max_prompt_chars: 500,
    split: 'paper_80_10_10',
  }),
} as unknown as Manifest;

test('new rows follow the run\'s rules; a file without metadata is joined left', () => {
  const withMeta = newDataConfig(run, { data: 'New_5.json.gz', meta: 'meta_New.json.gz' });
  assert.equal(withMeta.config.sources[0]!.domain, 'New');
  assert.equal(withMeta.config.join, 'inner');
  assert.equal(withMeta.config.three_star, 'negative');
  assert.equal(withMeta.config.max_prompt_chars, 500);
  assert.equal(withMeta.config.split, 'paper_80_10_10');
  assert.equal(withMeta.template.name, 'id_name');
  assert.equal(newDataConfig(run, { data: 'New_5.json.gz' }).config.join, 'left');
  const every = newDataConfig(run, { data: 'New_5.json.gz', meta: 'm.json.gz', domain: 'Mine' }, true);
  assert.deepEqual([every.config.sources[0]!.domain, every.config.join, every.config.three_star, every.config.dedupe], ['Mine', 'left', 'negative', false]);
});

test('a YAML with a data: block takes no file flags', () => {
  assert.throws(() => newDataConfig(run, { data: 'new.yaml', meta: 'm.json.gz' }), /--meta apply to a data file/);
});
