import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { xgboostPeer } from "../../lib/bench/peers";
import { syntheticCicids } from "../../lib/data/synthetic";
import { XGBoostClassifier, boosterParams } from "../../lib/models/xgboost";
import { xgboost, xgboostUnavailableReason } from "../../lib/native/xgboost";
import { Rng } from "../../lib/random";
import { pythonHasModule } from "../../lib/runtime/python";
import { tempDir } from "../helpers/paths";

const noLib = xgboost() === null && `libxgboost is not installed: ${xgboostUnavailableReason()}`;
const dir = tempDir();

test(
  "XGBoost through libxgboost: trains, predicts probabilities, saves and loads the same model",
  { skip: noLib },
  () => {
    const ds = syntheticCicids({ rows: 3000, seed: 2 });
    const d = ds.featureNames.length;
    const classes = ds.classNames.length;
    const model = XGBoostClassifier.train(ds.features, ds.labels, d, classes, { rounds: 10, maxDepth: 4, nthread: 2 });
    const proba = model.predictProba(ds.features);
    assert.equal(proba.length, ds.labels.length * classes);
    for (let r = 0; r < 5; r++) {
      const sum = proba.subarray(r * classes, (r + 1) * classes).reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(sum - 1) < 1e-5, "rows are distributions");
    }
    assert.equal(model.rounds, 10);
    const again = XGBoostClassifier.load(model.save(), classes, d);
    assert.deepEqual(again.predictProba(ds.features), proba);
    const fromJson = XGBoostClassifier.load(model.save("json"), classes, d);
    assert.deepEqual(fromJson.predictProba(ds.features.subarray(0, 10 * d)), proba.subarray(0, 10 * classes));
    model.dispose();
    again.dispose();
    fromJson.dispose();
    assert.throws(() => model.predictProba(ds.features), /disposed/);
    assert.throws(() => XGBoostClassifier.train(ds.features, ds.labels, d + 1, classes), /feature values for/);
    assert.throws(
      () =>
        XGBoostClassifier.train(ds.features, ds.labels, d, classes, { treeMethod: "nonsense" as "hist", rounds: 1 }),
      /libxgboost .* failed: .*nonsense/s,
    );
  },
);

test("XGBoost gain importances put the planted informative features on top", { skip: noLib }, () => {
  const rng = new Rng(5);
  const rows = 4000;
  const d = 12;
  const x = Float32Array.from({ length: rows * d }, () => rng.normal());
  const y = Uint8Array.from(
    { length: rows },
    (_, r) => (x[r * d + 3] + 0.5 * x[r * d + 7] > 0 ? 1 : 0) + (x[r * d + 7] > 1 ? 1 : 0),
  );
  const names = Array.from({ length: d }, (_, i) => `f${i}`);
  const model = XGBoostClassifier.train(x, y, d, 3, { rounds: 20, maxDepth: 3 });
  const top = model
    .importances(names)
    .slice(0, 2)
    .map((r) => r.feature)
    .sort();
  assert.deepEqual(top, ["f3", "f7"]);
  model.dispose();
});

test(
  "XGBoost parity: the same predictions as python-xgboost for the same data and parameters",
  { skip: noLib || (!pythonHasModule("xgboost") && "python3-xgboost is not installed") },
  () => {
    const ds = syntheticCicids({ rows: 4000, seed: 9 });
    const d = ds.featureNames.length;
    const classes = ds.classNames.length;
    const params = { rounds: 15, maxDepth: 5, eta: 0.3, treeMethod: "hist" as const, seed: 0, nthread: 2 };
    const model = XGBoostClassifier.train(ds.features, ds.labels, d, classes, params);
    const ours = model.predictProba(ds.features);
    model.dispose();
    const peer = xgboostPeer(
      { features: ds.features, labels: ds.labels, featureCount: d },
      ds.features,
      boosterParams(params, classes),
      params.rounds,
      join(dir, "xgb"),
    );
    assert.ok(peer.ok, peer.ok ? "" : peer.reason);
    if (!peer.ok) return;
    let maxDiff = 0;
    for (let i = 0; i < ours.length; i++) maxDiff = Math.max(maxDiff, Math.abs(ours[i] - peer.probabilities[i]));
    assert.ok(maxDiff < 1e-6, `max probability difference ${maxDiff}`);
  },
);
