/**
 * `unictr train` with the tiny LLaMA folder and LoRA (experiments/tiny-llama.yaml): the run
 * completes, scores its test domain, and the checkpoint holds the trained q_proj/v_proj adapters.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, runCli } from '../helpers/cli.js';
import { loadCheckpoint } from '../../src/train/checkpoint.js';

test('unictr train runs Uni-CTR on a LLaMA folder with LoRA', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'unictr-llama-'));
  try {
    const run = path.join(tmp, 'run');
    const r = runCli([
      'train', '--config', path.join(ROOT, 'experiments/tiny-llama.yaml'), '--out', run, '--backend', 'wasm',
      '--set', `dataset_dir=${path.join(tmp, 'data')}`,
      '--set', 'domains.train=[Synthetic A]',
      '--set', 'domains.zero_shot=[]',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr + r.stdout, /backbone tuning "lora": states are computed live/);
    const m = JSON.parse(readFileSync(path.join(run, 'metrics.json'), 'utf8'));
    assert.deepEqual(Object.keys(m.test), ['Synthetic A']);
    const ck = loadCheckpoint(path.join(run, 'checkpoints/model/best'));
    const names = Object.keys(ck.variables);
    for (const n of ['layers.0.self_attn.q_proj.lora_A', 'layers.1.self_attn.v_proj.lora_B']) {
      assert.ok(names.some((k) => k.endsWith(n)), `checkpoint lacks ${n}: ${names.filter((k) => k.includes('lora')).join(', ')}`);
    }
    // LoRA B starts at zero; one epoch of training moves it.
    const b = ck.variables['backbone.layers.1.self_attn.v_proj.lora_B']!;
    assert.deepEqual(b.shape, [4, 32]);
    assert.ok(b.values.some((x) => x !== 0));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
