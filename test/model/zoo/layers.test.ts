/** Interaction layers against plain-loop reference computations, the loss, and memory hygiene. */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../src/runtime/backend.js';
import {
  BilinearInteraction,
  CompressedInteractionNet,
  CrossNet,
  FeatureEmbedding,
  fmSecondOrder,
  innerProductPairs,
  MultiHeadSelfAttention,
  SqueezeExcitation,
  VariableStore,
} from '../../../src/model/layers/index.js';
import { bceWithLogits } from '../../../src/model/loss.js';
import { MODEL_ZOO } from '../../../src/model/zoo/index.js';
import { Rng } from '../../../src/util/rng.js';
import { disposeBatch, makeSynthetic, SMALL_OPTIONS, toBatch } from './helpers.js';

before(async () => {
  await initBackend({ backend: 'cpu' });
});

type A3 = number[][][];
const B = 3;
const F = 4;
const D = 3;

function randomInput(seed: number, shape: number[]): tf.Tensor {
  const r = new Rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: n }, () => r.normal()), shape);
}

function near(actual: number[] | number, expected: number[] | number, msg: string, tol = 1e-4): void {
  const a = ([] as number[]).concat(actual).flat(3);
  const e = ([] as number[]).concat(expected).flat(3);
  assert.equal(a.length, e.length, `${msg}: length`);
  a.forEach((v, i) => assert.ok(Math.abs(v - e[i]!) <= tol * (1 + Math.abs(e[i]!)), `${msg}[${i}]: ${v} vs ${e[i]}`));
}

const dot = (u: number[], v: number[]) => u.reduce((s, x, i) => s + x * v[i]!, 0);
const matvec = (v: number[], w: number[][]) => w[0]!.map((_, j) => v.reduce((s, x, i) => s + x * w[i]![j]!, 0));

test('FM second order and inner products equal the pairwise sums', () => {
  const x = randomInput(1, [B, F, D]) as tf.Tensor3D;
  const v = x.arraySync() as A3;
  const pairs = v.map((s) => {
    const out: number[] = [];
    for (let i = 0; i < F; i++) for (let j = i + 1; j < F; j++) out.push(dot(s[i]!, s[j]!));
    return out;
  });
  near(innerProductPairs(x).arraySync() as number[][] as unknown as number[], pairs.flat(), 'inner products');
  near(fmSecondOrder(x).arraySync(), pairs.map((p) => p.reduce((a, b) => a + b, 0)), 'fm');
  x.dispose();
});

