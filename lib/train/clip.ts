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

/** The global L2 norm of the gradients, read back once. */
export function globalNorm(grads: tf.NamedTensorMap): number {
  return tf.tidy(() => tf.sqrt(tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g))))).dataSync()[0]);
}

/**
 * The same clipping from a norm already read ({@link globalNorm}): no second pass over the
 * gradients, and no copy at all when the norm is within `maxNorm` (returns `grads` itself).
 */
export function clipWithNorm(grads: tf.NamedTensorMap, maxNorm: number, norm: number): tf.NamedTensorMap {
  const scale = Math.min(1, maxNorm / (norm + 1e-6));
  if (scale >= 1) return grads;
  return tf.tidy(() => Object.fromEntries(Object.entries(grads).map(([k, g]) => [k, tf.mul(g, scale)])));
}
