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
