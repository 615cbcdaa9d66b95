/**
 * edgelab: train, scale and deploy small neural networks on Raspberry Pi-class devices.
 * Each domain is a namespace: `import { data, metrics, report } from "edgelab"`.
 */
export * as bench from "./bench";
export * as buffers from "./buffers";
export * as cluster from "./cluster";
export * as data from "./data";
export * as deploy from "./deploy";
export * as parallel from "./parallel";
export * as experiments from "./experiments";
export * as federated from "./federated";
export * as firewall from "./firewall";
export * as kernels from "./kernels";
export * as metrics from "./metrics";
export * as models from "./models";
export * as notebooks from "./notebooks";
export * as pipeline from "./pipeline";
export * as random from "./random";
export * as report from "./report";
export * as runtime from "./runtime";
export * as shard from "./shard";
export * as train from "./train";
