/** DIEN against a plain-loop reference: interest GRU, attention over real steps, AUGRU, MLP. */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../src/runtime/backend.js';
import { DIEN, DIENOptions } from '../../../src/model/zoo/dien.js';
import { disposeBatch, makeSynthetic, toBatch } from './helpers.js';

before(async () => {
  await initBackend({ backend: 'cpu' });
});

const sig = (x: number) => 1 / (1 + Math.exp(-x));
const vecMat = (v: number[], w: number[][]) => w[0]!.map((_, j) => v.reduce((s, x, i) => s + x * w[i]![j]!, 0));

test('DIEN logits equal a loop implementation, padding steps ignored, empty history → zero interest', () => {
  const data = makeSynthetic(12, { rows: 6 });
  // Row 0: full history; row 1: two items; row 2: empty.
  data.features.history.set([3, 7, 1, 9, 4], 0);
  data.features.history.set([5, 2, 0, 0, 0], 5);
  data.features.history.set([0, 0, 0, 0, 0], 10);
  const H = 3;
  const D = 4;
  const model = new DIEN({ vocab: data.vocab, domains: ['a'], seed: 5 }, DIENOptions.parse({ embedding_dim: D, gru_units: H, hidden_units: [5], embedding_init_std: 0.5, aux_loss: false }));
  const v = new Map([...model.namedVariables()].map(([k, t]) => [k, t.arraySync() as number[][]]));
  const g = (k: string) => v.get(k)!;
  const gru = (prefix: string, x: number[], h: number[], gate: number) => {
    const gx = vecMat(x, g(`${prefix}.input.kernel`)).map((a, i) => a + (g(`${prefix}.bias`) as unknown as number[])[i]!);
    const gh = vecMat(h, g(`${prefix}.recurrent.kernel`));
    return h.map((hj, j) => {
      const u = sig(gx[j]! + gh[j]!) * gate;
      const r = sig(gx[H + j]! + gh[H + j]!);
      const c = Math.tanh(gx[2 * H + j]! + r * gh[2 * H + j]!);
      return hj + u * (c - hj);
    });
  };
  const rows = [0, 1, 2, 3, 4, 5];
  const batch = toBatch(data, rows);
  const got = tf.tidy(() => model.forward(batch, { training: false }).logits.arraySync());
  rows.forEach((r) => {
    const f = data.features;
    const hist = Array.from(f.history.subarray(r * 5, r * 5 + 5));
    const target = g('embedding.item')[f.itemId[r]!]!;
    let h = [0, 0, 0];
    const states: number[][] = [];
    for (const id of hist) {
      h = gru('interest_gru', g('embedding.item')[id]!, h, id > 0 ? 1 : 0);
      states.push(h);
    }
    const q = g('attention.kernel').map((row) => row.reduce((s, a, c) => s + a * target[c]!, 0));
    const scores = states.map((s) => s.reduce((acc, x, j) => acc + x * q[j]!, 0));
    const real = hist.map((id) => id > 0);
    const mx = Math.max(...scores.filter((_, t) => real[t]), -Infinity);
    const ex = scores.map((s, t) => (real[t] ? Math.exp(s - mx) : 0));
    const z = ex.reduce((a, b) => a + b, 0);
    let e = [0, 0, 0];
    states.forEach((s, t) => (e = gru('evolving_gru', s, e, z > 0 ? ex[t]! / z : 0)));
    if (r === 2) assert.deepEqual(e, [0, 0, 0]);
    const x = [
      ...g('embedding.user')[f.userId[r]!]!,
      ...target,
      ...g('embedding.brand')[f.brandId[r]!]!,
      ...g('embedding.title')[f.titleId[r]!]!,
      ...g('embedding.price_bucket')[f.priceBucket[r]!]!,
      ...e,
    ];
    const h1 = vecMat(x, g('mlp.0.kernel')).map((a, i) => Math.max(0, a + (g('mlp.0.bias') as unknown as number[])[i]!));
    const logit = vecMat(h1, g('mlp.1.kernel'))[0]! + (g('mlp.1.bias') as unknown as number[])[0]!;
    assert.ok(Math.abs(got[r]! - logit) < 1e-4, `row ${r}: ${got[r]} vs ${logit}`);
  });
  disposeBatch(batch);
  model.dispose();
});
