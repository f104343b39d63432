/**
 * Identity in the forward pass, zero gradient in the backward pass (TensorFlow's stop_gradient,
 * which tfjs lacks). Used where a paper feeds a representation into a gate without letting the
 * gate's loss reshape it (PEPNet) and for straight-through estimators (AdaSparse).
 */
import * as tf from '@tensorflow/tfjs-core';

export function stopGradient<T extends tf.Tensor>(x: T): T {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const xs = args[0] as tf.Tensor;
    return { value: tf.clone(xs), gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy) };
  });
  return op(x) as T;
}