test('CrossNet, CIN, bilinear, SENET and self-attention match loop references', () => {
  const store = new VariableStore(new Rng(3));
  const x = randomInput(2, [B, F, D]) as tf.Tensor3D;
  const v = x.arraySync() as A3;
  const named = () => store.named();
  const arr = (name: string) => named().get(name)!.arraySync() as number[][];

  // Cross: x_{l+1} = x0 (x_l·w) + b + x_l
  const cross = new CrossNet(store.scope('cross'), F * D, 2);
  const flat = v.map((s) => s.flat());
  const crossRef = flat.map((x0) => {
    let xl = x0;
    for (let l = 0; l < 2; l++) {
      const w = arr(`cross.${l}.weight`).map((r) => r[0]!);
      const b = named().get(`cross.${l}.bias`)!.arraySync() as number[];
      const s = dot(xl, w);
      xl = x0.map((x0i, i) => x0i * s + b[i]! + xl[i]!);
    }
    return xl;
  });
  near(tf.tidy(() => cross.apply(tf.reshape(x, [B, F * D]) as tf.Tensor2D).arraySync()).flat(), crossRef.flat(), 'cross');

  // CIN with layers [2, 3]: Z^{k}_{h,d} = Σ_{i,j} W_{(i·H+j), h} x0_{i,d} x^{k−1}_{j,d} + b_h; pooled Σ_d.
  const cin = new CompressedInteractionNet(store.scope('cin'), F, [2, 3]);
  const cinRef = v.map((x0) => {
    let xk = x0;
    const pooled: number[] = [];
    for (const [l, h] of [2, 3].entries()) {
      const w = arr(`cin.${l}.kernel`);
      const b = named().get(`cin.${l}.bias`)!.arraySync() as number[];
      const next = Array.from({ length: h }, (_, o) =>
        Array.from({ length: D }, (_, d) => {
          let s = b[o]!;
          for (let i = 0; i < F; i++) for (let j = 0; j < xk.length; j++) s += w[i * xk.length + j]![o]! * x0[i]![d]! * xk[j]![d]!;
          return s;
        }),
      );
      next.forEach((row) => pooled.push(row.reduce((a, c) => a + c, 0)));
      xk = next;
    }
    return pooled;
  });
  near(tf.tidy(() => cin.apply(x).arraySync()).flat(), cinRef.flat(), 'cin', 1e-3);

  // Bilinear, one matrix per pair: p_ij = (v_i W_ij) ⊙ v_j
  const bil = new BilinearInteraction(store.scope('bil'), F, D, 'field_interaction');
  const bilRef = v.map((s) => {
    const out: number[][] = [];
    for (let i = 0; i < F; i++) for (let j = i + 1; j < F; j++) out.push(matvec(s[i]!, arr(`bil.weight.${i}_${j}`)).map((a, k) => a * s[j]![k]!));
    return out;
  });
  near(tf.tidy(() => bil.apply(x).arraySync()).flat(3), bilRef.flat(2), 'bilinear');
  const each = new BilinearInteraction(store.scope('each'), F, D, 'field_each');
  const eachRef = v.map((s) => {
    const out: number[][] = [];
    for (let i = 0; i < F; i++) for (let j = i + 1; j < F; j++) out.push(matvec(s[i]!, arr(`each.weight.${i}`)).map((a, k) => a * s[j]![k]!));
    return out;
  });
  near(tf.tidy(() => each.apply(x).arraySync()).flat(3), eachRef.flat(2), 'bilinear field_each');

  // SENET: a = relu(relu(mean_d(x)·W1)·W2), out = x ⊙ a
  const se = new SqueezeExcitation(store.scope('se'), F, 2);
  const seRef = v.map((s) => {
    const z = s.map((f) => f.reduce((a, c) => a + c, 0) / D);
    const a = matvec(matvec(z, arr('se.squeeze.kernel')).map((t) => Math.max(0, t)), arr('se.excite.kernel')).map((t) => Math.max(0, t));
    return s.map((f, i) => f.map((c) => c * a[i]!));
  });
  near(tf.tidy(() => se.apply(x).arraySync()).flat(3), seRef.flat(2), 'senet');

  // Self-attention over fields, 2 heads of width 2, residual, ReLU.
  const att = new MultiHeadSelfAttention(store.scope('att'), { inputDim: D, attentionDim: 4, numHeads: 2 });
  const attRef = v.map((s) => {
    const proj = (name: string) => s.map((f) => matvec(f, arr(`att.${name}`)));
    const [q, k, val, res] = ['query', 'key', 'value', 'residual'].map(proj) as number[][][];
    return s.map((_, i) => {
      const out = res![i]!.slice();
      for (let h = 0; h < 2; h++) {
        const sl = (u: number[]) => u.slice(h * 2, h * 2 + 2);
        const sc = k!.map((kj) => dot(sl(q![i]!), sl(kj)));
        const mx = Math.max(...sc);
        const ex = sc.map((t) => Math.exp(t - mx));
        const z = ex.reduce((a, c) => a + c, 0);
        for (let c = 0; c < 2; c++) out[h * 2 + c]! += ex.reduce((acc, e, j) => acc + (e / z) * val![j]![h * 2 + c]!, 0);
      }
      return out.map((t) => Math.max(0, t));
    });
  });
  near(tf.tidy(() => att.apply(x).arraySync()).flat(3), attRef.flat(2), 'self-attention');
  x.dispose();
  store.dispose();
});

