/**
 * Embedding lookup with a scatter-add gradient.
 *
 * tfjs's built-in gather gradient goes through UnsortedSegmentSum, which the wasm backend lacks and
 * which the cpu backend runs in O(vocab × rows) (a 30k-row table took minutes per step). ScatterNd
 * exists on cpu and wasm and sums duplicate indices, which is exactly the gradient of a gather.
 */
import * as tf from '@tensorflow/tfjs-core';

/**
 * Rows of `table` ([vocab, dim]) picked by `ids` (int32, any shape) → [...ids.shape, dim].
 * Ids must lie in [0, vocab); out-of-range ids are a caller bug (gather would fail or read zeros).
 */
export function embeddingLookup(table: tf.Tensor2D | tf.Variable, ids: tf.Tensor): tf.Tensor {
  const [vocab, dim] = table.shape as [number, number];
  const idsShape = ids.shape.slice();
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [t, save] = args as [tf.Tensor, tf.GradSaveFunc];
    const flat = ids.dtype === 'int32' ? tf.reshape(ids, [-1]) : tf.cast(tf.reshape(ids, [-1]), 'int32');
    save([flat]);
    const value = tf.reshape(tf.gather(t, flat), [...idsShape, dim]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const idx = tf.reshape(saved[0]!, [-1, 1]);
        const updates = tf.reshape(dy, [-1, dim]);
        return [tf.scatterND(idx, updates, [vocab, dim])];
      },
    };
  });
  return op(table);
}
