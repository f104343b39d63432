/**
 * Uni-CTR learns: on synthetic states whose label depends on one token's feature (placed at a
 * random real position, with padding filled with decoys), held-out AUC rises above 0.8.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../src/runtime/backend.js';
import { Rng } from '../../../src/util/rng.js';
import { maskedBceLoss } from '../../../src/model/unictr/loss.js';
import { D, disposeBatch, makeBatch, maskArray, rankAuc, tinyModel } from './helpers.js';

before(async () => {
  await initBackend({ backend: 'cpu' });
});

const T = 6;

/** Positives carry +3 on feature 0 at one real token; padded tokens always carry the signal as a decoy. */
function synth(rng: Rng, n: number, numStates: number) {
  const labels = Array.from({ length: n }, () => (rng.next() < 0.5 ? 1 : 0));
  const lengths = Array.from({ length: n }, () => 2 + rng.int(T - 1));
  const base = new Float32Array(n * T * D);
  for (let i = 0; i < base.length; i++) base[i] = rng.normal() * 0.5;
  for (let i = 0; i < n; i++) {
    if (labels[i]) base[(i * T + rng.int(lengths[i]!)) * D] += 3;
    for (let j = lengths[i]!; j < T; j++) base[(i * T + j) * D] += 2;
  }
  const layers = Array.from({ length: numStates }, (_, s) => base.map((v) => v + (s ? rng.normal() * 0.1 : 0)));
  const domains = Array.from({ length: n }, () => rng.int(2));
  return { labels, lengths, layers, domains, n };
}

function toBatch(s: ReturnType<typeof synth>) {
  return makeBatch(s.domains, {
    layers: s.layers.map((a) => tf.tensor3d(a, [s.n, T, D])),
    mask: tf.tensor2d(maskArray(s.lengths, T), [s.n, T]),
  });
}

test('held-out AUC > 0.8 after a few dozen Adam steps', () => {
  const model = tinyModel(['A', 'B'], { tower_hidden: [16, 8] }, 3);
  const rng = new Rng(17);
  const train = synth(rng, 256, model.stateLayers.length);
  const valid = synth(rng, 200, model.stateLayers.length);
  const vb = toBatch(valid);
  const auc = () =>
    tf.tidy(() => {
      const o = model.forward(vb, { training: false });
      return [rankAuc(o.logits.dataSync(), valid.labels), rankAuc(o.auxLogits![0]!.dataSync(), valid.labels)];
    });
  const [own0] = auc();
  const opt = tf.train.adam(0.01);
  const fwdRng = new Rng(1);
  for (let epoch = 0; epoch < 10; epoch++) {
    for (let start = 0; start < train.n; start += 64) {
      const idx = Array.from({ length: 64 }, (_, k) => start + k);
      const part = {
        n: 64,
        labels: idx.map((i) => train.labels[i]!),
        lengths: idx.map((i) => train.lengths[i]!),
        domains: idx.map((i) => train.domains[i]!),
        layers: train.layers.map((a) => a.slice(start * T * D, (start + 64) * T * D)),
      };
      const b = toBatch(part);
      const y = tf.tensor1d(part.labels);
      opt.minimize(() => maskedBceLoss(model.forward(b, { training: true, rng: fwdRng }), y), false, model.trainableVariables());
      y.dispose();
      disposeBatch(b);
    }
  }
  const [own, general] = auc();
  if (process.env.UNICTR_TEST_VERBOSE) console.log(`AUC own ${own}, general ${general}, before ${own0}`);
  assert.ok(own! > 0.8, `own-domain AUC ${own} (before training ${own0})`);
  assert.ok(general! > 0.8, `general AUC ${general}`);
  opt.dispose();
  disposeBatch(vb);
  model.dispose();
});
