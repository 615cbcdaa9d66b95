/**
 * Layer-split distributed inference (seed 002): valid cut points of any ONNX model, stage
 * extraction, profiling on this device, partitioners (equal, PipeEdge's DP, latency) and a
 * pipeline of MPI ranks with the seed's per-device metrics.
 */
export {
  analyzeGraph,
  blocksBetweenCuts,
  findCuts,
  topologicalOrder,
  type CutPoint,
  type GraphAnalysis,
} from "./graph";
export { declaredTypes, extractStage, stageBoundary, type PositionRange, type TensorType } from "./extract";
export { elementCount, nodeFlops, segmentStatics, tensorBytes, type SegmentStatics } from "./costs";
export { profileModel, type CutInfo, type ModelProfile, type ProfileOptions } from "./profile";
export {
  equalPartitioner,
  finishPlan,
  latencyPartitioner,
  partitioners,
  pipeedgePartitioner,
  stageCost,
  transferMs,
  type BlockCost,
  type DeviceSpec,
  type LinkModel,
  type Partitioner,
  type Plan,
  type PlanRequest,
  type StagePlan,
} from "./partition";
export { gigabitEthernet, localDevices, parseDevices } from "./devices";
export { microbatchRanges, wallClockMs, type DeviceReport, type PipelineJob, type PipelineResult } from "./job";
export { planProfile, prepareJob, readPlan, runPipeline, type PipelineRunOptions, type PlanOptions } from "./launch";
export { defaultRebalanceConfig, Rebalancer, type RebalanceConfig, type RebalanceProposal } from "./rebalance";
