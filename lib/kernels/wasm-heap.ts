/**
 * Direct access to tfjs-backend-wasm's heap for kernels that run outside its own module: the
 * exported `WebAssembly.Memory`, a tensor's byte offset, and fresh outputs. These are the
 * backend's internal fields (tfjs-backend-wasm 4.x); when they are missing this returns null and
 * callers use ordinary tfjs ops.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { WasmMemory } from "./wasm-module";

interface BackendInternals {
  wasm?: { asm?: { memory?: WasmMemory }; _malloc?(bytes: number): number; _free?(pointer: number): void };
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
  /**
   * Byte offset of a scratch block of at least `bytes`, kept for later calls (one per heap).
   * May grow the heap, which detaches existing views: take views afterwards.
   */
  reserveScratch(bytes: number): number;
}

const scratchBlocks = new WeakMap<WasmMemory, { pointer: number; bytes: number }>();

/** The heap of the active backend if it is tfjs' wasm backend, else null. */
export function activeWasmHeap(): WasmHeap | null {
  if (tf.getBackend() !== "wasm") return null;
  const backend = tf.backend() as unknown as BackendInternals;
  const memory = backend.wasm?.asm?.memory;
  const dataIdMap = backend.dataIdMap;
  const makeOutput = backend.makeOutput?.bind(backend);
  const malloc = backend.wasm?._malloc;
  const free = backend.wasm?._free;
  if (!memory || !dataIdMap || !makeOutput || !malloc || !free) return null;
  return {
    memory,
    offset(t) {
      const offset = dataIdMap.get(t.dataId)?.memoryOffset;
      if (offset === null || offset === undefined)
        throw new Error("tensor has no data on the wasm heap (disposed, or not on the wasm backend)");
      return offset;
    },
    allocate(shape) {
      return tf.engine().makeTensorFromTensorInfo(makeOutput(shape, "float32"));
    },
    reserveScratch(bytes) {
      const block = scratchBlocks.get(memory);
      if (block && block.bytes >= bytes) return block.pointer;
      if (block) free(block.pointer);
      // `>>> 0`: malloc returns a signed offset above 2 GB.
      const pointer = malloc(bytes) >>> 0;
      if (pointer === 0) throw new Error(`wasm heap: cannot allocate ${bytes} bytes of scratch`);
      scratchBlocks.set(memory, { pointer, bytes });
      return pointer;
    },
  };
}
