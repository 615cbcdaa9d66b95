/** Sharding a dataset across ranks: strided (the paper's), contiguous, shuffled, stratified, Dirichlet non-IID. */
export { contiguousShard, shuffledShard } from "./contiguous";
export { type Partitioner, shardFor } from "./partitioner";
export { stridedShard } from "./strided";
export { dirichletShards, stratifiedShards } from "./stratified";
