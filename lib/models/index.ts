/** Models with typed configs, parameter counts and a registry by name. */
export { buildCnn, type CnnConfig, defaultCnnConfig } from "./cnn";
export { dropoutClock, DropoutClock, StepDropout } from "./dropout";
export { buildMlp, defaultMlpConfig, type MlpConfig, parameterCount } from "./mlp";
export {
  buildModel,
  type ModelCapabilities,
  modelEntry,
  type ModelEntry,
  modelNames,
  modelRegistry,
  type ModelShape,
  type Trainer,
} from "./registry";
export {
  buildSentinelNet,
  defaultSentinelNetConfig,
  type SentinelNetConfig,
  sentinelNetDebugConfig,
} from "./sentinelnet";
export { FusedLSTM, fusedLstm } from "./fused-lstm";
export { lstmLastHidden } from "./lstm-sequence";
export { sparsemax, sparsemaxGradReference, sparsemaxReference } from "./sparsemax";
export { buildSqueezeNet, defaultSqueezeNetConfig, type SqueezeNetConfig } from "./squeezenet";
export {
  type BatchNorm,
  defaultTabNetConfig,
  type FeatureTransformer,
  ghostBatchSizes,
  type GluLayer,
  TabNet,
  TABNET_BN_EPSILON,
  type TabNetConfig,
  type TabNetExplanation,
  type TabNetLayers,
  type TabNetOutput,
} from "./tabnet";
export { loadTabNetState, tabNetState, type TabNetState } from "./tabnet-state";
export { loadTorchStateDict, type TorchArray } from "./torch-weights";
export { makeDivisible, type VisionShape } from "./vision-builder";
export {
  BatchNorm2d,
  ChannelScale,
  SpatialMean,
  ChannelShuffle,
  ChannelSlice,
  StochasticDepth,
  TorchActivation,
  type TorchActivationKind,
  torchActivation,
} from "./vision-layers";
export { forwardMacs, type LayerMacs, layerMacs, trainingFlops } from "./flops";
export { freezeAllBut, type VisionModel, visionZoo } from "./vision-zoo";
export { boosterParams, defaultXGBoostParams, XGBoostClassifier, type XGBoostParams } from "./xgboost";
