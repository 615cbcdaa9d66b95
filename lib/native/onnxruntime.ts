/**
 * onnxruntime-node, loaded on first use. Its package entry dlopens the native binding at once, so
 * importing it eagerly would make `import { shard } from "edgelab"` load onnxruntime's shared
 * library; every ONNX module imports types only and calls {@link onnxruntime} when it needs a value.
 */
import { createRequire } from "node:module";
import type * as Ort from "onnxruntime-node";

const requireHere = createRequire(__filename);
let loaded: typeof Ort | null = null;

/** The onnxruntime-node module (loaded, with its native binding, on the first call). */
export function onnxruntime(): typeof Ort {
  loaded ??= requireHere("onnxruntime-node") as typeof Ort;
  return loaded;
}
