/** Training: the engine and its pure loop, callbacks, batches, evaluation, schedules, class weights, checkpoints, projections. */
export { adam, FusedAdamOptimizer, fusedAdamUnavailable } from "./adam";
export { FusedMomentumOptimizer, sgd } from "./momentum";
export { type ArrayData, selectSamples, toArrayData } from "./batches";
export {
  type CheckpointState,
  hasCheckpoint,
  loadCheckpoint,
  type LoadedCheckpoint,
  saveCheckpoint,
} from "./checkpoint";
export { balancedClassWeights } from "./class-weights";
export { clipByGlobalNorm, clipWithNorm, globalNorm } from "./clip";
export { train } from "./engine";
export {
  defaultTrainConfig,
  type EpochLog,
  type ModelIdentity,
  type StepEvent,
  type SyncHooks,
  type TrainConfig,
  type TrainData,
  type TrainingCallback,
  type TrainingState,
  type TrainResult,
} from "./config";
export { checkDivergence, trainLoop, TrainingDivergedError } from "./loop";
export { changedHyperparameters, checkpointer, type CheckpointerConfig } from "./checkpointer";
export { earlyStopping, type EarlyStoppingConfig } from "./early-stopping";
export { historyCsv } from "./history-writer";
export { resourceUsage, type ResourceUsage } from "./resources";
export { evaluate } from "./evaluate";
export { type FrozenSplit, splitFrozenPrefix } from "./frozen-prefix";
export {
  bindingLine,
  defaultHeadroom,
  largestBatch,
  measureStepMemory,
  type MemoryLine,
  type StepMemory,
  stepBytes,
  wasmHeapLimitBytes,
} from "./step-memory";
export { classifierHealthCallback, probeClassifierHealth } from "./health-probe";
export { autoProgress, progressCallback, type ProgressEvent, type ProgressReporter, silentProgress } from "./progress";
export { type EpochProjection, formatDuration, projectEpoch } from "./projection";
export { learningRateAt, type Schedule } from "./schedule";
export {
  defaultTabNetTrainConfig,
  type TabNetEpoch,
  tabNetOptimizer,
  tabNetStep,
  type TabNetStepResult,
  type TabNetTrainConfig,
  type TabularArrays,
  trainTabNet,
} from "./tabnet";
export {
  type LoadedTabNet,
  loadTabNetCheckpoint,
  resumeTabNet,
  saveTabNetCheckpoint,
  tabNetFromCheckpoint,
} from "./tabnet-checkpoint";
export {
  hasXGBoostCheckpoint,
  loadXGBoostCheckpoint,
  saveXGBoostCheckpoint,
  type XGBoostCheckpoint,
} from "./xgboost-checkpoint";
export { type TabularBaselineConfig, type TabularBaselineRun, trainTabularBaseline } from "./tabular-baselines";
