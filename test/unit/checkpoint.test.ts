import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { applyStandardizer, fitStandardizer, selectRows, syntheticCicids } from "../../lib/data";
import { buildMlp } from "../../lib/models";
import { useBackend } from "../../lib/runtime";
import { loadCheckpoint, toArrayData, train, type TrainConfig } from "../../lib/train";
import { tempDir } from "../helpers/paths";

const ds = syntheticCicids({ rows: 1200, seed: 4 });
const x = { ...ds, features: applyStandardizer(fitStandardizer(ds.features, ds.featureNames), ds.features) };
const idx = Int32Array.from({ length: 1200 }, (_, i) => i);
const data = {
  train: toArrayData(selectRows(x, idx.subarray(0, 1000))),
  val: toArrayData(selectRows(x, idx.subarray(1000))),
  classNames: ds.classNames,
};
const modelConfig = { inputShape: [78], hidden: [32, 32], classes: 15, dropout: 0.2, seed: 11 };
const identity = { name: "mlp", config: modelConfig };
const base: Partial<TrainConfig> = {
  batchSize: 50,
  learningRate: 3e-3,
  schedule: { kind: "cosine", totalSteps: 80 },
  warmupSteps: 5,
  classWeights: "balanced",
  progress: "none",
};
const weightsOf = (m: ReturnType<typeof buildMlp>): number[][] => m.getWeights().map((w) => Array.from(w.dataSync()));

test("resume ends with exactly the weights of an uninterrupted run", async () => {
  await useBackend();
  const straight = buildMlp(modelConfig);
  const full = await train(straight, data, { ...base, epochs: 4 }, identity);

  const out = tempDir();
  const first = buildMlp(modelConfig);
  await train(first, data, { ...base, epochs: 2, outDir: out }, identity);
  const resumed = buildMlp({ ...modelConfig }); // a fresh process would rebuild from scratch too
  const second = await train(resumed, data, { ...base, epochs: 4, outDir: out, resume: true }, identity);

  assert.equal(second.resumedFromEpoch, 2);
  assert.deepEqual(weightsOf(resumed), weightsOf(straight), "bit-identical weights");
  assert.deepEqual(
    second.history.map((h) => h.trainLoss),
    full.history.map((h) => h.trainLoss),
  );
  assert.match(readFileSync(join(out, "history.csv"), "utf8").split("\n")[4], /^4,/, "history.csv has all 4 epochs");
});

test("a crash mid-epoch leaves the last good checkpoint intact and resumable", async () => {
  await useBackend();
  const out = tempDir();
  const crashing = buildMlp(modelConfig);
  await assert.rejects(
    train(
      crashing,
      data,
      {
        ...base,
        epochs: 3,
        outDir: out,
        onStep: (step) => {
          if (step === 30) throw new Error("power cut");
        },
      },
      identity,
    ),
    /power cut/,
  );
  const ckpt = loadCheckpoint(join(out, "checkpoints"));
  assert.equal(ckpt.state.epoch, 1, "epoch 1 is the last complete checkpoint (20 steps per epoch)");
  const resumed = buildMlp(modelConfig);
  await train(resumed, data, { ...base, epochs: 3, outDir: out, resume: true }, identity);
  const straight = buildMlp(modelConfig);
  await train(straight, data, { ...base, epochs: 3 }, identity);
  assert.deepEqual(weightsOf(resumed), weightsOf(straight));
});

test("a corrupted or mismatched checkpoint gives one clear error", async () => {
  await useBackend();
  const out = tempDir();
  await train(buildMlp(modelConfig), data, { ...base, epochs: 1, outDir: out }, identity);
  const weightsFile = join(out, "checkpoints", "epoch-0001", "weights.bin");
  await assert.rejects(
    train(
      buildMlp({ ...modelConfig, hidden: [16] }),
      data,
      { ...base, epochs: 2, outDir: out, resume: true },
      { name: "mlp", config: { ...modelConfig, hidden: [16] } },
    ),
    /checkpoint is for model mlp/,
  );
  const bytes = readFileSync(weightsFile);
  bytes[100] ^= 0xff;
  writeFileSync(weightsFile, bytes);
  await assert.rejects(
    train(buildMlp(modelConfig), data, { ...base, epochs: 2, outDir: out, resume: true }, identity),
    /weights\.bin: corrupted checkpoint \(SHA-256 does not match state\.json\)/,
  );
  writeFileSync(
    weightsFile,
    readFileSync(weightsFile).map((b, i) => (i === 100 ? b ^ 0xff : b)),
  );
  // Resuming with another learning rate or batch would silently train a different run.
  await assert.rejects(
    train(
      buildMlp(modelConfig),
      data,
      { ...base, learningRate: 1e-2, batchSize: 25, epochs: 2, outDir: out, resume: true },
      identity,
    ),
    /resuming with different hyperparameters \(batchSize: 50 → 25; learningRate: 0\.003 → 0\.01\); only the number of epochs may change/,
  );
  // An edited state.json (here the step count, which keys dropout masks) resumed to different weights.
  const stateFile = join(out, "checkpoints", "epoch-0001", "state.json");
  const original = readFileSync(stateFile, "utf8");
  writeFileSync(
    stateFile,
    original.replace(/"step": (\d+)/, (_, n: string) => `"step": ${Number(n) + 1}`),
  );
  assert.throws(
    () => loadCheckpoint(join(out, "checkpoints")),
    /state\.json: corrupted checkpoint \(the state was changed after it was saved/,
  );
  writeFileSync(stateFile, original);
  assert.equal(loadCheckpoint(join(out, "checkpoints")).state.epoch, 1, "restored: loads again");
  writeFileSync(join(out, "checkpoints", "latest.json"), "{not json");
  assert.throws(() => loadCheckpoint(join(out, "checkpoints")), /latest\.json: corrupted checkpoint pointer/);
});

test("non-trainable weights (batch-norm statistics) survive a resume too", async () => {
  await useBackend();
  const tfl = await import("@tensorflow/tfjs-layers");
  const build = () => {
    const m = tfl.sequential();
    m.add(
      tfl.layers.dense({ units: 8, inputShape: [78], kernelInitializer: tfl.initializers.glorotUniform({ seed: 3 }) }),
    );
    m.add(tfl.layers.batchNormalization());
    m.add(tfl.layers.dense({ units: 15, kernelInitializer: tfl.initializers.glorotUniform({ seed: 4 }) }));
    return m;
  };
  const id = { name: "bn", config: 1 };
  const straight = build();
  await train(straight, data, { ...base, epochs: 2 }, id);
  const out = tempDir();
  await train(build(), data, { ...base, epochs: 1, outDir: out }, id);
  const resumed = build();
  await train(resumed, data, { ...base, epochs: 2, outDir: out, resume: true }, id);
  assert.ok(straight.weights.length > straight.trainableWeights.length, "the model has non-trainable weights");
  assert.deepEqual(
    resumed.getWeights().map((w) => Array.from(w.dataSync())),
    straight.getWeights().map((w) => Array.from(w.dataSync())),
  );
});
