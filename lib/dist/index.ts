/** Distributed training on MPI: communicator, fused buffers, synchronisation strategies, data-parallel driver. */
export * from "./communicator";
export * from "./data-parallel";
export * from "./fuse";
export * from "./strategies";
export * from "./sweep";
export * from "./simulate";
export * from "./timed";
export * from "./virtual";
export * from "./watchdog";
export * from "./cost-model";
export * from "./paper";
export * from "./launch";
