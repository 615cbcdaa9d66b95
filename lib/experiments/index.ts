/** Application layer: studies and comparisons that notebooks and the CLI run, built from the domain folders. */
export {
  cutRows,
  measureSplit,
  partitionerRows,
  profileSeedModel,
  randomInputFile,
  seed002Models,
  seedModelFile,
  splitAccuracy,
  startCpuHog,
  throughputSeries,
  type MeasuredSplit,
} from "./layer-split";
export { prepareStudy, type Study } from "./study-data";
export {
  alertQuality,
  alertsOverTime,
  replayThroughService,
  type AlertQuality,
  type ServiceReplay,
} from "./firewall-replay";
export {
  defaultFederatedClusterConfig,
  runFederatedCluster,
  type FederatedClusterConfig,
  type FederatedClusterResult,
} from "./federated-cluster";
export { runTraining, type RunSpec, type RunSummary } from "./run-training";
export { compareTabularModels, type Comparison, type ComparisonRow, type ComparisonSpec } from "./compare";
export {
  defaultDebugRunConfig,
  piDebugRun,
  seedEpochEstimates,
  type DebugRunConfig,
  type DebugRunRow,
} from "./debug-run";
export {
  launchMpiTraining,
  mpiexecCommand,
  runUnderMpiexec,
  type MpiexecExit,
  type MpiLaunch,
  type MpiLaunchResult,
} from "./launch";
export { scaleSweep, type ScaleSweepConfig, type ScaleSweepRow } from "./sweep";
export {
  measureVisionCost,
  seed001SecondsPerBatch,
  trainOnRandomImages,
  type VisionCost,
  type VisionCostSpec,
} from "./vision-cost";
export {
  planVisionMemory,
  plannedBytes,
  runVisionStep,
  visionHeadroom,
  type VisionMemoryPlan,
  type VisionMemorySpec,
  type VisionStepRun,
} from "./vision-memory";
export {
  type CollapseCell,
  collapseCells,
  collapseCsvName,
  type CollapseStudyConfig,
  type CollapseTraceRow,
  defaultCollapseStudy,
  finalEpochs,
  readCollapseTrace,
  runCollapseStudy,
} from "./collapse";
