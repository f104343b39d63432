/**
 * Uni-CTR building blocks against plain-JS references: ladder layer selection, masked softmax,
 * the attention gate, masked self-attention, LayerNorm, BatchNorm (train vs inference, running
 * statistics under a gradient tape) and the stable BCE loss.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../src/runtime/backend.js';
import { Rng } from '../../../src/util/rng.js';
import { VariableStore } from '../../../src/model/layers/variable_store.js';
import { BatchNorm } from '../../../src/model/layers/batch_norm.js';
import { LayerNorm, layerNorm } from '../../../src/model/layers/layer_norm.js';
import { ladderLayers, stateLayers } from '../../../src/model/unictr/ladder.js';
import { maskedSoftmax } from '../../../src/model/unictr/masked_softmax.js';
import { AttentionGate, maskedMeanPool } from '../../../src/model/unictr/gate.js';
import { SelfAttention } from '../../../src/model/unictr/self_attention.js';
import { maskedBceLoss, sigmoidCrossEntropyWithLogits } from '../../../src/model/unictr/loss.js';
import { uniCtrConfig } from '../../../src/model/unictr/config.js';
import { UniCtr } from '../../../src/model/unictr/unictr.js';
import { maskArray, randn } from './helpers.js';

before(async () => {
  await initBackend({ backend: 'cpu' });
});

function close(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(a.length, b.length, `${what}: length`);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) <= tol * (1 + Math.abs(b[i]!)), `${what}[${i}]: ${a[i]} vs ${b[i]}`);
}

/** Row-major [r, c] matrix product in float64. */
function matmul(a: ArrayLike<number>, b: ArrayLike<number>, r: number, k: number, c: number): Float64Array {
  const out = new Float64Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) {
    let s = 0;
    for (let q = 0; q < k; q++) s += a[i * k + q]! * b[q * c + j]!;
    out[i * c + j] = s;
  }
  return out;
}

function softmaxMasked(s: number[], m: ArrayLike<number>): number[] {
  const real = s.map((v, i) => (m[i] ? v : -Infinity));
  const mx = Math.max(...real);
  const e = real.map((v) => (Number.isFinite(v) ? Math.exp(v - mx) : 0));
  const z = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / z);
}

test('ladderLayers and stateLayers follow K = floor(L/φ) + 1 and always include HL', () => {
  const cases: [number, number, number[], number[]][] = [
    [2, 1, [0, 1, 2], [0, 1, 2]],
    [2, 2, [0, 2], [0, 2]],
    [4, 3, [0, 3], [0, 3, 4]],
    [3, 5, [0], [0, 3]],
    [24, 2, Array.from({ length: 13 }, (_, i) => 2 * i), Array.from({ length: 13 }, (_, i) => 2 * i)],
    [5, 2, [0, 2, 4], [0, 2, 4, 5]],
  ];
  for (const [L, phi, ladder, states] of cases) {
    assert.deepEqual(ladderLayers(L, phi), ladder, `ladderLayers(${L}, ${phi})`);
    assert.equal(ladderLayers(L, phi).length, Math.floor(L / phi) + 1);
    assert.deepEqual(stateLayers(L, { ladder: 'bottleneck', ladder_frequency: phi }), states, `stateLayers(${L}, ${phi})`);
  }
  assert.deepEqual(stateLayers(4, { ladder: 'none', ladder_frequency: 2 }), [4]);
  assert.throws(() => ladderLayers(2, 0), /ladder_frequency/);
});

test('the model builds K blocks per branch and reads every state it asks for', () => {
  for (const [L, phi] of [[5, 2], [4, 3], [3, 1]] as const) {
    const cfg = uniCtrConfig({ ladder_frequency: phi, tower_hidden: [8] });
    const model = new UniCtr({ config: cfg, domains: ['A'], hiddenSize: 8, numLayers: L, seed: 1 });
    const K = Math.floor(L / phi) + 1;
    const names = [...model.namedVariables().keys()];
    assert.ok(names.includes(`dsn.0.ladder.${K - 1}.down.0.kernel`), `L=${L}, φ=${phi}: block ${K - 1} exists`);
    assert.ok(!names.includes(`dsn.0.ladder.${K}.down.0.kernel`), `L=${L}, φ=${phi}: no block ${K}`);
    // Changing any one state at real positions changes the logit: every listed layer is read.
    const rng = new Rng(L * 10 + phi);
    const n = 3;
    const t = 4;
    const base = model.stateLayers.map(() => randn(rng, n * t * 8));
    const mask = tf.tensor2d(maskArray([4, 2, 3], t), [n, t]);
    const run = (layers: Float32Array[]) =>
      tf.tidy(() =>
        Array.from(
          model
            .forward(
              { size: n, domainIndex: tf.tensor1d([0, 0, 0], 'int32'), states: { layers: layers.map((a) => tf.tensor3d(a, [n, t, 8])), mask } } as never,
              { training: false },
            )
            .logits.dataSync(),
        ),
      );
    const ref = run(base);
    model.stateLayers.forEach((_, i) => {
      const changed = base.map((a, j) => (j === i ? randn(rng, a.length) : a));
      const out = run(changed);
      assert.ok(out.some((v, r) => Math.abs(v - ref[r]!) > 1e-6), `state ${i} (H${model.stateLayers[i]}) is not read`);
    });
    mask.dispose();
    model.dispose();
  }
});

