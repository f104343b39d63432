/**
 * Dense layer y = x·W + b whose forward and gradient use only untransposed 2-D matMuls.
 *
 * On the wasm backend a plain 2-D matMul runs at ≈20 GFLOP/s while transposed or batched matMuls
 * fall back to a slow path (1–2 GFLOP/s); tfjs's own matMul gradient uses transposeA/transposeB.
 * So inputs are flattened to 2-D and the transposes are materialised before multiplying. On the cpu
 * backend that copy costs more than it saves, so only wasm takes this path (figures: docs/runtime.md).
 */
import * as tf from '@tensorflow/tfjs-core';
import { columnSum } from './column_sum.js';

/**
 * x: [..., in], kernel: [in, out], bias: [out] → [..., out].
 * On wasm it runs {@link denseUntransposed}; elsewhere the built-in matMul and its gradient, which
 * the cpu and native backends run at least as fast without materialised transposes.
 */
export function dense(x: tf.Tensor, kernel: tf.Tensor2D | tf.Variable, bias?: tf.Tensor1D | tf.Variable): tf.Tensor {
  if (tf.getBackend() === 'wasm') return denseUntransposed(x, kernel, bias);
  const [nIn, nOut] = kernel.shape as [number, number];
  if (x.shape[x.shape.length - 1] !== nIn) {
    throw new Error(`dense: input last dim ${x.shape[x.shape.length - 1]} does not match kernel [${kernel.shape.join(', ')}]`);
  }
  return tf.tidy(() => {
    const y = tf.matMul(tf.reshape(x, [-1, nIn]) as tf.Tensor2D, kernel);
    return tf.reshape(bias ? tf.add(y, bias) : y, [...x.shape.slice(0, -1), nOut]);
  });
}

/** The same layer with a custom gradient made only of untransposed 2-D matMuls (any backend). */
export function denseUntransposed(x: tf.Tensor, kernel: tf.Tensor2D | tf.Variable, bias?: tf.Tensor1D | tf.Variable): tf.Tensor {
  const [nIn, nOut] = kernel.shape as [number, number];
  const lead = x.shape.slice(0, -1);
  if (x.shape[x.shape.length - 1] !== nIn) {
    throw new Error(`dense: input last dim ${x.shape[x.shape.length - 1]} does not match kernel [${nIn}, ${nOut}]`);
  }
  const forward = (xs: tf.Tensor, w: tf.Tensor, save: tf.GradSaveFunc): tf.Tensor => {
    const x2 = tf.reshape(xs, [-1, nIn]) as tf.Tensor2D;
    save([x2, w]);
    return tf.matMul(x2, w as tf.Tensor2D);
  };
  const backward = (dy: tf.Tensor, saved: tf.Tensor[]): [tf.Tensor, tf.Tensor, tf.Tensor] => {
    const x2 = saved[0] as tf.Tensor2D;
    const w = saved[1] as tf.Tensor2D;
    const dy2 = tf.reshape(dy, [-1, nOut]) as tf.Tensor2D;
    // dX = dY·Wᵀ transposes W (in·out floats); (W·dYᵀ)ᵀ transposes dY and the result instead
    // (rows·(in + out)), cheaper when rows are few: a domain tower's sub-batch (≈ 21 rows of 1024).
    const rows = dy2.shape[0];
    const dx2 = rows * (nIn + nOut) < nIn * nOut ? tf.transpose(tf.matMul(w, tf.transpose(dy2))) : tf.matMul(dy2, tf.transpose(w));
    const dx = tf.reshape(dx2, [...lead, nIn]);
    // dW = Xᵀ·dY, or (dYᵀ·X)ᵀ when dY is narrower than X: the transpose of the [n, ·] activation
    // is the expensive part (a [2048, 512] transpose costs a quarter of the matMul on wasm).
    const dw = nOut < nIn ? tf.transpose(tf.matMul(tf.transpose(dy2), x2)) : tf.matMul(tf.transpose(x2), dy2);
    return [dx, dw, columnSum(dy2)];
  };
  if (bias) {
    const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const [xs, w, b, save] = args as [tf.Tensor, tf.Tensor, tf.Tensor, tf.GradSaveFunc];
      const y2 = tf.add(forward(xs, w, save), b);
      return { value: tf.reshape(y2, [...lead, nOut]), gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => backward(dy, saved) };
    });
    return op(x, kernel, bias);
  }
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xs, w, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    const y2 = forward(xs, w, save);
    return {
      value: tf.reshape(y2, [...lead, nOut]),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => backward(dy, saved).slice(0, 2),
    };
  });
  return op(x, kernel);
}
