/**
 * The slice of a tfjs backend that edgelab's own kernels use: make a float32 output, and view a
 * tensor's values in place (wasm: on the heap; cpu: the backend's JS array).
 */
import type * as tf from "@tensorflow/tfjs-core";

/** Outputs and views on one backend. */
export interface KernelMemory {
  output(shape: number[]): tf.TensorInfo;
  /** On wasm, take views only after every output is made: allocation may move the heap. */
  view(t: tf.TensorInfo): Float32Array;
}

/** wasm: outputs live on the heap. */
export function wasmKernelMemory(backend: unknown): KernelMemory {
  const b = backend as {
    makeOutput(shape: number[], dtype: string): tf.TensorInfo;
    typedArrayFromHeap(t: tf.TensorInfo): Float32Array;
  };
  return { output: (shape) => b.makeOutput(shape, "float32"), view: (t) => b.typedArrayFromHeap(t) };
}

/** cpu: outputs are JS arrays registered with the backend. */
export function cpuKernelMemory(backend: unknown): KernelMemory {
  const b = backend as {
    makeTensorInfo(shape: number[], dtype: string, values?: Float32Array): tf.TensorInfo;
    data: { get(id: object): { values: Float32Array } };
  };
  return {
    output: (shape) => b.makeTensorInfo(shape, "float32", new Float32Array(shape.reduce((a, c) => a * c, 1))),
    view: (t) => b.data.get(t.dataId).values,
  };
}
