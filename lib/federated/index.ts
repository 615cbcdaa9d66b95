/**
 * Federated learning (seed 001): Flower's strategies over flat parameter buffers, partitioners
 * with Flower Datasets' semantics, a one-process simulation with edgelab's training engine, and a
 * server and client that speak Flower's `Join` protocol over gRPC.
 */
export { coordinateMedian, trimmedMean, weightedMean } from "../buffers/aggregate";
export { answerWith, runClient, type ClientApp } from "./client";
export {
  decodeInstruction,
  decodeReply,
  encodeInstruction,
  encodeReply,
  joinMethod,
  ProtocolError,
} from "./join-codec";
export { defaultJoinOptions, JoinClientTransport, JoinServerTransport, type JoinOptions } from "./join-transport";
export { flatWeights, localEvaluate, localFit, setFlatWeights, weightShapes, type LocalTraining } from "./local";
export { ModelClientApp, type ClientEvaluation, type ClientFit } from "./model-client";
export {
  DisconnectReason,
  ok,
  StatusCode,
  type ClientProxy,
  type ClientTransport,
  type Instruction,
  type Reply,
  type Scalar,
  type ScalarMap,
  type ServerTransport,
  type Status,
  type WireParameters,
} from "./protocol";
export { defaultServerConfig, serveFederated, type ServerConfig, type ServerRound } from "./server";
export { fromWire, numpyTensorType, splitTensors, toWire, wireBytes, type FlatParameters } from "./tensors";
export { labelHistogram, parsePartition, partitionLabels, type PartitionSpec } from "./partition";
export { defaultFederatedSimulation, simulateFederated, type FederatedSimulation, type RoundRow } from "./simulate";
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
export { projectRound, type RoundCost, type RoundCostInputs } from "./round-cost";
