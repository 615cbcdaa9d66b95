/** Metrics: classification, latency/throughput, strong scaling, and a process/machine resource sampler. */
export {
  accuracy,
  argmaxRows,
  classificationReport,
  type ClassificationReport,
  confusionMatrix,
} from "./classification";
export { latencyStats, type LatencyStats, median, percentileSorted, throughput } from "./latency";
export {
  currentRssMB,
  peakRssMBFromKernel,
  type ResourceSample,
  ResourceSampler,
  type ResourceSummary,
} from "./sampler";
export { efficiency, karpFlatt, type ScalingPoint, type ScalingRow, scalingTable, speedup } from "./scaling";
export { type ClassifierHealth, classifierHealth } from "./classifier-health";