test('masked softmax: padded tokens get weight exactly 0, real ones sum to 1, all-padding rows pool to 0', () => {
  const s = tf.tensor2d([[1, 5, 300, -2], [0.5, 0.5, 0.5, 0.5], [3, 1, 2, 0]]);
  const m = tf.tensor2d([[1, 1, 0, 1], [1, 0, 0, 0], [0, 0, 0, 0]]);
  const w = maskedSoftmax(s, m).arraySync();
  assert.equal(w[0]![2], 0);
  close(w[0]!, softmaxMasked([1, 5, 300, -2], [1, 1, 0, 1]), 1e-6, 'row 0');
  assert.deepEqual(w[1], [1, 0, 0, 0]);
  assert.deepEqual(w[2], [0, 0, 0, 0]);
  tf.dispose([s, m]);
});

test('attention gate matches score_t = q·tanh(W x_t + b) with a softmax over real tokens', () => {
  const rng = new Rng(3);
  const store = new VariableStore(rng, 'gate.');
  const n = 3, t = 5, d = 6, h = 4;
  const gate = new AttentionGate(store, d, h);
  const named = store.named();
  // Non-zero bias so that b is part of the check.
  named.get('gate.proj.bias')!.assign(tf.tensor1d(randn(rng, h)));
  const x = randn(rng, n * t * d);
  const mask = maskArray([5, 2, 4], t);
  const xt = tf.tensor3d(x, [n, t, d]);
  const mt = tf.tensor2d(mask, [n, t]);
  const weights = gate.weights(xt, mt).arraySync();
  const pooled = gate.apply(xt, mt).arraySync();
  const W = named.get('gate.proj.kernel')!.dataSync();
  const b = named.get('gate.proj.bias')!.dataSync();
  const q = named.get('gate.query')!.dataSync();
  for (let i = 0; i < n; i++) {
    const scores: number[] = [];
    for (let j = 0; j < t; j++) {
      const row = x.subarray((i * t + j) * d, (i * t + j + 1) * d);
      const hid = matmul(row, W, 1, d, h);
      scores.push(hid.reduce((acc, v, c) => acc + q[c]! * Math.tanh(v + b[c]!), 0));
    }
    const wRef = softmaxMasked(scores, mask.subarray(i * t, (i + 1) * t));
    close(weights[i]!, wRef, 1e-5, `weights row ${i}`);
    const pRef = Array.from({ length: d }, (_, c) => wRef.reduce((acc, wj, j) => acc + wj * x[(i * t + j) * d + c]!, 0));
    close(pooled[i]!, pRef, 1e-5, `pooled row ${i}`);
  }
  const mean = maskedMeanPool(xt, mt).arraySync();
  close(mean[1]!, Array.from({ length: d }, (_, c) => (x[(t + 0) * d + c]! + x[(t + 1) * d + c]!) / 2), 1e-6, 'mean pool');
  tf.dispose([xt, mt]);
  store.dispose();
});

