/**
 * Federated learning (seed 001): Flower's strategies over flat parameter buffers, partitioners
 * with Flower Datasets' semantics, and a one-process simulation with edgelab's training engine.
 */
export { coordinateMedian, trimmedMean, weightedMean } from "./aggregate";
export { labelHistogram, parsePartition, partitionLabels, type PartitionSpec } from "./partition";
export {
  defaultFederatedSimulation,
  simulateFederated,
  type FederatedSimulation,
  type RoundRow,
} from "./simulate";
export {
  defaultSampling,
  FedAvg,
  FedAvgM,
  FedMedian,
  FedOpt,
  FedProx,
  FedTrimmedAvg,
  parseStrategy,
  sampleSize,
  type FederatedStrategy,
  type FedOptConfig,
  type FitResult,
  type SamplingConfig,
  type ServerOptimizer,
} from "./strategies";
