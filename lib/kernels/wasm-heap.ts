/**
 * Direct access to tfjs-backend-wasm's heap for kernels that run outside its own module: the
 * exported `WebAssembly.Memory`, a tensor's byte offset, and fresh outputs. These are the
 * backend's internal fields (tfjs-backend-wasm 4.x); when they are missing this returns null and
 * callers use ordinary tfjs ops.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { WasmMemory } from "./wasm-module";

interface BackendInternals {
  wasm?: { asm?: { memory?: WasmMemory } };
  dataIdMap?: { get(dataId: object): { memoryOffset: number | null } | undefined };
  makeOutput?(shape: number[], dtype: string): tf.TensorInfo;
}

/** The active wasm backend's heap. */
export interface WasmHeap {
  memory: WasmMemory;
  /** Byte offset of a float32 tensor's data. */
  offset(t: tf.TensorInfo): number;
  /** A new float32 tensor of `shape` whose (uninitialised) data lives on the heap. */
  allocate(shape: number[]): tf.Tensor;
}

/** The heap of the active backend if it is tfjs' wasm backend, else null. */
export function activeWasmHeap(): WasmHeap | null {
  if (tf.getBackend() !== "wasm") return null;
  const backend = tf.backend() as unknown as BackendInternals;
  const memory = backend.wasm?.asm?.memory;
  const dataIdMap = backend.dataIdMap;
  const makeOutput = backend.makeOutput?.bind(backend);
  if (!memory || !dataIdMap || !makeOutput) return null;
  return {
    memory,
    offset(t) {
      const offset = dataIdMap.get(t.dataId)?.memoryOffset;
      if (offset === null || offset === undefined) throw new Error("tensor has no data on the wasm heap (disposed, or not on the wasm backend)");
      return offset;
    },
    allocate(shape) {
      return tf.engine().makeTensorFromTensorInfo(makeOutput(shape, "float32"));
    },
  };
}
