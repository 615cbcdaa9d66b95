/** Distributed training on MPI: communicator, synchronisation strategies, data-parallel driver. */
export * from "./communicator";
export * from "./data-parallel";
export * from "./strategies";
export * from "./simulate";
export * from "./timed";
export * from "./virtual";
export * from "./watchdog";
export * from "./cost-model";
export * from "./paper";