test('FeatureEmbedding: history is the mean of non-padding items, zeros when empty; gradients reach the tables', () => {
  const store = new VariableStore(new Rng(4));
  const vocab = { user: 3, item: 5, brand: 2, title: 2, price_bucket: 101 };
  const emb = new FeatureEmbedding(store.scope('embedding'), vocab, { dim: 2, initStd: 1 });
  const item = store.named().get('embedding.item')!.arraySync() as number[][];
  const history = tf.tensor2d([[1, 3, 0, 0, 0], [0, 0, 0, 0, 0]], [2, 5], 'int32');
  const h = tf.tidy(() => emb.history(history).arraySync());
  near(h[0]!, [0, 1].map((c) => (item[1]![c]! + item[3]![c]!) / 2), 'mean of items 1 and 3');
  near(h[1]!, [0, 0], 'empty history');
  const { grads } = tf.variableGrads(() => tf.sum(emb.history(history)) as tf.Scalar, [emb.tables.item]);
  // d/d item[1] = d/d item[3] = 1/2 per component; padding row 0 gets nothing.
  near(grads[emb.tables.item.name]!.arraySync() as unknown as number[], [[0, 0], [0.5, 0.5], [0, 0], [0.5, 0.5], [0, 0]].flat(), 'grad');
  tf.dispose([history, ...Object.values(grads)]);
  store.dispose();
});

test('bceWithLogits matches the textbook formula and has gradient (σ(x) − y)/n, also at x = 0', () => {
  const xs = [-30, -2, 0, 0, 0.5, 40];
  const ys = [0, 1, 1, 0, 0, 1];
  const ref = xs.reduce((s, x, i) => {
    const p = 1 / (1 + Math.exp(-x));
    return s - (ys[i]! ? Math.log(Math.max(p, 1e-300)) : Math.log(Math.max(1 - p, 1e-300)));
  }, 0) / xs.length;
  const x = tf.tensor1d(xs);
  const y = tf.tensor1d(ys);
  near(tf.tidy(() => bceWithLogits(x, y).dataSync()[0]!), ref, 'loss');
  const g = tf.grad((t: tf.Tensor) => bceWithLogits(t, y))(x);
  near(Array.from(g.dataSync()), xs.map((v, i) => (1 / (1 + Math.exp(-v)) - ys[i]!) / xs.length), 'gradient');
  tf.dispose([x, y, g]);
});

test('no model leaks tensors across repeated forward calls (train and eval)', () => {
  const data = makeSynthetic(9, { rows: 16, domains: 2 });
  const rows = Int32Array.from({ length: 16 }, (_, i) => i);
  const batch = toBatch(data, rows);
  for (const [name, entry] of Object.entries(MODEL_ZOO)) {
    const domains = entry.kind === 'single' ? ['a'] : ['a', 'b'];
    const model = entry.create({ vocab: data.vocab, domains, seed: 1, options: SMALL_OPTIONS[name] });
    const rng = new Rng(1);
    // tidy keeps what its function returns, so the outputs are dropped explicitly.
    tf.tidy(() => {
      model.forward(batch, { training: true, rng });
    });
    const n0 = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      const kept = tf.tidy(() => {
        const o = model.forward(batch, { training: true, rng });
        return [o.logits, ...(o.auxLogits ?? [])];
      });
      tf.dispose(kept);
      tf.tidy(() => {
        model.forward(batch, { training: false });
      });
    }
    assert.equal(tf.memory().numTensors, n0, `${name} leaked`);
    const out = tf.tidy(() => model.forward(batch, { training: false }).logits);
    assert.deepEqual(out.shape, [16], name);
    assert.ok(Array.from(out.dataSync()).every(Number.isFinite), `${name}: finite logits`);
    out.dispose();
    model.dispose();
  }
  disposeBatch(batch);
});
