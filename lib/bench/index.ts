/** Benchmarks: throughput measurements and their peers (PyTorch, pandas, python-xgboost). */
export { type PairedRound, type PairedSummary, summarizePaired } from "./paired";
export { sgemmPeakGflops } from "./sgemm-peak";
export { type PeerOutcome, type PeerResult, torchTrainingPeer, xgboostPeer } from "./peers";
export {
  benchInputs,
  measureTrainingThroughput,
  openTrainingBench,
  type ThroughputConfig,
  type ThroughputResult,
  type ThroughputSegment,
  type TrainingBench,
} from "./throughput";
