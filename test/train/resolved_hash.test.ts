/**
 * resolvedHash: equal for two YAMLs that resolve to the same settings (a default written out or
 * left implicit), different when a resolved value differs, blind to the machine's paths.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateExperiment } from '../../src/train/experiment.js';
import { resolvedHash } from '../../src/train/resolved_hash.js';

const base = (model: Record<string, unknown>) => ({
  dataset_dir: 'runs/data/x',
  domains: { train: ['a', 'b'] },
  model,
  backbone: { kind: 'use-lite', cache_dir: '/tmp/one' },
  train: { epochs: 2 },
});
const hashes = (raw: Record<string, unknown>) => {
  const loaded = validateExperiment(raw, 'test.yaml');
  return { config: loaded.hash, resolved: resolvedHash(loaded.config, 'test.yaml') };
};

test('resolvedHash sees defaults that the config hash cannot', () => {
  const implicit = hashes(base({ name: 'inttower' }));
  const explicit = hashes(base({ name: 'inttower', cir_weight: 0.004 }));
  const other = hashes(base({ name: 'inttower', cir_weight: 1 }));
  assert.notEqual(implicit.config, explicit.config, 'the YAML differs');
  assert.equal(implicit.resolved, explicit.resolved, 'the settings do not');
  assert.notEqual(implicit.resolved, other.resolved);
  // The train block resolved: batch_size left at its default vs written out.
  assert.equal(hashes(base({ name: 'dnn' })).resolved, hashes({ ...base({ name: 'dnn' }), train: { epochs: 2, batch_size: 32 } }).resolved);
  assert.notEqual(hashes(base({ name: 'dnn' })).resolved, hashes({ ...base({ name: 'dnn' }), train: { epochs: 3 } }).resolved);
  // Where the state cache lives is not a setting of the run.
  const moved = hashes({ ...base({ name: 'dnn' }), backbone: { kind: 'use-lite', cache_dir: '/elsewhere' } });
  assert.equal(moved.resolved, hashes(base({ name: 'dnn' })).resolved);
});
