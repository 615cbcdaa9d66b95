import assert from "node:assert/strict";
import { test } from "node:test";
import {
  applyStandardizer,
  fashionMnistOrSynthetic,
  fitStandardizer,
  selectImages,
  selectRows,
  stratifiedSubset,
  syntheticCicids,
} from "../../lib/data";
import { buildCnn, buildMlp, parameterCount } from "../../lib/models";
import { useBackend } from "../../lib/runtime";
import { balancedClassWeights, learningRateAt, projectEpoch, toArrayData, train } from "../../lib/train";
import { defaultTrainConfig } from "../../lib/train/config";
import { trainLoop } from "../../lib/train/loop";

test("MLP on Fashion-MNIST (real when installed): loss falls, accuracy far above chance, reproducible", async () => {
  await useBackend();
  const ds = fashionMnistOrSynthetic();
  const data = {
    train: toArrayData(selectImages(ds.train, stratifiedSubset(ds.train.labels, 3000, 1))),
    val: toArrayData(selectImages(ds.test, stratifiedSubset(ds.test.labels, 1000, 1))),
    classNames: ds.train.classNames,
  };
  const run = async () => {
    const losses: number[] = [];
    const model = buildMlp({ inputShape: [28, 28, 1], hidden: [64], classes: 10, dropout: 0.1, seed: 3 });
    const result = await train(model, data, { epochs: 2, progress: "none", onStep: (_s, l) => losses.push(l) });
    return { result, losses };
  };
  const a = await run();
  const mean = (xs: number[]): number => xs.reduce((s, v) => s + v, 0) / xs.length;
  assert.ok(mean(a.losses.slice(-10)) < mean(a.losses.slice(0, 10)) * 0.6, "loss falls");
  assert.ok(a.result.report.accuracy > 0.7, `accuracy ${a.result.report.accuracy} on ${ds.name} (chance 0.1)`);
  const b = await run();
  assert.deepEqual(b.losses, a.losses, "same seeds, same backend: identical loss curve (dropout included)");
});

test("MLP on 78 CICIDS features (synthetic schema) with balanced class weights", async () => {
  await useBackend();
  const ds = syntheticCicids({ rows: 4000, seed: 2 });
  const x = { ...ds, features: applyStandardizer(fitStandardizer(ds.features, ds.featureNames), ds.features) };
  const model = buildMlp({ inputShape: [78], hidden: [64, 64], classes: 15, dropout: 0 });
  assert.equal(parameterCount(model), 78 * 64 + 64 + 64 * 64 + 64 + 64 * 15 + 15);
  const idx = Int32Array.from({ length: 4000 }, (_, i) => i);
  const result = await train(
    model,
    {
      train: toArrayData(selectRows(x, idx.subarray(0, 3000))),
      val: toArrayData(selectRows(x, idx.subarray(3000))),
      classNames: ds.classNames,
    },
    { epochs: 3, classWeights: "balanced", progress: "none" },
  );
  assert.ok(result.report.accuracy > 0.9, `accuracy ${result.report.accuracy}`);
  assert.equal(result.history.length, 3);
  assert.ok(result.samplesPerSec > 0 && result.peakRssMB > 0);
});

test("schedules, class weights and projections are pure and match their definitions", () => {
  assert.ok(Math.abs(learningRateAt({ kind: "constant" }, 0.1, 5, 10) - 0.06) < 1e-15, "warm-up ramps linearly");
  assert.equal(learningRateAt({ kind: "step", everySteps: 10, factor: 0.5 }, 0.1, 25), 0.025);
  assert.ok(Math.abs(learningRateAt({ kind: "cosine", totalSteps: 100 }, 0.1, 50) - 0.05) < 1e-12);
  assert.equal(learningRateAt({ kind: "cosine", totalSteps: 100 }, 0.1, 100), 0);
  assert.deepEqual(balancedClassWeights([0, 0, 0, 1], 3), [4 / 6, 2, 0]);
  const p = projectEpoch([9, 9, 1, 1, 1, 1, 1, 2], 32, 3200);
  assert.equal(p.steps, 100);
  assert.equal(p.seconds.mid, 100);
  assert.ok(p.seconds.low <= p.seconds.mid && p.seconds.mid <= p.seconds.high);
});

test("the FedAvg paper's CNN has its 1,663,370 parameters on 28×28×1 and refuses flat inputs", () => {
  // conv 5×5×1×32 + 32, conv 5×5×32×64 + 64, dense 7·7·64×512 + 512, dense 512×10 + 10.
  assert.equal(parameterCount(buildCnn({})), 832 + 51264 + 1606144 + 5130);
  assert.equal(buildCnn({}).outputs[0].shape.join(","), ",10");
  assert.throws(
    () => buildCnn({ inputShape: [78] }),
    /takes images \[height, width, channels\], got input shape \[78\]/,
  );
});

for (const backend of ["cpu", "wasm"] as const)
  test(`${backend}: SGD follows its learning-rate schedule (a step to 0 after the first epoch stops the weights)`, async () => {
    await useBackend(backend);
    const raw = syntheticCicids({ rows: 240, seed: 5 });
    const ds = { ...raw, features: applyStandardizer(fitStandardizer(raw.features, raw.featureNames), raw.features) };
    const rows = Int32Array.from({ length: 240 }, (_, i) => i);
    const data = {
      train: toArrayData(selectRows(ds, rows.subarray(0, 200))),
      val: toArrayData(selectRows(ds, rows.subarray(200))),
      classNames: ds.classNames,
    };
    const model = buildMlp({ inputShape: [78], hidden: [16], classes: 15, dropout: 0, seed: 2 });
    const initial = model.getWeights().map((w) => Array.from(w.dataSync()));
    const perEpoch: number[][][] = [];
    await trainLoop(
      model,
      data,
      {
        ...defaultTrainConfig,
        epochs: 2,
        batchSize: 50,
        optimizer: "sgd",
        momentum: 0,
        learningRate: 0.01,
        schedule: { kind: "step", everySteps: 4, factor: 0 }, // 4 steps per epoch
        warmupSteps: 0,
        progress: "none",
      },
      { name: "mlp", config: null },
      [{ onEpochEnd: () => void perEpoch.push(model.getWeights().map((w) => Array.from(w.dataSync()))) }],
    );
    assert.notDeepEqual(perEpoch[0], initial, "the first epoch trains");
    assert.deepEqual(perEpoch[1], perEpoch[0], "learning rate 0 in the second epoch");
    model.dispose();
  });
