/**
 * Adam/AdamW against a float64 re-statement of the published update rule, exact state round-trip,
 * clipping and accumulation.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/runtime/backend.js';
import { AdamOptimizer, GradientAccumulator, adam, adamW, clipByGlobalNorm, type AdamState } from '../../src/train/optim.js';
import { RunFolderError, TrainingDivergedError } from '../../src/util/errors.js';
import { Rng } from '../../src/util/rng.js';

before(async () => {
  await initBackend({ backend: 'cpu' });
});

let uid = 0;
function variable(values: number[], shape: number[], name?: string): tf.Variable {
  return tf.variable(tf.tensor(values, shape, 'float32'), true, name ?? `optim_test_${uid++}`);
}

function rand(rng: Rng, n: number): number[] {
  return Array.from({ length: n }, () => Math.fround(rng.normal()));
}

/**
 * Textbook Adam / AdamW (Kingma & Ba; Loshchilov & Hutter, torch.optim docs) in float64 on plain
 * arrays: θ ← θ − γλθ (adamw) or g ← g + λθ (adam), m̂ = m/(1−β1^t), v̂ = v/(1−β2^t), θ ← θ − γ m̂/(√v̂ + ε).
 */
function referenceAdam(
  theta0: number[],
  grads: number[][],
  lrs: number[],
  kind: 'adam' | 'adamw',
  wd: number,
  b1 = 0.9,
  b2 = 0.999,
  eps = 1e-8,
): number[] {
  const theta = theta0.slice();
  const m = theta.map(() => 0);
  const v = theta.map(() => 0);
  grads.forEach((g, k) => {
    const t = k + 1;
    const lr = lrs[k]!;
    for (let i = 0; i < theta.length; i++) {
      let gi = g[i]!;
      if (kind === 'adamw') theta[i] = theta[i]! - lr * wd * theta[i]!;
      else gi = gi + wd * theta[i]!;
      m[i] = b1 * m[i]! + (1 - b1) * gi;
      v[i] = b2 * v[i]! + (1 - b2) * gi * gi;
      const mHat = m[i]! / (1 - b1 ** t);
      const vHat = v[i]! / (1 - b2 ** t);
      theta[i] = theta[i]! - (lr * mHat) / (Math.sqrt(vHat) + eps);
    }
  });
  return theta;
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i]! - expected[i]!) <= tol, `${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
  }
}

test('AdamW first step, computed by hand', () => {
  // θ=1, g=0.5, lr=0.1, wd=0.01: θ ← 0.999; m̂ = 0.5, v̂ = 0.25; θ ← 0.999 − 0.1·0.5/(0.5 + 1e-8) = 0.899000002.
  const p = variable([1], [1]);
  const opt = adamW([p], { weightDecay: 0.01 });
  opt.applyGradients({ [p.name]: tf.tensor([0.5], [1]) }, 0.1);
  assert.ok(Math.abs(p.dataSync()[0]! - 0.899000002) < 1e-7, `${p.dataSync()[0]}`);
  assert.equal(opt.step, 1);
  opt.dispose();
});

for (const kind of ['adamw', 'adam'] as const) {
  test(`${kind}: three steps match the float64 reference`, () => {
    const rng = new Rng(kind === 'adamw' ? 1 : 2);
    const a0 = rand(rng, 6);
    const b0 = rand(rng, 4);
    const a = variable(a0, [2, 3]);
    const b = variable(b0, [4]);
    const wd = kind === 'adamw' ? 0.05 : 0.01;
    const opt = new AdamOptimizer([a, b], { kind, weightDecay: wd });
    const lrs = [1e-2, 3e-2, 2e-2];
    const ga: number[][] = [];
    const gb: number[][] = [];
    for (let k = 0; k < 3; k++) {
      ga.push(rand(rng, 6).map((x) => x * (k + 1)));
      gb.push(rand(rng, 4).map((x) => x * 1e-3));
      // Map keyed by variable and by name are both accepted.
      const grads = new Map<string | tf.Variable, tf.Tensor>([
        [a, tf.tensor(ga[k]!, [2, 3])],
        [b.name, tf.tensor(gb[k]!, [4])],
      ]);
      opt.applyGradients(grads, lrs[k]!);
      tf.dispose([...grads.values()]);
    }
    // float32 tensors against float64: a few ulps of the O(1) values per step.
    assertClose(a.dataSync(), referenceAdam(a0, ga, lrs, kind, wd), 2e-6, `${kind} a`);
    assertClose(b.dataSync(), referenceAdam(b0, gb, lrs, kind, wd), 2e-6, `${kind} b`);
    // The defaults are the spec's: adamw decays 0.001, plain Adam not at all.
    assert.equal(adamW([]).weightDecay, 0.001);
    assert.equal(adam([]).weightDecay, 0);
    opt.dispose();
  });
}

test('variables without a gradient are untouched and keep their own step count', async () => {
  const a = variable([1, 2], [2]);
  const b = variable([3, 4], [2]);
  const opt = adamW([a, b], { weightDecay: 0.1 });
  const bBefore = b.dataSync().slice();
  for (let k = 0; k < 3; k++) opt.applyGradients({ [a.name]: tf.tensor([0.1, -0.2]) }, 0.01);
  assert.deepEqual(b.dataSync(), bBefore, 'b must be bit-for-bit unchanged');
  assert.deepEqual(Object.keys((await opt.getState()).params), [a.name]);
  // b's first update uses t = 1 (bias correction as a fresh parameter), as torch does.
  opt.applyGradients({ [b.name]: tf.tensor([0.5, 0.5]) }, 0.01);
  assertClose(b.dataSync(), referenceAdam([3, 4], [[0.5, 0.5]], [0.01], 'adamw', 0.1), 1e-6, 'b');
  assert.equal((await opt.getState()).params[b.name]!.step, 1);
  assert.equal((await opt.getState()).params[a.name]!.step, 3);
  opt.dispose();
});

test('bad gradients are rejected before anything changes', () => {
  const a = variable([1, 2], [2]);
  const b = variable([3], [1]);
  const opt = adamW([a, b]);
  assert.throws(() => opt.applyGradients({ [a.name]: tf.tensor([1, 1]), nope: tf.tensor([1]) }, 0.1), /unknown variable "nope"/);
  assert.throws(() => opt.applyGradients({ [a.name]: tf.tensor([1, 1]), [b.name]: tf.tensor([1, 2]) }, 0.1), /shape \[2\].*\[1\]/);
  assert.throws(() => opt.applyGradients({ [a.name]: tf.tensor([1, 1]) }, NaN), /learning rate/);
  assert.deepEqual([...a.dataSync()], [1, 2]);
  assert.equal(opt.step, 0);
  assert.throws(() => adamW([a, a]), /two variables/);
  opt.dispose();
});

test('getState/setState: restored optimizer continues bit-identically', async () => {
  const rng = new Rng(3);
  const shapes = [[3, 2], [5]];
  const init = shapes.map((s) => rand(rng, s[0]! * (s[1] ?? 1)));
  const grads = Array.from({ length: 6 }, () => shapes.map((s) => rand(rng, s[0]! * (s[1] ?? 1))));
  const lrs = [1e-3, 2e-3, 5e-4, 4e-4, 3e-3, 1e-3];
  const names = ['w', 'b'];

  const run = (vars: tf.Variable[], opt: AdamOptimizer, from: number, to: number): void => {
    for (let k = from; k < to; k++) {
      const g: tf.NamedTensorMap = {};
      vars.forEach((v, i) => (g[v.name] = tf.tensor(grads[k]![i]!, shapes[i]!)));
      opt.applyGradients(g, lrs[k]!);
      tf.dispose(Object.values(g));
    }
  };

  // Uninterrupted run.
  const ref = init.map((x, i) => variable(x, shapes[i]!, `ref_${names[i]}_${uid++}`));
  const refOpt = adamW(ref);
  run(ref, refOpt, 0, 6);

  // Interrupted after 3 steps; the state goes through a JSON-like copy (as a checkpoint would).
  const first = init.map((x, i) => variable(x, shapes[i]!, `first_${names[i]}_${uid++}`));
  const firstOpt = adamW(first);
  run(first, firstOpt, 0, 3);
  const saved = await firstOpt.getState();
  const weights = first.map((v) => Float32Array.from(v.dataSync()));
  firstOpt.dispose();
  const copy: AdamState = {
    kind: saved.kind,
    step: saved.step,
    params: Object.fromEntries(
      Object.entries(saved.params).map(([k, s]) => [
        k.replace('first_', 'second_'),
        { step: s.step, shape: [...s.shape], m: new Float32Array(Array.from(s.m)), v: new Float32Array(Array.from(s.v)) },
      ]),
    ),
  };
  // Restore into fresh variables whose names match the checkpoint.
  const second = weights.map((w, i) =>
    tf.variable(tf.tensor(w, shapes[i]!), true, first[i]!.name.replace('first_', 'second_')),
  );
  const secondOpt = adamW(second);
  secondOpt.setState(copy);
  assert.equal(secondOpt.step, 3);
  run(second, secondOpt, 3, 6);

  for (let i = 0; i < 2; i++) assert.deepEqual(second[i]!.dataSync(), ref[i]!.dataSync(), `${names[i]} weights`);
  const s1 = await refOpt.getState();
  const s2 = await secondOpt.getState();
  for (let i = 0; i < 2; i++) {
    const s = s1.params[ref[i]!.name]!;
    const t = s2.params[second[i]!.name]!;
    assert.deepEqual(t.m, s.m);
    assert.deepEqual(t.v, s.v);
    assert.equal(t.step, s.step);
  }
  refOpt.dispose();
  secondOpt.dispose();
});

test('setState rejects a checkpoint that does not fit the model', () => {
  const a = variable([1, 2], [2], 'fit_a');
  const opt = adamW([a]);
  const good = { step: 1, shape: [2], m: new Float32Array(2), v: new Float32Array(2) };
  assert.throws(() => opt.setState({ kind: 'adam', step: 1, params: { fit_a: good } }), RunFolderError);
  assert.throws(() => opt.setState({ kind: 'adamw', step: 1, params: { other: good } }), (e: unknown) => e instanceof RunFolderError && /"other"/.test(e.message));
  assert.throws(() => opt.setState({ kind: 'adamw', step: 1, params: { fit_a: { ...good, shape: [3] } } }), /shape \[3\]/);
  assert.throws(() => opt.setState({ kind: 'adamw', step: 1, params: { fit_a: { ...good, m: new Float32Array(1) } } }), /moment values/);
  opt.setState({ kind: 'adamw', step: 1, params: { fit_a: good } });
  opt.dispose();
  a.dispose();
});

test('clipByGlobalNorm matches the formula', () => {
  const g1 = [3, 4];
  const g2 = [12];
  const norm64 = Math.sqrt(9 + 16 + 144); // 13
  const grads = { a: tf.tensor(g1), b: tf.tensor(g2) };
  const { grads: clipped, norm } = clipByGlobalNorm(grads, 1.3);
  assert.ok(Math.abs(norm - norm64) < 1e-6);
  const coef = 1.3 / (norm64 + 1e-6);
  assertClose(clipped.a!.dataSync(), g1.map((x) => x * coef), 1e-6, 'a');
  assertClose(clipped.b!.dataSync(), g2.map((x) => x * coef), 1e-6, 'b');
  // Squared norms read by the caller (the trainer reads them asynchronously) give the same result.
  const pre = clipByGlobalNorm(grads, 1.3, { squaredNorms: [25, 144] });
  assert.ok(Math.abs(pre.norm - norm64) < 1e-6);
  assertClose(pre.grads.a!.dataSync(), g1.map((x) => x * coef), 1e-6, 'a (pre-read norms)');
  tf.dispose(Object.values(pre.grads));
  // Below the threshold: values unchanged (copies, the input stays the caller's).
  const big = clipByGlobalNorm(grads, 100);
  assert.deepEqual(big.grads.a!.dataSync(), grads.a.dataSync());
  assert.notEqual(big.grads.a, grads.a);
  tf.dispose([...Object.values(clipped), ...Object.values(big.grads)]);
  // Non-finite: TrainingDivergedError naming the gradient, or NaN norm when asked not to throw.
  const bad = { good: tf.tensor([1]), broken: tf.tensor([NaN, 1]) };
  assert.throws(() => clipByGlobalNorm(bad, 1), (e: unknown) => e instanceof TrainingDivergedError && /"broken"/.test(e.message));
  const nan = clipByGlobalNorm(bad, 1, { errorIfNonfinite: false });
  assert.ok(Number.isNaN(nan.norm));
  tf.dispose([...Object.values(bad), ...Object.values(nan.grads), ...Object.values(grads)]);
});

test('GradientAccumulator averages micro-batches and does not leak', () => {
  const before = tf.memory().numTensors;
  const acc = new GradientAccumulator(3);
  const batches = [
    { a: [1, 2], b: [10] },
    { a: [3, 5], b: [20] },
    { a: [-1, 2] }, // b absent: summed where present, still divided by 3
  ];
  const ready: boolean[] = [];
  for (const mb of batches) {
    const g: tf.NamedTensorMap = { a: tf.tensor(mb.a) };
    if (mb.b) g.b = tf.tensor(mb.b);
    ready.push(acc.add(g));
    tf.dispose(Object.values(g)); // the accumulator must have its own copies
  }
  assert.deepEqual(ready, [false, false, true]);
  const avg = acc.average();
  assertClose(avg.a!.dataSync(), [1, 3], 1e-6, 'a');
  assertClose(avg.b!.dataSync(), [10], 1e-6, 'b');
  assert.equal(acc.count, 0);
  tf.dispose(Object.values(avg));
  assert.throws(() => acc.average(), /no micro-batch/);
  assert.equal(tf.memory().numTensors, before, 'tensor leak');
});

test('optimizer inside an enclosing tidy keeps its moments and leaks nothing per step', async () => {
  const a = variable([1, 2, 3], [3]);
  const opt = adamW([a]);
  tf.tidy(() => opt.applyGradients({ [a.name]: tf.tensor([1, 1, 1]) }, 0.01));
  const before = tf.memory().numTensors;
  for (let k = 0; k < 5; k++) tf.tidy(() => opt.applyGradients({ [a.name]: tf.tensor([1, -1, 1]) }, 0.01));
  assert.equal(tf.memory().numTensors, before);
  assert.equal((await opt.getState()).params[a.name]!.step, 6);
  opt.dispose();
  a.dispose();
});
