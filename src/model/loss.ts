/**
 * Loss shared by every CTR model: mean binary cross-entropy on logits, in the overflow-free form
 * max(x, 0) − x·y + log(1 + e^(−|x|)). The gradient is given explicitly as (σ(x) − y)/n because
 * the autodiff of relu and abs is wrong at exactly x = 0 (both use a zero subgradient there).
 */
import * as tf from '@tensorflow/tfjs-core';

/** logits, labels: [batch] (labels 0/1) → scalar mean BCE. Gradient flows to the logits only. */
export function bceWithLogits(logits: tf.Tensor, labels: tf.Tensor): tf.Scalar {
  if (logits.size !== labels.size) {
    throw new Error(`bceWithLogits: logits [${logits.shape}] and labels [${labels.shape}] differ in size`);
  }
  const shape = logits.shape;
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xs, ys, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    const x = tf.reshape(xs, [-1]);
    const y = tf.cast(tf.reshape(ys, [-1]), 'float32');
    save([x, y]);
    const loss = tf.add(tf.sub(tf.relu(x), tf.mul(x, y)), tf.log1p(tf.exp(tf.neg(tf.abs(x)))));
    return {
      value: tf.mean(loss) as tf.Scalar,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [
        tf.reshape(tf.mul(dy, tf.div(tf.sub(tf.sigmoid(saved[0]!), saved[1]!), x.size)), shape),
        tf.zerosLike(ys),
      ],
    };
  });
  return op(logits, labels) as tf.Scalar;
}
