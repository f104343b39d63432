/**
 * `unictr train --backend webgpu` end to end on the tiny config (one epoch, batch 256 so lavapipe
 * runs few steps): it trains and evaluates, names the adapter, and its first step's loss (computed
 * before any update) matches the same run on wasm. Gated like the parity tests.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../helpers/cli.js';
import { requireWebgpu, webgpuGate } from '../helpers/webgpu.js';

const gate = await webgpuGate();
const tmp = mkdtempSync(path.join(os.tmpdir(), 'unictr-webgpu-train-'));
const SMALL = ['--config', 'experiments/tiny.yaml', '--set', 'train.epochs=1', '--set', 'train.batch_size=256'];

function train(backend: string): { stderr: string; steps: { loss: number }[]; metrics: { test: Record<string, { auc: number }> } } {
  const out = path.join(tmp, backend);
  const r = runCli(['train', '--backend', backend, ...SMALL, '--out', out], { timeoutMs: 900_000 });
  assert.equal(r.code, 0, r.stderr);
  const steps = readFileSync(path.join(out, 'log.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { event: string; loss: number })
    .filter((e) => e.event === 'step');
  return { stderr: r.stderr, steps, metrics: JSON.parse(readFileSync(path.join(out, 'metrics.json'), 'utf8')) };
}

test('unictr train --backend webgpu trains and evaluates the tiny config', gate.options, () => {
  requireWebgpu(gate);
  const gpu = train('webgpu');
  assert.match(gpu.stderr, /backend: webgpu on adapter /);
  const domains = Object.keys(gpu.metrics.test);
  assert.deepEqual(domains.sort(), ['Synthetic A', 'Synthetic B', 'Synthetic C']);
  for (const d of domains) assert.ok(gpu.metrics.test[d]!.auc > 0 && gpu.metrics.test[d]!.auc < 1, `${d} AUC ${gpu.metrics.test[d]!.auc}`);
  assert.ok(gpu.steps.length >= 2 && gpu.steps.every((s) => Number.isFinite(s.loss)));
  const cpu = train('wasm');
  assert.equal(gpu.steps.length, cpu.steps.length);
  const [a, b] = [gpu.steps[0]!.loss, cpu.steps[0]!.loss];
  assert.ok(Math.abs(a - b) <= 1e-4 * (1 + Math.abs(b)), `first-step loss webgpu ${a} vs wasm ${b}`);
});
