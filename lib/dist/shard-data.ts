/** Materialises a shard of training arrays (the rows a rank trains on). */
import type { ArrayData } from "../train/batches";

/** Copies the samples at `indices` into new arrays. */
export function selectRowsOf(data: ArrayData, indices: ArrayLike<number>): ArrayData {
  const size = data.sampleShape.reduce((a, b) => a * b, 1);
  const x = new Float32Array(indices.length * size);
  const y = new Uint8Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    x.set(data.x.subarray(indices[i] * size, (indices[i] + 1) * size), i * size);
    y[i] = data.y[indices[i]];
  }
  return { x, y, sampleShape: data.sampleShape };
}
