/**
 * Direct views of tfjs-wasm tensor memory, for the few reductions that a JS loop does faster than
 * any tfjs kernel on wasm (see src/model/ops/column_sum.ts). Relies on the wasm backend's
 * internals (`dataIdMap[…].memoryOffset`, `wasm.HEAPF32`), pinned by the lockfile; callers fall back
 * to tfjs ops when `wasmF32View` returns null.
 */
import * as tf from '@tensorflow/tfjs-core';

interface WasmBackendInternals {
  dataIdMap: { get(id: object): { memoryOffset: number } | undefined };
  wasm: { HEAPF32: Float32Array };
}

/**
 * A Float32Array aliasing `t`'s memory inside the wasm heap, or null when `t` is not a float32
 * tensor of the active wasm backend. Valid only until the next tfjs op (the heap may grow and move).
 */
export function wasmF32View(t: tf.Tensor): Float32Array | null {
  if (tf.getBackend() !== 'wasm' || t.dtype !== 'float32') return null;
  const be = tf.backend() as unknown as WasmBackendInternals;
  const entry = be.dataIdMap?.get(t.dataId);
  const heap = be.wasm?.HEAPF32;
  if (!entry || !heap) return null;
  return new Float32Array(heap.buffer, entry.memoryOffset, t.size);
}
