import assert from "node:assert/strict";
import { test } from "node:test";
import {
  gatherBcastSeconds,
  gigabitPi4Cluster,
  paperTable2,
  projectScaling,
  ringAllreduceSeconds,
} from "../../lib/parallel";
import { scalingTable } from "../../lib/metrics";

const m = gigabitPi4Cluster;
const squeezeBytes = 727626 * 4;

test("ring allreduce and gather+bcast follow their α–β formulas", () => {
  assert.equal(ringAllreduceSeconds(squeezeBytes, 1, m), 0, "one node: shared memory only");
  const ring = ringAllreduceSeconds(squeezeBytes, 24, m);
  assert.ok(Math.abs(ring - (2 * 23 * 50e-6 + ((2 * 23) / 24) * (squeezeBytes / 125e6))) < 1e-12);
  const gb = gatherBcastSeconds(squeezeBytes, 24, m);
  assert.ok(Math.abs(gb - (23 + 5) * (50e-6 + squeezeBytes / 125e6)) < 1e-12);
});

test("projection: compute halves with np, epoch averaging barely communicates, allreduce does every step", () => {
  const nps = [2, 4, 8, 16, 48];
  const averaged = projectScaling(
    nps,
    { samples: 50000, epochs: 10, modelBytes: squeezeBytes, batchPerRank: 12, sync: { kind: "epoch-average" } },
    m,
  );
  const reduced = projectScaling(
    nps,
    { samples: 50000, epochs: 10, modelBytes: squeezeBytes, batchPerRank: 12, sync: { kind: "allreduce" } },
    m,
  );
  assert.equal(averaged[0].speedup, 1);
  assert.ok(Math.abs(averaged[1].computeSeconds - averaged[0].computeSeconds / 2) < 1e-9);
  assert.ok(averaged[4].efficiency > 0.99, "gather+bcast once per epoch is negligible at 1 GbE");
  const steps = Math.ceil(50000 / (12 * 48));
  assert.ok(
    Math.abs(reduced[4].communicationSeconds - 10 * steps * ringAllreduceSeconds(squeezeBytes, 24, m)) < 1e-9,
    "one ring allreduce per step",
  );
  assert.ok(
    Math.abs(averaged[4].communicationSeconds - 10 * gatherBcastSeconds(squeezeBytes, 24, m)) < 1e-9,
    "one gather + bcast per epoch",
  );
  assert.ok(reduced[4].communicationSeconds > averaged[4].communicationSeconds);
  assert.ok(reduced[4].efficiency < averaged[4].efficiency);
});

test("the paper's Table 2 speedups are consistent with its times", () => {
  const rows = scalingTable(
    paperTable2.map((r) => ({ np: r.np, seconds: r.seconds })),
    2,
  );
  rows.forEach((r, i) => assert.ok(Math.abs(r.speedup - paperTable2[i].speedup) < 1e-6, `np ${r.np}`));
});
