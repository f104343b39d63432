/**
 * The custom-gradient ops agree with tfjs's built-in gradients (computed on cpu) and with
 * finite differences, on cpu and wasm, including duplicate ids and 3-D inputs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../src/runtime/backend.js';
import { dense, denseUntransposed, embeddingLookup } from '../../../src/model/ops/index.js';
import { Rng } from '../../../src/util/rng.js';

function randArray(rng: Rng, n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal();
  return a;
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    assert.ok(Math.abs(a - e) <= tol * (1 + Math.abs(e)), `${what}[${i}]: ${a} vs ${e}`);
  }
}

interface Case {
  x: Float32Array;
  xShape: number[];
  w: Float32Array;
  b: Float32Array;
  r: Float32Array;
  nIn: number;
  nOut: number;
}

function denseCase(seed: number, xShape: number[], nOut: number): Case {
  const rng = new Rng(seed);
  const nIn = xShape[xShape.length - 1]!;
  const rows = xShape.slice(0, -1).reduce((a, b) => a * b, 1);
  return {
    x: randArray(rng, rows * nIn),
    xShape,
    w: randArray(rng, nIn * nOut),
    b: randArray(rng, nOut),
    r: randArray(rng, rows * nOut),
    nIn,
    nOut,
  };
}

/** Gradients of sum(dense(x, W, b) * R) w.r.t. x, W, b, with the custom op or the built-in one. */
function denseGrads(c: Case, builtin: boolean, withBias: boolean, custom = denseUntransposed): Float32Array[] {
  return tf.tidy(() => {
    const x = tf.tensor(c.x, c.xShape);
    const w = tf.tensor2d(c.w, [c.nIn, c.nOut]);
    const b = tf.tensor1d(c.b);
    const r = tf.tensor(c.r, [...c.xShape.slice(0, -1), c.nOut]);
    const f = (...args: tf.Tensor[]): tf.Scalar => {
      const [xs, ws, bs] = args as [tf.Tensor, tf.Tensor2D, tf.Tensor1D | undefined];
      let y: tf.Tensor;
      if (builtin) {
        y = tf.reshape(tf.matMul(tf.reshape(xs, [-1, c.nIn]) as tf.Tensor2D, ws), [...c.xShape.slice(0, -1), c.nOut]);
        if (bs) y = tf.add(y, bs);
      } else {
        y = custom(xs, ws, bs);
      }
      return tf.sum(tf.mul(y, r));
    };
    const gs = tf.grads(f)(withBias ? [x, w, b] : [x, w]);
    return gs.map((g) => g.dataSync() as Float32Array);
  });
}

function denseLoss(c: Case, x: Float32Array, w: Float32Array, b: Float32Array): number {
  return tf.tidy(() => {
    const y = denseUntransposed(tf.tensor(x, c.xShape), tf.tensor2d(w, [c.nIn, c.nOut]), tf.tensor1d(b));
    return tf.sum(tf.mul(y, tf.tensor(c.r, [...c.xShape.slice(0, -1), c.nOut]))).dataSync()[0]!;
  });
}

/** Central differences on a few coordinates of each argument. */
function denseFiniteDiff(c: Case, which: 0 | 1 | 2, idx: number): number {
  const eps = 1e-2;
  const args = [c.x.slice(), c.w.slice(), c.b.slice()] as [Float32Array, Float32Array, Float32Array];
  const arr = args[which];
  const orig = arr[idx]!;
  arr[idx] = orig + eps;
  const up = denseLoss(c, ...args);
  arr[idx] = orig - eps;
  const down = denseLoss(c, ...args);
  return (up - down) / (2 * eps);
}

interface EmbCase {
  table: Float32Array;
  vocab: number;
  dim: number;
  ids: Int32Array;
  idsShape: number[];
  r: Float32Array;
}

function embCase(seed: number): EmbCase {
  const rng = new Rng(seed);
  const vocab = 11;
  const dim = 5;
  const idsShape = [2, 3, 4];
  // Ids 3 and 7 repeat many times, id 10 once, most others never: duplicates must sum.
  const ids = Int32Array.from([3, 3, 7, 0, 7, 3, 10, 7, 3, 1, 1, 3, 7, 7, 7, 3, 0, 2, 3, 3, 7, 5, 3, 3]);
  return { table: randArray(rng, vocab * dim), vocab, dim, ids, idsShape, r: randArray(rng, ids.length * dim) };
}

function embGrad(c: EmbCase, builtin: boolean): Float32Array {
  return tf.tidy(() => {
    const table = tf.tensor2d(c.table, [c.vocab, c.dim]);
    const ids = tf.tensor(c.ids, c.idsShape, 'int32');
    const r = tf.tensor(c.r, [...c.idsShape, c.dim]);
    const g = tf.grad((t: tf.Tensor) => {
      const y = builtin
        ? tf.reshape(tf.gather(t, tf.reshape(ids, [-1])), [...c.idsShape, c.dim])
        : embeddingLookup(t as tf.Tensor2D, ids);
      return tf.sum(tf.mul(y, r));
    })(table);
    return g.dataSync() as Float32Array;
  });
}

