/** One interface over every sharding scheme, so trainers take a `Partitioner` config. */
import { contiguousShard, shuffledShard } from "./contiguous";
import { dirichletShards, stratifiedShards } from "./stratified";
import { stridedShard } from "./strided";

/** A sharding scheme as plain, serialisable config. */
export type Partitioner =
  | { kind: "strided" }
  | { kind: "contiguous" }
  | { kind: "shuffled"; seed: number }
  | { kind: "stratified"; seed: number }
  | { kind: "dirichlet"; alpha: number; seed: number };

/** The indices rank `rank` of `world` trains on under `partitioner`. */
export function shardFor(partitioner: Partitioner, labels: ArrayLike<number>, world: number, rank: number): Int32Array {
  const n = labels.length;
  switch (partitioner.kind) {
    case "strided":
      return stridedShard(n, world, rank);
    case "contiguous":
      return contiguousShard(n, world, rank);
    case "shuffled":
      return shuffledShard(n, world, rank, partitioner.seed);
    case "stratified":
      return stratifiedShards(labels, world, partitioner.seed)[rank];
    case "dirichlet":
      return dirichletShards(labels, world, partitioner.alpha, partitioner.seed)[rank];
  }
}