test('gate_query_init zeros: the gate starts as the masked mean over real tokens, and its query still learns', () => {
  const rng = new Rng(31);
  const [n, t, d] = [3, 5, 6];
  const x = tf.tensor3d(randn(rng, n * t * d, 3), [n, t, d]);
  const mask = tf.tensor2d(maskArray([5, 2, 4], t), [n, t]);
  const store = new VariableStore(new Rng(2), 'g.');
  const gate = new AttentionGate(store, d, 4, 'zeros');
  const query = [...store.named()].find(([k]) => k.endsWith('query'))![1];
  const pooled = gate.apply(x, mask);
  const mean = maskedMeanPool(x, mask);
  close(pooled.dataSync(), mean.dataSync(), 1e-5, 'pooled vs masked mean');
  const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(gate.apply(x, mask))) as tf.Scalar, [query]);
  const gq = grads[query.name]!;
  assert.ok(Math.max(...Array.from(gq.dataSync(), Math.abs)) > 1e-6, 'the zero query gets a gradient');
  const glorot = new AttentionGate(new VariableStore(new Rng(2), 'h.'), d, 4);
  const other = glorot.apply(x, mask);
  assert.ok(Array.from(other.dataSync()).some((v, i) => Math.abs(v - mean.dataSync()[i]!) > 1e-3), 'a Glorot query is not a plain mean');
  tf.dispose([x, mask, pooled, mean, other, value, ...Object.values(grads)]);
});

test('self-attention attends across the tokens of each sample only, with padded keys masked', () => {
  const rng = new Rng(4);
  const store = new VariableStore(rng, 'attn.');
  const n = 2, t = 4, w = 8, heads = 2, dh = w / heads;
  const attn = new SelfAttention(store, w, heads);
  const named = store.named();
  named.get('attn.qkv.bias')!.assign(tf.tensor1d(randn(rng, 3 * w, 0.5)));
  const x = randn(rng, n * t * w);
  const mask = maskArray([4, 2], t);
  const mt = tf.tensor2d(mask, [n, t]);
  const bias = tf.tidy(() => tf.reshape(tf.mul(tf.sub(1, mt), -1e9), [n, 1, 1, t]) as tf.Tensor4D);
  const xt = tf.tensor3d(x, [n, t, w]);
  const out = attn.apply(xt, bias).dataSync();
  const Wqkv = named.get('attn.qkv.kernel')!.dataSync();
  const bqkv = named.get('attn.qkv.bias')!.dataSync();
  const Wo = named.get('attn.output.kernel')!.dataSync();
  const bo = named.get('attn.output.bias')!.dataSync();
  for (let i = 0; i < n; i++) {
    const xi = x.subarray(i * t * w, (i + 1) * t * w);
    const qkv = matmul(xi, Wqkv, t, w, 3 * w).map((v, idx) => v + bqkv[idx % (3 * w)]!);
    const merged = new Float64Array(t * w);
    for (let hh = 0; hh < heads; hh++) {
      for (let a = 0; a < t; a++) {
        const s: number[] = [];
        for (let c = 0; c < t; c++) {
          let dot = 0;
          for (let e = 0; e < dh; e++) dot += qkv[a * 3 * w + hh * dh + e]! * qkv[c * 3 * w + w + hh * dh + e]!;
          s.push(dot / Math.sqrt(dh));
        }
        const p = softmaxMasked(s, mask.subarray(i * t, (i + 1) * t));
        for (let e = 0; e < dh; e++) merged[a * w + hh * dh + e] = p.reduce((acc, pc, c) => acc + pc * qkv[c * 3 * w + 2 * w + hh * dh + e]!, 0);
      }
    }
    const ref = matmul(merged, Wo, t, w, w).map((v, idx) => v + bo[idx % w]!);
    const realRows = i === 0 ? t : 2;
    close(out.subarray(i * t * w, i * t * w + realRows * w), ref.subarray(0, realRows * w), 1e-4, `sample ${i}`);
  }
  tf.dispose([xt, mt, bias]);
  store.dispose();
});

test('LayerNorm normalises each position over its features', () => {
  const rng = new Rng(5);
  const store = new VariableStore(rng, 'ln.');
  const ln = new LayerNorm(store, 6, 1e-5);
  const x = randn(rng, 2 * 3 * 6, 3);
  const y = ln.apply(tf.tensor3d(x, [2, 3, 6])).dataSync();
  for (let r = 0; r < 6; r++) {
    const row = Array.from(x.subarray(r * 6, r * 6 + 6));
    const mu = row.reduce((a, b) => a + b, 0) / 6;
    const v = row.reduce((a, b) => a + (b - mu) ** 2, 0) / 6;
    close(y.subarray(r * 6, r * 6 + 6), row.map((e) => (e - mu) / Math.sqrt(v + 1e-5)), 1e-4, `row ${r}`);
  }
  store.dispose();
});

