import assert from "node:assert/strict";
import { test } from "node:test";
import {
  contiguousShard,
  dirichletShards,
  shardFor,
  shuffledShard,
  stratifiedShards,
  stridedShard,
} from "../../lib/shard";

function assertPartition(shards: Int32Array[], n: number): void {
  const seen = new Uint8Array(n);
  for (const shard of shards) for (const i of shard) seen[i]++;
  assert.ok(
    seen.every((c) => c === 1),
    "every index exactly once (disjoint and complete)",
  );
}

test("strided sharding is the paper's i mod N = r, balanced", () => {
  assert.deepEqual(Array.from(stridedShard(10, 3, 1)), [1, 4, 7]);
  const shards = Array.from({ length: 48 }, (_, r) => stridedShard(50000, 48, r));
  assertPartition(shards, 50000);
  assert.deepEqual(
    [...new Set(shards.map((s) => s.length))].sort(),
    [1041, 1042],
    "≈1,042 per rank at np = 48, as in the paper",
  );
  assert.equal(stridedShard(50000, 2, 0).length, 25000);
  assert.throws(() => stridedShard(10, 3, 3), /rank must be in 0..2/);
});

test("contiguous and shuffled shards are balanced partitions", () => {
  for (const world of [1, 3, 7]) {
    const c = Array.from({ length: world }, (_, r) => contiguousShard(100, world, r));
    const s = Array.from({ length: world }, (_, r) => shuffledShard(100, world, r, 42));
    assertPartition(c, 100);
    assertPartition(s, 100);
    const sizes = c.map((x) => x.length);
    assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1);
  }
  assert.deepEqual(
    Array.from(shuffledShard(100, 4, 2, 42)),
    Array.from(shuffledShard(100, 4, 2, 42)),
    "deterministic in the seed",
  );
});

test("stratified shards keep class proportions on every rank", () => {
  const labels = Uint8Array.from({ length: 1000 }, (_, i) => (i < 800 ? 0 : i < 950 ? 1 : 2));
  const shards = stratifiedShards(labels, 5, 1);
  assertPartition(shards, 1000);
  for (const shard of shards) {
    const counts = [0, 0, 0];
    for (const i of shard) counts[labels[i]]++;
    assert.ok(
      Math.abs(counts[0] - 160) <= 1 && Math.abs(counts[1] - 30) <= 1 && Math.abs(counts[2] - 10) <= 1,
      `counts ${counts}`,
    );
  }
});

test("Dirichlet shards partition the data; small alpha skews, large alpha does not", () => {
  const labels = Uint8Array.from({ length: 5000 }, (_, i) => i % 10);
  const classesPerRank = (alpha: number): number => {
    const shards = dirichletShards(labels, 10, alpha, 3);
    assertPartition(shards, 5000);
    return shards.map((s) => new Set(Array.from(s, (i) => labels[i])).size).reduce((a, b) => a + b, 0) / 10;
  };
  // "dominant": classes that hold at least 5 % of a rank's samples (IID would be 10 % each)
  const skew = (alpha: number): number => {
    const shards = dirichletShards(labels, 10, alpha, 3);
    return (
      shards
        .map((s) => {
          const counts = new Array(10).fill(0);
          for (const i of s) counts[labels[i]]++;
          return counts.filter((c) => c >= 0.05 * s.length).length;
        })
        .reduce((a, b) => a + b, 0) / 10
    );
  };
  assert.ok(classesPerRank(100) > 9.5);
  assert.ok(skew(0.1) < 4, `alpha 0.1 leaves few dominant classes per rank (got ${skew(0.1)})`);
  assert.ok(skew(100) > 8);
  assert.throws(() => dirichletShards(labels, 2, 0), /alpha must be > 0/);
});

test("shardFor dispatches every partitioner", () => {
  const labels = Uint8Array.from({ length: 30 }, (_, i) => i % 3);
  for (const p of [
    { kind: "strided" },
    { kind: "contiguous" },
    { kind: "shuffled", seed: 1 },
    { kind: "stratified", seed: 1 },
    { kind: "dirichlet", alpha: 1, seed: 1 },
  ] as const) {
    assertPartition(
      [0, 1, 2].map((r) => shardFor(p, labels, 3, r)),
      30,
    );
  }
});
