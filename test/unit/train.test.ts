import assert from "node:assert/strict";
import { test } from "node:test";
import { fashionMnistOrSynthetic, selectImages, selectRows, stratifiedSubset, syntheticCicids, fitStandardizer, applyStandardizer } from "../../lib/data";
import { buildMlp, parameterCount } from "../../lib/models";
import { useBackend } from "../../lib/runtime";
import { toArrayData, trainClassifier } from "../../lib/train";

test("MLP on Fashion-MNIST (real when installed): loss falls, accuracy far above chance, reproducible", async () => {
  await useBackend();
  const ds = fashionMnistOrSynthetic();
  const train = selectImages(ds.train, stratifiedSubset(ds.train.labels, 3000, 1));
  const test = selectImages(ds.test, stratifiedSubset(ds.test.labels, 1000, 1));
  const run = async () => {
    const model = buildMlp({ inputShape: [28, 28, 1], hidden: [64], classes: 10, dropout: 0, seed: 3 });
    const losses: number[] = [];
    const result = await trainClassifier(model, toArrayData(train), toArrayData(test), ds.train.classNames, { epochs: 2, batchSize: 32, onStep: (_s, l) => losses.push(l) });
    return { result, losses };
  };
  const a = await run();
  const first = a.losses.slice(0, 10).reduce((s, v) => s + v, 0) / 10;
  const last = a.losses.slice(-10).reduce((s, v) => s + v, 0) / 10;
  assert.ok(last < first * 0.6, `loss falls (${first.toFixed(3)} → ${last.toFixed(3)})`);
  assert.ok(a.result.report.accuracy > 0.7, `accuracy ${a.result.report.accuracy} on ${ds.name} (chance 0.1)`);
  assert.ok(a.result.history[1].valLoss < a.result.history[0].valLoss + 0.05);
  const b = await run();
  assert.deepEqual(b.losses, a.losses, "same seeds, same backend: identical loss curve");
});

test("MLP on 78 CICIDS features (synthetic schema) learns the majority of classes", async () => {
  await useBackend();
  const ds = syntheticCicids({ rows: 4000, seed: 2 });
  const s = fitStandardizer(ds.features, ds.featureNames);
  const x = { ...ds, features: applyStandardizer(s, ds.features) };
  const model = buildMlp({ inputShape: [78], hidden: [64, 64], classes: 15, dropout: 0 });
  assert.equal(parameterCount(model), 78 * 64 + 64 + 64 * 64 + 64 + 64 * 15 + 15);
  const idx = Int32Array.from({ length: 4000 }, (_, i) => i);
  const result = await trainClassifier(model, toArrayData(selectRows(x, idx.subarray(0, 3000))), toArrayData(selectRows(x, idx.subarray(3000))), ds.classNames, { epochs: 3 });
  assert.ok(result.report.accuracy > 0.9, `accuracy ${result.report.accuracy}`);
});
