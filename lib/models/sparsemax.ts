/**
 * Sparsemax (Martins & Astudillo, 2016): the Euclidean projection of z onto the probability
 * simplex, p = max(z − τ(z), 0), with τ chosen so p sums to 1. Unlike softmax it returns exact
 * zeros, which is what makes TabNet's feature masks sparse. Its Jacobian on the support S is
 * (I − 1 1ᵀ/|S|), so dL/dz = s ⊙ (v − Σ_S v / |S|) for upstream v, s the support indicator.
 */
import * as tf from "@tensorflow/tfjs-core";

/** Reference sparsemax of one vector in float64 (the closed form, for tests and explanations). */
export function sparsemaxReference(z: ArrayLike<number>): Float64Array {
  const sorted = Array.from(z).sort((a, b) => b - a);
  let cumulative = 0;
  let k = 0;
  let sumTop = 0;
  for (let j = 0; j < sorted.length; j++) {
    cumulative += sorted[j];
    if (1 + (j + 1) * sorted[j] > cumulative) {
      k = j + 1;
      sumTop = cumulative;
    }
  }
  const tau = (sumTop - 1) / k;
  return Float64Array.from(z, (v) => Math.max(v - tau, 0));
}

/** Reference Jacobian-vector product of sparsemax at z for upstream gradient v. */
export function sparsemaxGradReference(z: ArrayLike<number>, v: ArrayLike<number>): Float64Array {
  const p = sparsemaxReference(z);
  let support = 0;
  let sum = 0;
  p.forEach((pi, i) => {
    if (pi > 0) {
      support++;
      sum += v[i];
    }
  });
  return Float64Array.from(p, (pi, i) => (pi > 0 ? v[i] - sum / support : 0));
}

function forward(z: tf.Tensor): tf.Tensor {
  const n = z.shape[z.shape.length - 1];
  const sorted = tf.topk(z, n, true).values;
  const cumulative = tf.cumsum(sorted, z.rank - 1); // tfjs cumsum mishandles a negative axis
  const k = tf.range(1, n + 1, 1, "float32");
  const inSupport = tf.cast(tf.greater(tf.add(1, tf.mul(k, sorted)), cumulative), "float32");
  const supportSize = tf.sum(inSupport, -1, true);
  // the support is a prefix of the sorted values, so Σ sorted·inSupport = cumulative[k(z) − 1]
  const tau = tf.div(tf.sub(tf.sum(tf.mul(sorted, inSupport), -1, true), 1), supportSize);
  return tf.relu(tf.sub(z, tau));
}

/** Sparsemax over the last axis, differentiable (custom gradient). */
export const sparsemax: (z: tf.Tensor) => tf.Tensor = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const z = args[0] as tf.Tensor;
  const save = args[1] as tf.GradSaveFunc;
  const p = forward(z);
  save([p]);
  return {
    value: p,
    gradFunc: (dy, saved) => {
      const [out] = saved;
      const s = tf.cast(tf.greater(out, 0), "float32");
      const mean = tf.div(tf.sum(tf.mul(dy as tf.Tensor, s), -1, true), tf.sum(s, -1, true));
      return [tf.mul(s, tf.sub(dy as tf.Tensor, mean))];
    },
  };
}) as (z: tf.Tensor) => tf.Tensor;