test('LayerNorm custom gradient equals autodiff of the plain formula', () => {
  const rng = new Rng(15);
  const x = tf.tensor3d(randn(rng, 3 * 4 * 6, 2), [3, 4, 6]);
  const gamma = tf.tensor1d(randn(rng, 6));
  const beta = tf.tensor1d(randn(rng, 6));
  const w = tf.tensor3d(randn(rng, 3 * 4 * 6), [3, 4, 6]);
  const plain = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
    const { mean, variance } = tf.moments(a, 2, true);
    return tf.add(tf.mul(tf.div(tf.sub(a, mean), tf.sqrt(tf.add(variance, 1e-5))), g), b);
  };
  const loss = (f: typeof plain) => (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(a, g, b), w));
  const ours = tf.grads(loss((a, g, b) => layerNorm(a, g, b, 1e-5)))([x, gamma, beta]);
  const ref = tf.grads(loss(plain))([x, gamma, beta]);
  ['dx', 'dgamma', 'dbeta'].forEach((name, i) => close(ours[i]!.dataSync(), ref[i]!.dataSync(), 1e-4, name));
  close(layerNorm(x, gamma, beta, 1e-5).dataSync(), plain(x, gamma, beta).dataSync(), 1e-5, 'value');
  tf.dispose([x, gamma, beta, w, ...ours, ...ref]);
});

test('BatchNorm: batch statistics in training (running ones updated under a gradient tape), running ones in inference', () => {
  const rng = new Rng(6);
  const store = new VariableStore(rng, 'bn.');
  const bn = new BatchNorm(store, 3, { momentum: 0.1, epsilon: 1e-5 });
  const n = 5;
  const x = randn(rng, n * 3, 2);
  for (let i = 0; i < x.length; i++) x[i]! += 4;
  const xt = tf.tensor2d(x, [n, 3]);
  const wt = tf.tensor2d(randn(rng, n * 3), [n, 3]);
  const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(bn.apply(xt, true), wt)) as tf.Scalar, [bn.gamma, bn.beta]);
  // Reference batch statistics.
  const mean = [0, 1, 2].map((c) => [...Array(n).keys()].reduce((a, r) => a + x[r * 3 + c]!, 0) / n);
  const varB = [0, 1, 2].map((c) => [...Array(n).keys()].reduce((a, r) => a + (x[r * 3 + c]! - mean[c]!) ** 2, 0) / n);
  close(bn.movingMean.dataSync(), mean.map((m) => 0.1 * m), 1e-5, 'moving mean');
  close(bn.movingVariance.dataSync(), varB.map((v) => 0.9 + 0.1 * v * n / (n - 1)), 1e-5, 'moving variance (unbiased)');
  // d/dgamma of sum(y·w) = sum over rows of normed·w; d/dbeta = sum of w.
  const w = wt.dataSync();
  const normed = (r: number, c: number) => (x[r * 3 + c]! - mean[c]!) / Math.sqrt(varB[c]! + 1e-5);
  const gGamma = [0, 1, 2].map((c) => [...Array(n).keys()].reduce((a, r) => a + normed(r, c) * w[r * 3 + c]!, 0));
  close(grads[bn.gamma.name]!.dataSync(), gGamma, 1e-4, 'grad gamma');
  close(grads[bn.beta.name]!.dataSync(), [0, 1, 2].map((c) => [...Array(n).keys()].reduce((a, r) => a + w[r * 3 + c]!, 0)), 1e-5, 'grad beta');
  assert.ok(!(bn.movingMean.name in grads), 'running statistics get no gradient');
  // Inference uses the running statistics and does not move them.
  const before = Float32Array.from(bn.movingMean.dataSync());
  const yInf = bn.apply(xt, false).dataSync();
  const mm = bn.movingMean.dataSync();
  const mv = bn.movingVariance.dataSync();
  close(yInf, Array.from(x, (v, i) => (v - mm[i % 3]!) / Math.sqrt(mv[i % 3]! + 1e-5)), 1e-5, 'inference output');
  assert.deepEqual(Array.from(mm), Array.from(before));
  // Training output has (near) zero mean and unit variance per feature.
  const yTr = bn.apply(xt, true, false).arraySync();
  for (let c = 0; c < 3; c++) assert.ok(Math.abs(yTr.reduce((a, r) => a + r[c]!, 0) / n) < 1e-5);
  tf.dispose([xt, wt, value, ...Object.values(grads)]);
  store.dispose();
});

