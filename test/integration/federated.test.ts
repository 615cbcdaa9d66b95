/**
 * `edgelab fl simulate` end to end: the --json contract, clients that fail, and a run resumed from
 * its per-round checkpoint that ends exactly where a straight run ends.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { debianFashionMnistDir } from "../../lib/data";
import { fails, json } from "../helpers/cli";
import { tempDir } from "../helpers/paths";

const dir = tempDir("edgelab-fl-");
const dataset = existsSync(debianFashionMnistDir) ? "fashion-mnist" : "synthetic-fashion";
const common = [
  "fl",
  "simulate",
  "--dataset",
  dataset,
  "--subset",
  "1200",
  "--clients",
  "4",
  "--partition",
  "dirichlet:0.5",
  "--seed",
  "2",
];

test("fl simulate: the --json contract, rounds that learn, failures counted", () => {
  const run = json(...common, "--rounds", "3", "--strategy", "fedavg");
  for (const key of ["strategy", "partition", "clients", "rounds"]) assert.ok(key in run, key);
  assert.equal(run.strategy, "fedavg");
  assert.equal(run.partition, "dirichlet:0.5");
  assert.equal(run.rounds.length, 3);
  for (const r of run.rounds)
    for (const key of [
      "round",
      "testAccuracy",
      "testLoss",
      "clientsSampled",
      "clientsFailed",
      "bytesUp",
      "bytesDown",
      "seconds",
    ])
      assert.ok(key in r, key);
  assert.ok(run.rounds[2].testAccuracy > 0.3, `accuracy after 3 rounds: ${run.rounds[2].testAccuracy}`);
  assert.equal(run.rounds[0].bytesDown, (4 * run.rounds[0].bytesUp) / (4 - run.rounds[0].clientsFailed));
  const flaky = json(...common, "--rounds", "2", "--strategy", "fedadam", "--fraction", "0.5", "--failure-rate", "0.5");
  assert.equal(flaky.rounds[0].clientsSampled, 2, "fraction 0.5 of 4, Flower's minimum 2");
  assert.ok(
    flaky.rounds.some((r: { clientsFailed: number }) => r.clientsFailed > 0),
    "a failure rate of 0.5 drops clients",
  );
  const slow = json(...common, "--rounds", "2", "--strategy", "fedavg", "--straggler-rate", "1");
  assert.deepEqual(
    slow.rounds.map((r: { clientsStraggling: number }) => r.clientsStraggling),
    [4, 4],
    "every sampled client straggles",
  );
  assert.ok(
    slow.rounds[0].bytesUp > 0 && slow.rounds[0].clientsFailed === 0,
    "partial work is aggregated, not dropped",
  );
  assert.notEqual(slow.rounds[1].testLoss, run.rounds[1].testLoss, "partial work changes the model");
  fails(/fl simulate: unknown partition "zipf"/, ...common, "--partition", "zipf");
  fails(/fl simulate: fedprox needs μ/, ...common, "--strategy", "fedprox");
});

test("fl simulate --out/--resume: 2 rounds then 1 more equal 3 straight rounds, server moments included", () => {
  const straight = json(...common, "--rounds", "3", "--strategy", "fedadam", "--out", join(dir, "straight"));
  json(...common, "--rounds", "2", "--strategy", "fedadam", "--out", join(dir, "resumed"));
  const resumed = json(...common, "--rounds", "3", "--strategy", "fedadam", "--out", join(dir, "resumed"), "--resume");
  assert.equal(resumed.rounds.length, 3);
  assert.equal(resumed.rounds[2].testAccuracy, straight.rounds[2].testAccuracy);
  assert.equal(resumed.rounds[2].testLoss, straight.rounds[2].testLoss);
  assert.equal(
    readFileSync(join(dir, "resumed", "history.csv"), "utf8")
      .trim()
      .split("\n").length,
    4,
    "header + 3 rounds",
  );
});
