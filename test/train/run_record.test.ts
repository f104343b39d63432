/**
 * What a run folder records beside metrics: package versions read from disk (packages with an
 * exports map included), per-step losses from log.jsonl, and the two-panel training curve.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { installedVersion, readStepLosses } from '../../src/train/run_folder.js';
import { runCurveSvg } from '../../src/train/plot.js';
import { formatEta } from '../../src/train/progress.js';
import { ROOT } from '../helpers/cli.js';

test('package versions come from package.json on disk, also behind an exports map', () => {
  for (const name of ['apache-arrow', '@huggingface/transformers', '@tensorflow/tfjs-core']) {
    const expected = (JSON.parse(readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
    assert.equal(installedVersion(name), expected, name);
  }
  assert.equal(installedVersion('no-such-package-here'), null);
});

test('step losses: the later line wins for a step redone after a resume; cut lines are skipped', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'unictr-log-'));
  try {
    const file = path.join(dir, 'log.jsonl');
    const lines = [
      { event: 'step', step: 1, loss: 0.9 },
      { event: 'step', step: 2, loss: 0.8 },
      { event: 'epoch', epoch: 1, train_loss: 0.85 },
      { event: 'step', step: 2, loss: 0.7, lr: 0.001 },
      { event: 'step', model: 'Synthetic A', step: 1, loss: 0.5 },
    ].map((e) => JSON.stringify(e));
    writeFileSync(file, lines.join('\n') + '\n{"event":"step","st');
    assert.deepEqual(readStepLosses(file), [
      { step: 1, loss: 0.9 },
      { step: 2, loss: 0.7, lr: 0.001 },
      { model: 'Synthetic A', step: 1, loss: 0.5 },
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('training curve: two panels with labelled axes, per-domain AUC lines and the best epoch marked', () => {
  const epochs = {
    model: [1, 2, 3].map((e) => ({
      epoch: e,
      train_loss: 1 / e,
      valid_auc: [0.6, 0.72, 0.7][e - 1]!,
      valid_auc_by_domain: { 'Domain A': 0.5 + e / 20, 'Domain B': 0.8 - e / 50 },
      lr: 1e-3,
      seconds: 1,
    })),
  };
  const steps = Array.from({ length: 30 }, (_, i) => ({ step: i + 1, loss: 1.2 - i / 40 }));
  const svg = runCurveSvg({ title: 'demo', epochs, steps });
  assert.equal((svg.match(/<g class="panel">/g) ?? []).length, 2);
  for (const label of ['optimizer step', 'training loss (BCE)', 'epoch', 'validation AUC', 'Domain A', 'Domain B', 'overall (monitored)', 'best epoch 2', 'loss per step', 'mean loss per epoch']) {
    assert.ok(svg.includes(`>${label}<`), label);
  }
  // 30 per-step points in one polyline; the epoch means sit at steps 10, 20, 30.
  const lossLine = /data-name="loss per step">\n<polyline [^>]*points="([^"]+)"/.exec(svg)!;
  assert.equal(lossLine[1]!.split(' ').length, 30);
  assert.equal(runCurveSvg({ title: 'demo', epochs, steps }), svg, 'deterministic');
});

test('ETA text', () => {
  assert.equal(formatEta(8.4), '8s');
  assert.equal(formatEta(75), '1m15s');
  assert.equal(formatEta(3 * 3600 + 120), '3h02m');
  assert.equal(formatEta(NaN), '-');
});
