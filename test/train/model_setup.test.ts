/** The backbone the trainer builds for an experiment takes the experiment's seed. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { initBackend } from '../../src/runtime/backend.js';
import { loadExperiment } from '../../src/train/experiment.js';
import { createRunBackbone } from '../../src/train/model_setup.js';
import { ROOT } from '../helpers/cli.js';

await initBackend({ backend: 'cpu' });

async function loraA(seed: number): Promise<Map<string, Float32Array>> {
  const { config } = loadExperiment(path.join(ROOT, 'experiments/tiny.yaml'), ['backbone.tuning=lora', `seed=${seed}`]);
  const bb = await createRunBackbone(config);
  try {
    const out = new Map<string, Float32Array>();
    for (const [k, v] of bb.namedVariables()) if (k.endsWith('lora_A')) out.set(k, Float32Array.from(v.dataSync() as Float32Array));
    return out;
  } finally {
    bb.dispose();
  }
}

test('the experiment seed seeds LoRA initialisation: same seed, same A; other seed, other A', async () => {
  const a = await loraA(11);
  const again = await loraA(11);
  const b = await loraA(12);
  assert.ok(a.size > 0, 'the tiny backbone has LoRA A matrices');
  for (const [k, v] of a) {
    assert.deepEqual(Array.from(again.get(k)!), Array.from(v), `${k}: same seed`);
    assert.notDeepEqual(Array.from(b.get(k)!), Array.from(v), `${k}: other seed`);
  }
});
