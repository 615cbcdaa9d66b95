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
export { alertQuality, alertsOverTime, replayThroughService, type AlertQuality, type ServiceReplay } from "./firewall-replay";
export { defaultFederatedClusterConfig, runFederatedCluster, type FederatedClusterConfig, type FederatedClusterResult } from "./federated-cluster";
