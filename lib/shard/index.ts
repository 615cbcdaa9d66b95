/** Sharding a dataset across ranks: strided (the paper's), contiguous, shuffled, stratified, Dirichlet non-IID. */
export * from "./contiguous";
export * from "./partitioner";
export * from "./strided";
export * from "./stratified";
