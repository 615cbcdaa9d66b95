/** Mini-batches from flat float32 arrays, and the permutation of each epoch. */
import * as tf from "@tensorflow/tfjs-core";
import type { ImageDataset, TabularDataset } from "../data/dataset";
import { permutation } from "../random/rng";

/** Samples as a flat float32 array plus per-sample shape and labels. */
export interface ArrayData {
  x: Float32Array;
  y: Uint8Array;
  /** Per-sample shape, e.g. [28, 28, 1] or [78]. */
  sampleShape: number[];
}

/** Training arrays from an image dataset (NHWC) or a tabular one (rows of features). */
export function toArrayData(ds: ImageDataset | TabularDataset): ArrayData {
  return "images" in ds
    ? { x: ds.images, y: ds.labels, sampleShape: ds.shape.slice(1) }
    : { x: ds.features, y: ds.labels, sampleShape: [ds.featureNames.length] };
}

/** Copies the samples at `indices` into new arrays (a batch, or the shard a rank trains on). */
export function selectSamples(data: ArrayData, indices: ArrayLike<number>): ArrayData {
  const size = data.sampleShape.reduce((a, b) => a * b, 1);
  const x = new Float32Array(indices.length * size);
  const y = new Uint8Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    x.set(data.x.subarray(indices[i] * size, (indices[i] + 1) * size), i * size);
    y[i] = data.y[indices[i]];
  }
  return { x, y, sampleShape: data.sampleShape };
}

/** Copies the samples at `indices` into an input tensor and an int32 label tensor. */
export function batchTensors(data: ArrayData, indices: ArrayLike<number>): { xs: tf.Tensor; ys: tf.Tensor1D } {
  const batch = selectSamples(data, indices);
  return {
    xs: tf.tensor(batch.x, [indices.length, ...data.sampleShape]),
    ys: tf.tensor1d(Int32Array.from(batch.y), "int32"),
  };
}

/**
 * The sample order of an epoch: a permutation derived from (seed, epoch) alone, so a resumed run
 * draws exactly the orders an uninterrupted one would, with no generator state to carry.
 */
export function epochOrder(n: number, seed: number, epoch: number): Int32Array {
  return permutation(n, (Math.imul(seed + 1, 0x9e3779b1) ^ Math.imul(epoch + 1, 0x85ebca6b)) >>> 0);
}
