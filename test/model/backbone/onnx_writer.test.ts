import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { encodeOnnxModel, OnnxGraphBuilder } from '../../../src/model/backbone/onnx_writer.js';
import { Rng } from '../../../src/util/rng.js';

const PYTHON = '/usr/bin/python3';

/** True when /usr/bin/python3 can import onnx (python3-onnx); the checker part is skipped otherwise. */
function hasPythonOnnx(): boolean {
  const r = spawnSync(PYTHON, ['-c', 'import onnx'], { encoding: 'utf8' });
  return r.status === 0;
}

/** Run onnx.checker.check_model (with shape inference) on the bytes; returns stderr on failure. */
function onnxCheck(bytes: Uint8Array): string | null {
  const dir = mkdtempSync(path.join(tmpdir(), 'onnx-writer-'));
  try {
    const file = path.join(dir, 'model.onnx');
    writeFileSync(file, bytes);
    const r = spawnSync(PYTHON, ['-c', 'import onnx, sys; onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)', file], { encoding: 'utf8' });
    return r.status === 0 ? null : r.stderr;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function randn(rng: Rng, n: number): Float32Array {
  return Float32Array.from({ length: n }, () => rng.normal());
}

/** y = relu(x · w + b), computed directly in float64. */
function mlpReference(x: Float32Array, w: Float32Array, b: Float32Array, rows: number, inW: number, outW: number): Float64Array {
  const y = new Float64Array(rows * outW);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < outW; j++) {
      let s = b[j]!;
      for (let k = 0; k < inW; k++) s += x[r * inW + k]! * w[k * outW + j]!;
      y[r * outW + j] = Math.max(0, s);
    }
  }
  return y;
}

function tinyMlp(w: Float32Array, b: Float32Array, inW: number, outW: number): Uint8Array {
  const g = new OnnxGraphBuilder('tiny_mlp');
  g.input('x', 'float32', ['batch', inW]);
  const mm = g.node('MatMul', ['x', g.initializer('w', 'float32', [inW, outW], w)]);
  const add = g.node('Add', [mm, g.initializer('b', 'float32', [outW], b)]);
  g.output(g.node('Relu', [add], undefined, 'y'), 'float32', ['batch', outW]);
  return g.toBytes();
}

