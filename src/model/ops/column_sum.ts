/**
 * Sum over rows: m [n, k] → [k] (bias and LayerNorm parameter gradients).
 *
 * On wasm, `tf.sum(m, 0)` transposes first and `ones[1, n]·m` repacks m as XNNPACK weights on
 * every call (m is a fresh gradient each step); a JS loop over the tensor's heap memory is 2–3×
 * faster than either (benchmarks/unictr_step.bench.ts, PROFILE=1). Other backends use tf.sum.
 */
import * as tf from '@tensorflow/tfjs-core';
import { wasmF32View } from '../../runtime/wasm_heap.js';

export function columnSum(m: tf.Tensor2D): tf.Tensor1D {
  const [n, k] = m.shape;
  const src = wasmF32View(m);
  if (!src) return tf.sum(m, 0) as tf.Tensor1D;
  // Accumulate in float64: the order differs from tf.sum's, so keep the rounding error below fp32's.
  const acc = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    const row = i * k;
    for (let j = 0; j < k; j++) acc[j]! += src[row + j]!;
  }
  return tf.tensor1d(Float32Array.from(acc));
}
