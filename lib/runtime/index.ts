/** Environment detection, backend selection and thread configuration: detected once, asked everywhere. */
export {
  type BackendName,
  backendNames,
  type BackendStatus,
  detectBackends,
  preferredBackend,
  trainingBackend,
  useBackend,
} from "./backends";
export { cpuFrequencyMHz, cpuTemperatureC, type DeviceInfo, piModel, piThrottled, readDevice } from "./device";
export { environment, type Environment } from "./environment";
export {
  disabledLibrary,
  libraryPackages,
  librarySonames,
  packageVersion,
  probeLibrary,
  type LibraryProbe,
} from "../native/libraries";
export { formatBytes, maxInputBytes } from "./limits";
export {
  configureThreads,
  defaultThreadConfig,
  onnxThreadOptions,
  ranksOnThisNode,
  threadConfig,
  type ThreadConfig,
} from "./threads";
export { byProfile, packageRoot, profile, type Profile, projectRoot, resultsDir } from "./paths";
export { pythonHasModule, systemPython } from "./python";
