import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { classificationReport, karpFlatt, latencyStats, percentileSorted, scalingTable } from "../../lib/metrics";
import { fixture } from "../helpers/paths";

const golden = JSON.parse(readFileSync(fixture("sklearn-metrics.json"), "utf8"));
const close = (a: number, b: number, what: string): void => assert.ok(Math.abs(a - b) < 1e-12, `${what}: ${a} vs ${b}`);

test("classification report matches scikit-learn (zero_division=0)", () => {
  const r = classificationReport(golden.yTrue, golden.yPred, ["a", "b", "c", "d", "e"]);
  close(r.accuracy, golden.accuracy, "accuracy");
  assert.deepEqual(r.confusion, golden.confusion);
  for (const avg of ["macro", "weighted"] as const)
    for (const k of ["precision", "recall", "f1"] as const) close(r[avg][k], golden[avg][k], `${avg} ${k}`);
  r.perClass.forEach((c, i) => {
    close(c.precision, golden.perClass.precision[i], `precision ${i}`);
    close(c.recall, golden.perClass.recall[i], `recall ${i}`);
    close(c.f1, golden.perClass.f1[i], `f1 ${i}`);
    assert.equal(c.support, golden.perClass.support[i]);
  });
});

test("latency percentiles match NumPy's default interpolation", () => {
  const stats = latencyStats(golden.latencies);
  close(stats.p50Ms, golden.percentiles["50"], "p50");
  close(stats.p95Ms, golden.percentiles["95"], "p95");
  close(stats.p99Ms, golden.percentiles["99"], "p99");
  assert.equal(percentileSorted([1, 2, 3, 4], 50), 2.5);
});

test("scaling reproduces the paper's Table 2 speedup and efficiency (np = 2 baseline)", () => {
  const rows = scalingTable([
    { np: 2, seconds: 5003.0 },
    { np: 4, seconds: 2535.56 },
    { np: 8, seconds: 2455.94 },
    { np: 48, seconds: 432.11 },
  ]);
  assert.ok(Math.abs(rows[1].speedup - 1.97313414) < 1e-8, "S4 as printed in the paper (8 decimals)");
  assert.ok(Math.abs(rows[1].efficiency - 0.9866) < 1e-4);
  assert.ok(Math.abs(rows[2].efficiency - 0.5093) < 1e-4);
  assert.ok(Math.abs(rows[3].speedup - 11.5780704) < 1e-6 && Math.abs(rows[3].efficiency - 0.4824) < 1e-4);
  assert.equal(rows[0].karpFlatt, null);
  close(karpFlatt(2, 2) ?? NaN, 0, "perfect scaling has no serial fraction");
  close(karpFlatt(1, 4) ?? NaN, 1, "no speedup is all serial");
});
