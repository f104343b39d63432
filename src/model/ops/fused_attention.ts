/**
 * Per-sample multi-head self-attention as one op with its own gradient, on the wasm backend:
 * qkv [n, t, 3w] (columns [q_0 … q_{h-1}, k_0 …, v_0 …]) and keyBias [n, 1, 1, t] → [n, t, w].
 * It computes what SelfAttention's unfused ops compute (split, scaled QKᵀ + bias, softmax, ·V,
 * concat) in the SIMD kernels of src/runtime/attention_kernel.ts instead of tfjs's batched matMuls
 * (≈ 1 GMAC/s on wasm); the split and concat disappear too.
 */
import * as tf from '@tensorflow/tfjs-core';
import { attentionBackward, attentionForward, attentionKernelApplies, type AttentionShape } from '../../runtime/attention_kernel.js';
import { wasmF32View } from '../../runtime/wasm_heap.js';

/** Whether {@link fusedSelfAttention} runs here: wasm backend, each head a multiple of 16 wide. */
export function fusedAttentionApplies(width: number, heads: number): boolean {
  return tf.getBackend() === 'wasm' && attentionKernelApplies(width, heads);
}

/** The tensor's floats: a view of the wasm heap (read at once, before any other op) or a copy. */
function floats(t: tf.Tensor): Float32Array {
  return wasmF32View(t) ?? (t.dataSync() as Float32Array);
}

export function fusedSelfAttention(qkv: tf.Tensor3D, keyBias: tf.Tensor4D, heads: number): tf.Tensor3D {
  const [n, t, w3] = qkv.shape;
  if (w3 % 3 !== 0) throw new Error(`fusedSelfAttention: qkv last dim ${w3} is not 3·width`);
  if (keyBias.size !== n * t) throw new Error(`fusedSelfAttention: key bias [${keyBias.shape}] does not match [${n}, 1, 1, ${t}]`);
  const shape: AttentionShape = { n, t, width: w3 / 3, heads };
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, bias, save] = args as [tf.Tensor3D, tf.Tensor4D, tf.GradSaveFunc];
    const { out, probs } = attentionForward(shape, floats(x), floats(bias));
    const p = tf.tensor1d(probs);
    save([x, bias, p]);
    return {
      value: tf.tensor3d(out, [n, t, shape.width]),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, bs, ps] = saved as [tf.Tensor3D, tf.Tensor4D, tf.Tensor1D];
        // The views stay valid: no tfjs op runs until the kernel has copied them.
        const dx = attentionBackward(shape, floats(xs), floats(bs), floats(ps), floats(dy));
        return [tf.tensor3d(dx, [n, t, w3]), tf.zerosLike(bs)];
      },
    };
  });
  return op(qkv, keyBias) as tf.Tensor3D;
}