test('BatchNorm: a 1-row training batch uses the running statistics and leaves them unchanged', () => {
  const rng = new Rng(8);
  const store = new VariableStore(rng, 'bn.');
  const bn = new BatchNorm(store, 3, { momentum: 0.1, epsilon: 1e-5 });
  // Give the running statistics non-default values first (a normal 4-row batch).
  const x4 = tf.tensor2d(randn(rng, 12, 3), [4, 3]);
  bn.apply(x4, true);
  const mm = Float32Array.from(bn.movingMean.dataSync());
  const mv = Float32Array.from(bn.movingVariance.dataSync());
  const x1 = tf.tensor2d([5, -2, 7], [1, 3]);
  const yTrain = bn.apply(x1, true).dataSync();
  // Before the fix a 1-row batch normalised to exactly beta (0) and pulled the variance towards 0.
  assert.deepEqual(Array.from(bn.movingMean.dataSync()), Array.from(mm), 'running mean unchanged');
  assert.deepEqual(Array.from(bn.movingVariance.dataSync()), Array.from(mv), 'running variance unchanged');
  close(yTrain, [5, -2, 7].map((v, c) => (v - mm[c]!) / Math.sqrt(mv[c]! + 1e-5)), 1e-5, '1-row training output');
  assert.ok(Array.from(yTrain).some((v) => Math.abs(v) > 0.5), 'the row is not flattened to beta');
  tf.dispose([x4, x1]);
  store.dispose();
});

test('Uni-CTR: a domain with one row in a training batch does not move its DSN running variance', () => {
  const model = new UniCtr({ config: uniCtrConfig({ tower_hidden: [6] }), domains: ['a', 'b'], hiddenSize: 16, numLayers: 2, seed: 3 });
  const rng = new Rng(9);
  const n = 6;
  const t = 4;
  const states = {
    layers: model.stateLayers.map(() => tf.tensor3d(randn(rng, n * t * 16), [n, t, 16])),
    mask: tf.tensor2d(maskArray([4, 3, 4, 2, 4, 4], t), [n, t]),
  };
  const batch = {
    size: n,
    domainIndex: tf.tensor1d([0, 0, 0, 0, 0, 1], 'int32'),
    userId: tf.zeros([n], 'int32') as tf.Tensor1D,
    itemId: tf.zeros([n], 'int32') as tf.Tensor1D,
    brandId: tf.zeros([n], 'int32') as tf.Tensor1D,
    titleId: tf.zeros([n], 'int32') as tf.Tensor1D,
    priceBucket: tf.zeros([n], 'int32') as tf.Tensor1D,
    history: tf.zeros([n, 5], 'int32') as tf.Tensor2D,
    states,
  };
  const vars = model.namedVariables();
  const before = (k: string) => Float32Array.from(vars.get(k)!.dataSync());
  const mvA = before('dsn.0.tower.0.bn.moving_variance');
  const mvB = before('dsn.1.tower.0.bn.moving_variance');
  const out = model.forward(batch, { training: true, rng: new Rng(1) });
  assert.ok(Array.from(out.logits.dataSync()).every(Number.isFinite));
  assert.deepEqual(Array.from(vars.get('dsn.1.tower.0.bn.moving_variance')!.dataSync()), Array.from(mvB), 'DSN b (1 row): unchanged');
  assert.notDeepEqual(Array.from(vars.get('dsn.0.tower.0.bn.moving_variance')!.dataSync()), Array.from(mvA), 'DSN a (5 rows): updated');
  tf.dispose([out.logits, ...(out.auxLogits ?? []), ...states.layers, states.mask, batch.domainIndex, batch.userId, batch.itemId, batch.brandId, batch.titleId, batch.priceBucket, batch.history]);
  model.dispose();
});

test('loss: stable sigmoid cross-entropy, own-domain + general terms with equal weights', () => {
  const z = tf.tensor1d([-100, -3, 0, 2.5, 100]);
  const y = tf.tensor1d([1, 0, 1, 1, 0]);
  const bce = sigmoidCrossEntropyWithLogits(z, y).dataSync();
  const ref = [100, Math.log1p(Math.exp(-3)), Math.log(2), Math.log1p(Math.exp(-2.5)), 100];
  close(bce, ref, 1e-6, 'bce');
  const g = tf.tensor1d([0, 0, 0, 0, 0]);
  const loss = maskedBceLoss({ logits: z, auxLogits: [g] }, y).dataSync()[0]!;
  const expected = ref.reduce((a, b) => a + b, 0) / 5 + Math.log(2);
  assert.ok(Math.abs(loss - expected) < 1e-4, `${loss} vs ${expected}`);
  assert.throws(() => maskedBceLoss({ logits: z }, tf.tensor1d([1, 0])), /differ in length/);
  tf.dispose([z, y, g]);
});