describe('ONNX writer', () => {
  it('MatMul + Add + Relu runs in onnxruntime with the right numbers', async () => {
    const rng = new Rng(7);
    const [rows, inW, outW] = [5, 7, 3];
    const w = randn(rng, inW * outW);
    const b = randn(rng, outW);
    const x = randn(rng, rows * inW);
    const session = await ort.InferenceSession.create(tinyMlp(w, b, inW, outW));
    try {
      assert.deepEqual(session.inputNames, ['x']);
      assert.deepEqual(session.outputNames, ['y']);
      const out = await session.run({ x: new ort.Tensor('float32', x, [rows, inW]) });
      const y = out.y!;
      assert.deepEqual(y.dims, [rows, outW]);
      const ref = mlpReference(x, w, b, rows, inW, outW);
      const got = y.data as Float32Array;
      assert.ok(ref.some((v) => v === 0) && ref.some((v) => v > 0), 'the test data should exercise both sides of the ReLU');
      ref.forEach((v, i) => assert.ok(Math.abs(got[i]! - v) < 1e-5, `y[${i}] = ${got[i]}, expected ${v}`));
    } finally {
      await session.release();
    }
  });

  it('writes int64 initializers and int, ints and float attributes', async () => {
    // Gather rows of a table by int64 ids, reshape by an int64 shape, transpose, then LayerNormalization.
    const g = new OnnxGraphBuilder('attrs');
    const ids = g.input('ids', 'int64', [2, 3]);
    const table = g.initializer('table', 'float32', [4, 2], Float32Array.from([0, 1, 10, 11, 20, 21, 30, 31]));
    const rowsOf = g.node('Gather', [table, ids], { axis: { i: 0 } }); // [2, 3, 2]
    const flat = g.node('Reshape', [rowsOf, g.constant('int64', [2], [2, 6])]); // [2, 6]
    const t = g.node('Transpose', [flat], { perm: { ints: [1, 0] } }); // [6, 2]
    const scale = g.constant('float32', [2], [1, 1]);
    const bias = g.constant('float32', [2], [0, 0]);
    g.output(g.node('LayerNormalization', [t, scale, bias], { axis: { i: -1 }, epsilon: { f: 0.5 } }, 'ln'), 'float32', [6, 2]);
    g.output(t, 'float32', [6, 2]);
    const session = await ort.InferenceSession.create(g.toBytes());
    try {
      const feed = new ort.Tensor('int64', BigInt64Array.from([3n, 0n, 2n, 1n, 1n, 0n]), [2, 3]);
      const out = await session.run({ ids: feed });
      const tv = Array.from(out[t]!.data as Float32Array);
      // flat = [[30,31,0,1,20,21],[10,11,10,11,0,1]] → its transpose, row-major.
      assert.deepEqual(tv, [30, 10, 31, 11, 0, 10, 1, 11, 20, 0, 21, 1]);
      const ln = out.ln!.data as Float32Array;
      for (let r = 0; r < 6; r++) {
        const [a, b] = [tv[2 * r]!, tv[2 * r + 1]!];
        const mean = (a + b) / 2;
        const v = ((a - mean) ** 2 + (b - mean) ** 2) / 2;
        assert.ok(Math.abs(ln[2 * r]! - (a - mean) / Math.sqrt(v + 0.5)) < 1e-5, `row ${r}: epsilon 0.5 should be applied`);
      }
    } finally {
      await session.release();
    }
  });

  it('onnx.checker accepts the bytes', { skip: hasPythonOnnx() ? false : 'python3-onnx is not installed for /usr/bin/python3' }, () => {
    const rng = new Rng(3);
    assert.equal(onnxCheck(tinyMlp(randn(rng, 6), randn(rng, 2), 3, 2)), null);
    // The checker must be able to fail: a node with an undefined op.
    const bad = encodeOnnxModel({
      graphName: 'bad',
      nodes: [{ op: 'NoSuchOp', inputs: ['x'], outputs: ['y'] }],
      initializers: [],
      inputs: [{ name: 'x', dtype: 'float32', shape: [1] }],
      outputs: [{ name: 'y', dtype: 'float32', shape: [1] }],
    });
    assert.match(onnxCheck(bad) ?? '', /NoSuchOp/);
  });

  it('rejects graphs that read undefined values or mislabel tensors', () => {
    const base = { graphName: 'g', initializers: [], inputs: [{ name: 'x', dtype: 'float32' as const, shape: [2] }] };
    assert.throws(
      () => encodeOnnxModel({ ...base, nodes: [{ op: 'Add', inputs: ['x', 'z'], outputs: ['y'] }], outputs: [{ name: 'y', dtype: 'float32', shape: [2] }] }),
      /node 0 \(Add\) reads "z", which is not defined/,
    );
    assert.throws(
      () => encodeOnnxModel({ ...base, nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['x'] }], outputs: [] }),
      /value "x" .* is defined twice/,
    );
    assert.throws(
      () => encodeOnnxModel({ ...base, nodes: [], outputs: [{ name: 'y', dtype: 'float32', shape: [2] }] }),
      /graph output "y" is not produced/,
    );
    assert.throws(
      () => encodeOnnxModel({ ...base, nodes: [], outputs: [], initializers: [{ name: 'w', dtype: 'float32', dims: [2, 2], data: new Float32Array(3) }] }),
      /tensor "w" has dims \[2,2\] \(4 values\) but 3 values/,
    );
    assert.throws(
      () => encodeOnnxModel({ ...base, nodes: [], outputs: [], initializers: [{ name: 'w', dtype: 'int64', dims: [1], data: new Float32Array(1) }] }),
      /tensor "w" is int64 but its data is a Float32Array/,
    );
  });
});
