/**
 * Federated strategies and partitioners against hand-computed vectors; each aggregation test fails
 * if the averaging is replaced by "keep the first client's (or the server's) weights".
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  coordinateMedian,
  FedAvg,
  FedAvgM,
  FedOpt,
  FedProx,
  labelHistogram,
  parsePartition,
  parseStrategy,
  partitionLabels,
  projectRound,
  sampleSize,
  trimmedMean,
  weightedMean,
} from "../../lib/federated";

const f32 = (...v: number[]): Float32Array => Float32Array.from(v);
const close = (got: ArrayLike<number>, want: number[], tol = 1e-6): void =>
  want.forEach((w, i) => assert.ok(Math.abs(got[i] - w) <= tol, `[${i}] ${got[i]} vs ${w}`));

test("weighted mean, coordinate median and trimmed mean by hand", () => {
  close(weightedMean([f32(1, 2), f32(3, 4)], [1, 3]), [2.5, 3.5]);
  close(coordinateMedian([f32(1, 10), f32(2, 20), f32(100, 30)]), [2, 20]);
  close(coordinateMedian([f32(1), f32(2), f32(4), f32(100)]), [3]);
  close(trimmedMean([f32(-50), f32(1), f32(3), f32(70)], 0.25), [2]);
  assert.throws(() => weightedMean([f32(1), f32(1, 2)], [1, 1]), /differ in length/);
  assert.throws(() => weightedMean([], []), /no client results/);
});

test("FedAvg weights by examples; FedProx is FedAvg plus proximal_mu in the fit config", () => {
  const results = [
    { parameters: f32(0, 4), numExamples: 30 },
    { parameters: f32(10, 8), numExamples: 10 },
  ];
  close(new FedAvg().aggregateFit(f32(99, 99), results), [2.5, 5]);
  const prox = new FedProx(0.01);
  assert.deepEqual(prox.fitConfig(), { proximal_mu: 0.01 });
  close(prox.aggregateFit(f32(99, 99), results), [2.5, 5]);
  assert.deepEqual(new FedAvg().fitConfig(), {});
});

test("FedAvgM: server momentum on the pseudo-gradient, round after round", () => {
  const s = new FedAvgM(1, 0.9);
  const w1 = s.aggregateFit(f32(1), [{ parameters: f32(0), numExamples: 1 }]);
  close(w1, [0]); // pseudo-gradient 1, velocity 1
  const w2 = s.aggregateFit(w1, [{ parameters: f32(-1), numExamples: 1 }]);
  close(w2, [-1.9]); // velocity 0.9·1 + 1
});

test("FedAdagrad, FedAdam, FedYogi: one server step from Δ = 1 (η, β₁ = 0.9, β₂ = 0.99, τ = 1e-3)", () => {
  const step = (opt: "adagrad" | "adam" | "yogi"): number =>
    new FedOpt(opt).aggregateFit(f32(0), [{ parameters: f32(1), numExamples: 5 }])[0];
  close([step("adam")], [(0.1 * 0.1) / (0.1 + 1e-3)]); // m = 0.1, v = 0.01
  close([step("yogi")], [(0.01 * 0.1) / (0.1 + 1e-3)]); // v = 0 − 0.01·1·sign(0 − 1)
  close([step("adagrad")], [(0.1 * 0.1) / (1 + 1e-3)]); // v = 1
  const adam = new FedOpt("adam");
  const a1 = adam.aggregateFit(f32(0), [{ parameters: f32(1), numExamples: 1 }]);
  const a2 = adam.aggregateFit(a1, [{ parameters: a1, numExamples: 1 }]); // Δ = 0: momentum keeps moving
  close(a2, [a1[0] + (0.1 * 0.09) / (Math.sqrt(0.99 * 0.01) + 1e-3)]);
});

test("strategies and partitions parse as typed on the command line; Flower's sample size", () => {
  assert.equal(parseStrategy("fedprox:0.1").name, "fedprox");
  assert.equal(parseStrategy("fedyogi").name, "fedyogi");
  assert.throws(() => parseStrategy("fedprox"), /needs μ/);
  assert.throws(() => parseStrategy("fedsgd"), /unknown strategy/);
  assert.deepEqual(parsePartition("pathological:2"), { kind: "pathological", classesPerClient: 2 });
  assert.throws(() => parsePartition("dirichlet"), /positive number/);
  assert.equal(sampleSize(10, 0.1, 2), 2);
  assert.equal(sampleSize(100, 0.1, 2), 10);
});

test("partitions cover every sample exactly once; non-IID ones are skewed as specified; seeded", () => {
  const labels = Uint8Array.from({ length: 2000 }, (_, i) => i % 10);
  const skew = (parts: Int32Array[]): number => {
    const h = labelHistogram(labels, parts, 10);
    return (
      h.reduce(
        (s, row) =>
          s +
          Math.max(...row) /
            Math.max(
              1,
              row.reduce((a, b) => a + b, 0),
            ),
        0,
      ) / h.length
    );
  };
  const results: Record<string, number> = {};
  for (const spec of ["iid", "dirichlet:0.1", "dirichlet:1", "pathological:2", "shard:2"]) {
    const parts = partitionLabels(labels, 10, parsePartition(spec), 3);
    const all = Array.from(parts.flatMap((p) => Array.from(p))).sort((a, b) => a - b);
    assert.deepEqual(
      all,
      Array.from({ length: 2000 }, (_, i) => i),
      `${spec}: each sample once`,
    );
    assert.deepEqual(partitionLabels(labels, 10, parsePartition(spec), 3), parts, `${spec}: same seed, same partition`);
    results[spec] = skew(parts);
  }
  assert.ok(results.iid < 0.15, `IID: largest class share ${results.iid}`);
  assert.ok(
    results["dirichlet:0.1"] > results["dirichlet:1"] && results["dirichlet:1"] > results.iid,
    JSON.stringify(results),
  );
  for (const row of labelHistogram(labels, partitionLabels(labels, 10, parsePartition("pathological:2"), 3), 10)) {
    assert.equal(row.filter((c) => c > 0).length, 2, "pathological:2 → exactly two classes per client");
  }
});

test("a projected round: parallel training, transfers through the slower link, aggregation by throughput", () => {
  // 8 clients × 10 MB over a 1 Gbit/s server link: 0.64 s each way; training 32 × 2.37 s.
  const cost = projectRound({
    clients: 8,
    parameterBytes: 10e6,
    secondsPerBatch: 2.37,
    batchesPerRound: 32,
    clientMbps: 1000,
    serverMbps: 1000,
    aggregateMBps: 2000,
  });
  close([cost.trainSeconds, cost.transferSeconds, cost.aggregateSeconds], [75.84, 1.28, 0.04], 1e-9);
  close([cost.overheadFraction], [(1.28 + 0.04) / 75.84], 1e-12);
  // One client on Wi-Fi: its own 50 Mbit/s link is the bottleneck (1.6 s each way).
  close(
    [
      projectRound({
        clients: 1,
        parameterBytes: 10e6,
        secondsPerBatch: 1,
        batchesPerRound: 1,
        clientMbps: 50,
        serverMbps: 1000,
        aggregateMBps: 1e9,
      }).transferSeconds,
    ],
    [3.2],
    1e-9,
  );
});
