/** Deployment: ONNX models with onnxruntime-node, .npy interop, latency benchmarks, export and INT8. */
export * from "./benchmark";
export * from "./evaluate";
export * from "./export";
export * from "./export-run";
export * from "./export-tabnet";
export * from "./npy";
export * from "./npz";
export * from "./onnx-model";
export * from "./parity";
export * from "./onnx-builder";
export * from "./preprocess";
export * from "./quantize";
export * from "./reinitialize";
export * from "./session";
