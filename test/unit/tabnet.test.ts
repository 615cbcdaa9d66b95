import assert from "node:assert/strict";
import { test } from "node:test";
import * as tf from "@tensorflow/tfjs-core";
import "../../lib/runtime/tfjs";
import { TabNet, sparsemax, sparsemaxGradReference, sparsemaxReference } from "../../lib/models";
import { Rng } from "../../lib/random";
import { useBackend } from "../../lib/runtime";
import { trainTabNet } from "../../lib/train";

const rng = new Rng(21);

test("sparsemax forward matches the closed form: simplex projection with exact zeros (ties, scale, batch)", async () => {
  for (const backend of ["cpu", "wasm"] as const) {
    await useBackend(backend);
    const rows = [
      [0.5, 1.2, -0.3, 1.1],
      [3, 0, 0, 0], // one dominant entry → one-hot
      [1, 1, 1, 1], // ties → uniform
      [0.1, 0.2, 0.15, 0.12, 0.13], // small spread → dense
      Array.from({ length: 78 }, () => rng.normal() * 5), // a TabNet-sized row
      Array.from({ length: 10 }, () => rng.normal() * 100), // large magnitude
    ];
    for (const z of rows) {
      const ours = Array.from(tf.tidy(() => sparsemax(tf.tensor2d([z])).dataSync() as Float32Array));
      const ref = sparsemaxReference(z);
      ref.forEach((v, i) =>
        assert.ok(
          Math.abs(v - ours[i]) < 1e-5 * Math.max(1, Math.abs(z[i])),
          `${backend} ${JSON.stringify(z.slice(0, 4))}… [${i}]: ${ours[i]} vs ${v}`,
        ),
      );
      assert.ok(Math.abs(ours.reduce((a, b) => a + b, 0) - 1) < 1e-5, "sums to 1");
      assert.ok(
        ours.every((v) => v >= 0),
        "non-negative",
      );
    }
    assert.deepEqual(Array.from(tf.tidy(() => sparsemax(tf.tensor2d([[3, 0, 0, 0]])).dataSync())), [1, 0, 0, 0]);
    assert.deepEqual(
      Array.from(tf.tidy(() => sparsemax(tf.tensor2d([[1, 1, 1, 1]])).dataSync())),
      [0.25, 0.25, 0.25, 0.25],
    );
  }
});

test("sparsemax backward matches the closed-form Jacobian (I − 11ᵀ/|S|) on the support, zero elsewhere", async () => {
  await useBackend("cpu");
  for (let trial = 0; trial < 20; trial++) {
    const n = 3 + (trial % 9);
    const z = Array.from({ length: n }, () => rng.normal() * 2);
    const v = Array.from({ length: n }, () => rng.normal());
    const grad = tf.tidy(() =>
      tf
        .grad((x: tf.Tensor) => tf.sum(tf.mul(sparsemax(x), tf.tensor2d([v]))))(tf.tensor2d([z]))
        .dataSync(),
    );
    const ref = sparsemaxGradReference(z, v);
    ref.forEach((g, i) => assert.ok(Math.abs(g - grad[i]) < 1e-5, `trial ${trial} [${i}]: ${grad[i]} vs ${g}`));
  }
  // and against finite differences of the reference forward, away from kinks
  const z = [0.4, 1.3, -0.2, 1.0, 0.9];
  const v = [0.3, -1, 2, 0.5, 0.1];
  const f = (x: number[]): number => sparsemaxReference(x).reduce((s, p, i) => s + p * v[i], 0);
  const grad = tf.tidy(() =>
    tf
      .grad((x: tf.Tensor) => tf.sum(tf.mul(sparsemax(x), tf.tensor2d([v]))))(tf.tensor2d([z]))
      .dataSync(),
  );
  z.forEach((_, i) => {
    const h = 1e-5;
    const up = [...z];
    const down = [...z];
    up[i] += h;
    down[i] -= h;
    assert.ok(Math.abs((f(up) - f(down)) / (2 * h) - grad[i]) < 1e-3, `finite difference [${i}]`);
  });
});

test("TabNet keeps pytorch-tabnet 4.1's defaults", () => {
  const model = new TabNet({ features: 78, classes: 15 });
  assert.deepEqual(
    [
      model.config.nD,
      model.config.nA,
      model.config.nSteps,
      model.config.gamma,
      model.config.nIndependent,
      model.config.nShared,
      model.config.momentum,
      model.config.virtualBatchSize,
    ],
    [8, 8, 3, 1.3, 2, 2, 0.02, 128],
  );
  model.dispose();
});

test("TabNet learns a planted rule and its importances put the informative features on top; masks are sparse", async () => {
  await useBackend("wasm");
  const d = 16;
  const rows = 6000;
  const informative = [3, 11];
  const x = Float32Array.from({ length: rows * d }, () => rng.normal());
  const y = Uint8Array.from({ length: rows }, (_, r) => (x[r * d + 3] > 0 ? 1 : 0) + (x[r * d + 11] > 0 ? 2 : 0));
  const model = new TabNet({ features: d, classes: 4, seed: 3 });
  const cut = 5000;
  const { history } = await trainTabNet(
    model,
    { features: x.subarray(0, cut * d), labels: y.subarray(0, cut) },
    { epochs: 12, batchSize: 256, seed: 1 },
    { features: x.subarray(cut * d), labels: y.subarray(cut) },
  );
  assert.ok(history.at(-1)!.valAccuracy! > 0.8, `held-out accuracy ${history.at(-1)!.valAccuracy}`);
  assert.ok(history.at(-1)!.loss < history[0].loss, "loss falls");
  const explanation = model.explain(x.subarray(cut * d, (cut + 200) * d));
  const ranked = Array.from(explanation.global, (v, i) => [v, i])
    .sort((a, b) => b[0] - a[0])
    .map(([, i]) => i);
  assert.deepEqual(
    ranked.slice(0, 2).sort((a, b) => a - b),
    informative,
    `top features ${ranked.slice(0, 4)} (importances ${Array.from(explanation.global, (v) => v.toFixed(3))})`,
  );
  assert.ok(Math.abs(explanation.global.reduce((a, b) => a + b, 0) - 1) < 1e-4);
  assert.equal(explanation.stepMasks.length, 3);
  for (const m of explanation.stepMasks) {
    assert.equal(m.length, 200 * d);
    const zeros = m.filter((v) => v === 0).length / m.length;
    assert.ok(zeros > 0.3, `sparsemax masks have exact zeros (${(zeros * 100).toFixed(0)} %)`);
  }
  // inference is deterministic (running statistics, no ghost batches)
  const a = model.predictProba(x.subarray(0, 50 * d));
  const b = model.predictProba(x.subarray(0, 50 * d));
  assert.deepEqual(a, b);
  model.dispose();
});
