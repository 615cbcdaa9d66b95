/** Metrics: classification, latency/throughput, strong scaling, and a process/machine resource sampler. */
export * from "./classification";
export * from "./latency";
export * from "./sampler";
export * from "./scaling";
