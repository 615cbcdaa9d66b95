/** Gradient clipping by global norm (PyTorch's clip_grad_norm_). */
import * as tf from "@tensorflow/tfjs-core";

/**
 * Returns gradients scaled so their global L2 norm is at most `maxNorm` (new tensors), by
 * PyTorch's factor min(1, maxNorm / (norm + 1e-6)).
 */
export function clipByGlobalNorm(grads: tf.NamedTensorMap, maxNorm: number): tf.NamedTensorMap {
  return tf.tidy(() => {
    const norm = tf.sqrt(tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g)))));
    const scale = tf.minimum(1, tf.div(maxNorm, tf.add(norm, 1e-6)));
    return Object.fromEntries(Object.entries(grads).map(([k, g]) => [k, tf.mul(g, scale)]));
  });
}