function embLoss(c: EmbCase, table: Float32Array): number {
  return tf.tidy(() => {
    const y = embeddingLookup(tf.tensor2d(table, [c.vocab, c.dim]), tf.tensor(c.ids, c.idsShape, 'int32'));
    return tf.sum(tf.mul(y, tf.tensor(c.r, [...c.idsShape, c.dim]))).dataSync()[0]!;
  });
}

const cases: Array<[string, number[], number]> = [
  ['2-D', [6, 5], 4],
  ['3-D', [2, 3, 5], 7],
  // Fewer rows than in·out / (in + out): dX takes the (W·dYᵀ)ᵀ path.
  ['few rows', [2, 12], 9],
];

// Reference gradients from tfjs's built-in ops on cpu.
await initBackend({ backend: 'cpu' });
const refDense = new Map<string, Float32Array[]>();
for (const [name, shape, nOut] of cases) {
  refDense.set(name + '+b', denseGrads(denseCase(1, shape, nOut), true, true));
  refDense.set(name, denseGrads(denseCase(1, shape, nOut), true, false));
}
const refEmb = embGrad(embCase(2), true);

for (const backend of ['cpu', 'wasm'] as const) {
  test(`dense / denseUntransposed gradients match built-in and finite differences (${backend})`, async () => {
    await initBackend({ backend });
    for (const [name, shape, nOut] of cases) {
      const c = denseCase(1, shape, nOut);
      const withBias = denseGrads(c, false, true);
      const ref = refDense.get(name + '+b')!;
      assertClose(withBias[0]!, ref[0]!, 1e-5, `${name} dX`);
      assertClose(withBias[1]!, ref[1]!, 1e-5, `${name} dW`);
      assertClose(withBias[2]!, ref[2]!, 1e-5, `${name} db`);
      // The dispatching op (custom path on wasm, built-in elsewhere) agrees too.
      const viaDense = denseGrads(c, false, true, dense);
      viaDense.forEach((g, i) => assertClose(g, ref[i]!, 1e-5, `${name} dense() grad ${i}`));
      const noBias = denseGrads(c, false, false);
      assert.equal(noBias.length, 2);
      assertClose(noBias[0]!, refDense.get(name)![0]!, 1e-5, `${name} dX (no bias)`);
      assertClose(noBias[1]!, refDense.get(name)![1]!, 1e-5, `${name} dW (no bias)`);
      for (const [which, idx] of [[0, 0], [0, c.x.length - 1], [1, 3], [1, c.w.length - 2], [2, 1]] as const) {
        const fd = denseFiniteDiff(c, which, idx);
        assertClose([withBias[which]![idx]!], [fd], 2e-2, `${name} finite difference arg ${which}[${idx}]`);
      }
      // Forward equals a plain matMul.
      const y = tf.tidy(() => denseUntransposed(tf.tensor(c.x, shape), tf.tensor2d(c.w, [c.nIn, nOut]), tf.tensor1d(c.b)));
      assert.deepEqual(y.shape, [...shape.slice(0, -1), nOut]);
      y.dispose();
    }
  });

  test(`embeddingLookup gradient sums duplicate ids (${backend})`, async () => {
    await initBackend({ backend });
    const c = embCase(2);
    const before = tf.memory().numTensors;
    const g = embGrad(c, false);
    assert.equal(tf.memory().numTensors, before, 'no leaked tensors');
    assertClose(g, refEmb, 1e-5, 'dTable');
    // Rows never looked up get exactly zero gradient.
    for (const row of [4, 6, 8, 9]) {
      for (let j = 0; j < c.dim; j++) assert.equal(g[row * c.dim + j], 0);
    }
    for (const idx of [3 * c.dim, 7 * c.dim + 2, 10 * c.dim + 4, 4 * c.dim]) {
      const eps = 1e-2;
      const t = c.table.slice();
      t[idx] = c.table[idx]! + eps;
      const up = embLoss(c, t);
      t[idx] = c.table[idx]! - eps;
      const down = embLoss(c, t);
      assertClose([g[idx]!], [(up - down) / (2 * eps)], 2e-2, `finite difference [${idx}]`);
    }
    // Forward output shape is ids.shape + [dim], and works with a Variable table.
    const v = tf.variable(tf.tensor2d(c.table, [c.vocab, c.dim]));
    const out = tf.tidy(() => embeddingLookup(v, tf.tensor(c.ids, c.idsShape, 'int32')));
    assert.deepEqual(out.shape, [...c.idsShape, c.dim]);
    const { grads } = tf.variableGrads(() => tf.sum(tf.mul(embeddingLookup(v, tf.tensor(c.ids, c.idsShape, 'int32')), tf.tensor(c.r, [...c.idsShape, c.dim]))) as tf.Scalar, [v]);
    assertClose(grads[v.name]!.dataSync(), refEmb, 1e-5, 'variableGrads dTable');
    out.dispose();
    v.dispose();
    tf.dispose(grads);
  });
}
