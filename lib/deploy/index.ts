/** Deployment: ONNX models with onnxruntime-node, .npy interop, latency benchmarks, export and INT8. */
export * from "./benchmark";
export * from "./npy";
export * from "./onnx-model";
export * from "./preprocess";
export * from "./session";
