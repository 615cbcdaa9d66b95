/** Deployment: ONNX models with onnxruntime-node, .npy interop, latency benchmarks, export and INT8. */
export { benchmarkLatency, type LatencyBenchConfig, type LatencyBenchResult } from "./benchmark";
export { evaluateDeployed } from "./evaluate";
export { exportedModel, type ExportOptions, exportToOnnx } from "./export";
export { exportRun, type ExportRunResult } from "./export-run";
export { exportTabNetToOnnx } from "./export-tabnet";
export {
  encodeNpy,
  type NpyArray,
  npyAsFloat32,
  type NpyData,
  type NpyDtype,
  parseNpy,
  readNpy,
  writeNpy,
} from "./npy";
export { encodeNpz, parseNpz, readNpz, writeNpz } from "./npz";
export {
  decodeOnnx,
  describeOnnx,
  inspectOnnx,
  type OnnxInfo,
  onnxMetadata,
  type OnnxValueInfo,
  readOnnx,
} from "./onnx-model";
export { exportParity, type ParityResult } from "./parity";
export { attribute, DataType, encodeModel, GraphBuilder, valueInfo } from "./onnx-builder";
export {
  applyPreprocessing,
  metadataKeys,
  type ModelPreprocessing,
  preprocessingFromMetadata,
  preprocessingMetadata,
} from "./preprocess";
export {
  checkCalibration,
  quantizeDynamic,
  quantizePerChannel,
  type QuantizeReport,
  quantizeStatic,
  uint8Params,
} from "./quantize";
export { reinitializeWeights } from "./reinitialize";
export {
  DeployedModel,
  type DeployOptions,
  type OptimizationLevel,
  optimizationLevels,
  type RunResult,
  sessionOptions,
} from "./session";
