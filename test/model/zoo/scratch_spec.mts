import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../src/runtime/backend.js';
import { MODEL_ZOO } from '../../../src/model/zoo/index.js';
import { bceWithLogits } from '../../../src/model/loss.js';
import { Rng } from '../../../src/util/rng.js';
import { disposeBatch, makeSynthetic, toBatch } from './helpers.js';
await initBackend({ backend: 'wasm' });
const data = makeSynthetic(7, { rows: 2048, users: 3299, items: 1199, brands: 199, domains: 3 });
const vocab = { user: 3300, item: 1200, brand: 200, title: 1200, price_bucket: 101 };
const batch = toBatch(data, Int32Array.from({ length: 2048 }, (_, i) => i));
const y = tf.tensor1d(data.labels);
for (const name of process.argv.slice(2)) {
  const e = MODEL_ZOO[name]!;
  const m = e.create({ vocab, domains: e.kind === 'single' ? ['a'] : ['a', 'b', 'c'], seed: 1 });
  const opt = tf.train.adam(1e-3);
  const rng = new Rng(1);
  const step = () => { const c = opt.minimize(() => { const o = m.forward(batch, { training: true, rng }); let l = bceWithLogits(o.logits, y); for (const a of o.auxLogits ?? []) l = tf.add(l, bceWithLogits(a, y)) as tf.Scalar; return l; }, true, m.trainableVariables()); c!.dataSync(); c!.dispose(); };
  step();
  const t0 = performance.now();
  step(); step();
  const ts = (performance.now() - t0) / 2;
  const t1 = performance.now();
  tf.tidy(() => { m.forward(batch, { training: false }).logits.dataSync(); });
  console.log(`${name}: train step ${ts.toFixed(0)} ms, eval ${(performance.now() - t1).toFixed(0)} ms (batch 2048)`);
  opt.dispose(); m.dispose();
}
disposeBatch(batch);
