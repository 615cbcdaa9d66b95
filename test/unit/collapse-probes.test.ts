/**
 * The measurements behind notebook 04's collapse study (#18): a classifier's dead units and logit
 * spread, the ranks' weight divergence, and the simulator recording both per epoch.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import * as tf from "@tensorflow/tfjs-core";
import { weightDivergence } from "../../lib/buffers";
import {
  collapseCells,
  collapseCsvName,
  defaultCollapseStudy,
  finalEpochs,
  readCollapseTrace,
} from "../../lib/experiments";
import { classifierHealth } from "../../lib/metrics";
import { buildMlp, buildSqueezeNet } from "../../lib/models";
import { simulateScaling, simulationTrace } from "../../lib/parallel";
import { writeCsv } from "../../lib/report";
import { projectRoot, useBackend } from "../../lib/runtime";
import { evaluate, probeClassifierHealth, type ArrayData } from "../../lib/train";
import { cicidsTask } from "../helpers/tasks";

test("classifierHealth: dead units, zero outputs and the logits' spread, by hand", () => {
  // Unit 0 is zero for all three inputs (dead); unit 1 fires for two.
  const acts = Float32Array.from([0, 1, 0, 0, 0, 2]);
  // Logit standard deviations across the two classes: 0, 1 and 2.
  const logits = Float32Array.from([1, 1, 0, 2, 3, -1]);
  const h = classifierHealth(acts, logits, 3);
  assert.equal(h.samples, 3);
  assert.equal(h.deadUnits, 0.5);
  assert.equal(h.zeroOutputs, 4 / 6);
  assert.equal(h.logitSpread, 1);
  assert.equal(h.maxAbsLogit, 3);
  assert.throws(() => classifierHealth(acts, logits, 4), /do not split into 4 inputs/);
});

test("weightDivergence: agreeing ranks, opposite ranks, and the norm averaging keeps", () => {
  const same = weightDivergence([Float32Array.of(1, 2), Float32Array.of(1, 2)]);
  assert.deepEqual(same, { rmsDistance: 0, relative: 0, normKept: 1 });
  // Orthogonal unit vectors: the mean (0.5, 0.5) is 0.707 long and each rank 0.707 from it.
  const ortho = weightDivergence([Float32Array.of(1, 0), Float32Array.of(0, 1)]);
  assert.ok(Math.abs(ortho.rmsDistance - Math.SQRT1_2) < 1e-12);
  assert.ok(Math.abs(ortho.relative - 1) < 1e-12);
  assert.ok(Math.abs(ortho.normKept - Math.SQRT1_2) < 1e-12);
  assert.throws(() => weightDivergence([Float32Array.of(1), Float32Array.of(1, 2)]), /differ in length/);
});

test("a dead classifier ReLU gives the paper's signature: uniform logits, loss exactly ln 10", async () => {
  await useBackend("cpu");
  const n = 20;
  const x = new Float32Array(n * 32 * 32);
  for (let i = 0; i < x.length; i++) x[i] = (i % 97) / 97;
  const data: ArrayData = { x, y: Uint8Array.from({ length: n }, (_, i) => i % 10), sampleShape: [32, 32, 1] };
  for (const classifierRelu of [true, false]) {
    const model = buildSqueezeNet({ inputShape: [32, 32, 1], classes: 10, init: "he", classifierRelu, seed: 1 });
    // Push every conv10 pre-activation far below zero, as a bad averaged update would.
    const [kernel, bias] = model.getLayer("conv10").getWeights();
    model.getLayer("conv10").setWeights([kernel, tf.fill(bias.shape, -100)]);
    const health = probeClassifierHealth(model, "conv10", data);
    const { loss } = evaluate(model, data, 10);
    if (classifierRelu) {
      assert.equal(health.deadUnits, 1);
      assert.equal(health.logitSpread, 0);
      assert.ok(Math.abs(loss - Math.log(10)) < 1e-6, `loss ${loss}`);
    } else {
      assert.equal(health.deadUnits, 0, "without the ReLU a negative logit is still a logit");
      assert.ok(health.logitSpread > 0);
    }
    model.dispose();
  }
});

test("simulateScaling records per epoch the ranks' divergence before averaging and root's probed health", async () => {
  await useBackend("cpu");
  const data = cicidsTask(480, 400, 5);
  const build = (seed: number) => buildMlp({ inputShape: [78], hidden: [16], classes: 15, dropout: 0, seed });
  const run = (sync: "epoch-average" | "allreduce") =>
    simulateScaling(build, data, {
      nps: [2],
      sync: { kind: sync },
      epochs: 2,
      batchPerRank: 16,
      learningRate: 3e-3,
      probeLayer: "dense_0",
    });
  const [averaged] = await run("epoch-average");
  assert.deepEqual(
    averaged.history.map((h) => h.epoch),
    [0, 1, 2],
  );
  assert.equal(averaged.history[0].divergence, null);
  for (const h of averaged.history.slice(1)) {
    assert.ok(h.divergence!.relative > 0, "two ranks on different shards drift apart within an epoch");
    assert.ok(h.divergence!.normKept < 1);
    assert.ok(h.health!.samples === 80 && h.health!.zeroOutputs > 0 && h.health!.logitSpread > 0);
  }
  assert.equal(averaged.history[2].testAccuracy, averaged.testAccuracy);
  const [synchronous] = await run("allreduce");
  for (const h of synchronous.history.slice(1))
    assert.ok(h.divergence!.relative < 1e-6, `allreduce ranks hold one model (${h.divergence!.relative})`);
  const trace = simulationTrace([averaged, synchronous]);
  assert.equal(trace.length, 6);
  assert.ok(Number.isNaN(trace[0].rankDivergence) && trace[1].rankDivergence > 0);
  await assert.rejects(
    simulateScaling(build, data, { nps: [1], sync: { kind: "allreduce" }, epochs: 1, probeLayer: "conv10" }),
    /has no layer "conv10" to probe; its layers: .*dense_0/,
  );
});

test("reference/collapse/run.sh runs exactly the cells of experiments.collapseCells", () => {
  const script = readFileSync(join(projectRoot(), "reference", "collapse", "run.sh"), "utf8");
  const runs = [...script.matchAll(/^\s*run (\S+) (\S+) "?([\d,$a-z]+)"?\s*$/gm)].map(([, model, sync, nps]) => ({
    model,
    sync,
    nps: nps === "$all" ? [1, 2, 4, 8, 16, 24, 48] : nps.split(",").map(Number),
  }));
  assert.deepEqual(
    runs,
    collapseCells.map(({ model, sync, nps }) => ({ model, sync, nps })),
  );
  assert.match(script, /--subset 20000 --test 2000 --epochs 5 --batch 12 --lr 5e-4/);
  assert.equal(defaultCollapseStudy.subset, 20000);
  assert.equal(defaultCollapseStudy.epochs, 5);
});

test("readCollapseTrace reads what simulate-scaling --csv writes and names the file and line of a bad row", () => {
  const dir = mkdtempSync(join(tmpdir(), "collapse-"));
  const rows = [
    {
      np: 2,
      sync: "epoch-average",
      epoch: 0,
      testAccuracy: NaN,
      testLoss: NaN,
      trainLoss: NaN,
      rankDivergence: NaN,
      normKept: NaN,
      deadUnits: 0.3,
      zeroOutputs: 0.4,
      logitSpread: 0.1,
      maxAbsLogit: 0.7,
    },
    {
      np: 2,
      sync: "epoch-average",
      epoch: 1,
      testAccuracy: 0.5,
      testLoss: 1.2,
      trainLoss: 1.4,
      rankDivergence: 0.01,
      normKept: 0.99,
      deadUnits: 0.3,
      zeroOutputs: 0.5,
      logitSpread: 2,
      maxAbsLogit: 9,
    },
  ];
  const good = join(dir, "good.csv");
  writeCsv(
    good,
    rows.map((r) => ({ model: "squeezenet-he", ...r })),
  );
  const read = readCollapseTrace(good);
  assert.deepEqual(
    read,
    rows.map((r) => ({ model: "squeezenet-he", ...r })),
  );
  assert.deepEqual(finalEpochs(read), [read[1]]);
  const bad = join(dir, "bad.csv");
  writeFileSync(bad, readFileSync(good, "utf8").replace("0.5,1.2", "half,1.2"));
  assert.throws(() => readCollapseTrace(bad), new RegExp(`${bad}:3: testAccuracy is "half", not a number`));
  writeFileSync(bad, "np,epoch\n1,0\n");
  assert.throws(() => readCollapseTrace(bad), /bad\.csv: not a simulate-scaling --csv file \(no column testAccuracy/);
});

test("the committed full-profile results hold every cell's runs: each np, epochs 0 to 5", () => {
  for (const cell of collapseCells) {
    const trace = readCollapseTrace(join(projectRoot(), "reference", "collapse", collapseCsvName(cell)));
    assert.ok(
      trace.every((r) => r.model === cell.model && r.sync === cell.sync),
      cell.model,
    );
    for (const np of cell.nps)
      assert.deepEqual(
        trace.filter((r) => r.np === np).map((r) => r.epoch),
        [0, 1, 2, 3, 4, 5],
        `${cell.model} ${cell.sync} np = ${np}`,
      );
  }
});
