/**
 * STAR: domain k's network uses W_shared ⊙ W_k and b_shared + b_k in every layer, and the
 * auxiliary network's logit (domain embedding k + features) is added.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../src/runtime/backend.js';
import { STAR, STAROptions } from '../../../src/model/zoo/star.js';
import { Rng } from '../../../src/util/rng.js';
import { disposeBatch, flatFeatures, makeSynthetic, toBatch } from './helpers.js';

before(async () => {
  await initBackend({ backend: 'cpu' });
});

test('STAR logits equal a manual star-topology forward plus the auxiliary logit', () => {
  const data = makeSynthetic(4, { rows: 12, domains: 2 });
  const model = new STAR(
    { vocab: data.vocab, domains: ['a', 'b'], seed: 9 },
    STAROptions.parse({ embedding_dim: 4, star_hidden_units: [6, 5], aux_hidden_units: [3], embedding_init_std: 0.5 }),
  );
  const v = model.namedVariables();
  // Domain kernels start at 1; give them distinct random values so the product matters.
  const rng = new Rng(1);
  for (const [name, t] of v) {
    if (/\.domain\.\d\.(kernel|bias)$/.test(name)) t.assign(tf.tensor(Float32Array.from({ length: t.size }, () => 1 + 0.5 * rng.normal()), t.shape));
  }
  const batch = toBatch(data, Int32Array.from({ length: 12 }, (_, i) => i));
  tf.tidy(() => {
    const x = flatFeatures(model, batch);
    const g = (n: string) => v.get(n)!;
    for (let k = 0; k < 2; k++) {
      let h: tf.Tensor = x;
      for (let l = 0; l < 3; l++) {
        const w = tf.mul(g(`star.${l}.shared.kernel`), g(`star.${l}.domain.${k}.kernel`));
        const b = tf.add(g(`star.${l}.shared.bias`), g(`star.${l}.domain.${k}.bias`));
        h = tf.add(tf.matMul(h as tf.Tensor2D, w as tf.Tensor2D), b);
        if (l < 2) h = tf.relu(h);
      }
      const dom = tf.tile(tf.slice(g('domain_embedding'), [k, 0], [1, -1]), [12, 1]);
      let a: tf.Tensor = tf.concat([dom, x], 1);
      a = tf.relu(tf.add(tf.matMul(a as tf.Tensor2D, g('aux.0.kernel') as tf.Tensor2D), g('aux.0.bias')));
      a = tf.add(tf.matMul(a as tf.Tensor2D, g('aux.1.kernel') as tf.Tensor2D), g('aux.1.bias'));
      const expected = tf.reshape(tf.add(h, a), [-1]);
      const got = model.forward(batch, { training: false, head: k }).logits;
      const diff = tf.max(tf.abs(tf.sub(got, expected))).dataSync()[0]!;
      assert.ok(diff < 1e-4, `domain ${k}: max |diff| ${diff}`);
    }
  });
  disposeBatch(batch);
  model.dispose();
});

test('partitioned normalization: own-domain batch statistics in training, own running statistics after', async () => {
  const { PartitionedNorm } = await import('../../../src/model/zoo/star.js');
  const { VariableStore } = await import('../../../src/model/layers/variable_store.js');
  const store = new VariableStore(new Rng(2));
  const pn = new PartitionedNorm(store, 3, 2);
  const rng = new Rng(5);
  const dom = [0, 1, 0, 1, 1, 0, 0];
  const xs = dom.map(() => [rng.normal() * 3 + 1, rng.normal()]);
  const dg = [[1.5, 0.5], [2, -1], [1, 1]];
  const db = [[0.1, 0.2], [-0.3, 0], [0, 0]];
  pn.domainGamma.assign(tf.tensor2d(dg));
  pn.domainBeta.assign(tf.tensor2d(db));
  const x = tf.tensor2d(xs);
  const ind = tf.oneHot(tf.tensor1d(dom, 'int32'), 3).toFloat() as tf.Tensor2D;
  const out = tf.tidy(() => pn.apply(x, ind, true).arraySync());
  const stats = [0, 1].map((k) => {
    const rows = xs.filter((_, i) => dom[i] === k);
    const mean = [0, 1].map((c) => rows.reduce((s, r) => s + r[c]!, 0) / rows.length);
    const v = [0, 1].map((c) => rows.reduce((s, r) => s + (r[c]! - mean[c]!) ** 2, 0) / rows.length);
    return { n: rows.length, mean, v };
  });
  out.forEach((row, i) => {
    const k = dom[i]!;
    row.forEach((got, c) => {
      const want = ((xs[i]![c]! - stats[k]!.mean[c]!) / Math.sqrt(stats[k]!.v[c]! + 1e-5)) * dg[k]![c]! + db[k]![c]!;
      assert.ok(Math.abs(got - want) < 1e-4, `row ${i} col ${c}: ${got} vs ${want}`);
    });
  });
  const mm = pn.movingMean.arraySync() as number[][];
  const mv = pn.movingVariance.arraySync() as number[][];
  for (const k of [0, 1]) {
    const { n, mean, v } = stats[k]!;
    mean.forEach((m, c) => assert.ok(Math.abs(mm[k]![c]! - 0.1 * m) < 1e-5, 'moving mean'));
    v.forEach((vv, c) => assert.ok(Math.abs(mv[k]![c]! - (0.9 + 0.1 * vv * (n / (n - 1)))) < 1e-4, 'moving variance'));
  }
  assert.deepEqual(mm[2], [0, 0], 'absent domain keeps its running mean');
  assert.deepEqual(mv[2], [1, 1], 'absent domain keeps its running variance');
  // Evaluation with head 1 for every row: domain 1's running statistics and parameters.
  const head1 = tf.tidy(() => pn.apply(x, tf.oneHot(tf.fill([7], 1, 'int32') as tf.Tensor1D, 3).toFloat() as tf.Tensor2D, false).arraySync());
  head1.forEach((row, i) =>
    row.forEach((got, c) => {
      const want = ((xs[i]![c]! - mm[1]![c]!) / Math.sqrt(mv[1]![c]! + 1e-5)) * dg[1]![c]! + db[1]![c]!;
      assert.ok(Math.abs(got - want) < 1e-4, `eval row ${i} col ${c}`);
    }),
  );
  tf.dispose([x, ind]);
  store.dispose();
});
