/** Distributed training on MPI: communicator, synchronisation strategies, data-parallel driver. */
export { type Communicator, MpiCommunicator, SelfCommunicator, worldCommunicator } from "./communicator";
export { type DataParallelConfig, type DataParallelRow, trainDataParallel } from "./data-parallel";
export {
  allreduceGradients,
  assignFused,
  broadcastVariables,
  epochAverage,
  type EpochCommunication,
  fuseVariables,
  localSgd,
  meanOfRanks,
  parseSync,
  shardedEvaluation,
  synchronisation,
  type Synchronisation,
  type SyncStrategy,
} from "./strategies";
export {
  defaultScalingSimulation,
  type ScalingSimulation,
  type SimulatedEpoch,
  type SimulatedEpochRow,
  type SimulatedRow,
  simulateScaling,
  simulationTrace,
} from "./simulate";
export { TimedCommunicator } from "./timed";
export { virtualWorld } from "./virtual";
export { describeMpiFailure } from "./watchdog";
export {
  type ClusterModel,
  gatherBcastSeconds,
  gigabitPi4Cluster,
  type ProjectedRow,
  projectScaling,
  ringAllreduceSeconds,
  type Workload,
} from "./cost-model";
export {
  costTerms,
  type CostModelSpec,
  fitCostModel,
  type FittedCostModel,
  leaveOneOut,
  type TimedRun,
} from "./cost-fit";
export { paperTable1, paperTable2 } from "./paper";
