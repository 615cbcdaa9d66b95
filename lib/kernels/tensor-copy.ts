/**
 * Float32 tensors to and from one flat buffer without the garbage of `dataSync()`: on tfjs' wasm
 * backend the values are copied straight from and to the heap (wasm's `readSync` allocates a fresh
 * array per tensor, which for a data-parallel step's gradients is a model's worth of short-lived
 * memory per step, and `tf.tensor()` another). Elsewhere, the ordinary tfjs calls.
 */
import * as tf from "@tensorflow/tfjs-core";
import { activeWasmHeap } from "./wasm-heap";

interface RefCounting {
  refCount?(dataId: object): number;
}

/** Copies the tensors' values end to end into `out` (which must hold them all). */
export function copyTensorsInto(tensors: readonly tf.Tensor[], out: Float32Array): void {
  const heap = activeWasmHeap();
  let at = 0;
  for (const t of tensors) {
    if (at + t.size > out.length) throw new Error(`${at + t.size} values do not fit a buffer of ${out.length}`);
    if (heap && t.dtype === "float32") out.set(new Float32Array(heap.memory.buffer, heap.offset(t), t.size), at);
    else out.set(t.dataSync(), at);
    at += t.size;
  }
}

/**
 * Tensors holding consecutive slices of `buf`, shaped like `like`. Where a tensor of `like` owns
 * its data alone on the wasm heap (no other tensor shares it: not a reshape of another, not listed
 * twice), its data is overwritten in place and the same tensor is returned; otherwise a new tensor
 * is made. The caller disposes the tensors of `like` that were not returned.
 */
export function tensorsFrom(buf: Float32Array, like: readonly tf.Tensor[]): tf.Tensor[] {
  const heap = activeWasmHeap();
  const backend = tf.backend() as unknown as RefCounting;
  const seen = new Map<object, number>();
  for (const t of like) seen.set(t.dataId, (seen.get(t.dataId) ?? 0) + 1);
  let at = 0;
  return like.map((t) => {
    const part = buf.subarray(at, at + t.size);
    at += t.size;
    const alone = seen.get(t.dataId) === 1 && backend.refCount?.(t.dataId) === 1;
    if (heap && alone && t.dtype === "float32") {
      new Float32Array(heap.memory.buffer, heap.offset(t), t.size).set(part);
      return t;
    }
    return tf.tensor(part, t.shape, "float32");
  });
}
