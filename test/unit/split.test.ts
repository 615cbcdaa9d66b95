import assert from "node:assert/strict";
import { test } from "node:test";
import {
  applyStandardizer,
  cicidsClassSizes,
  fitStandardizer,
  parseStandardizer,
  stratifiedSubset,
  trainValTestSplit,
} from "../../lib/data";

const imbalanced = (() => {
  const sizes = cicidsClassSizes(20000); // the real CICIDS imbalance, 15 classes
  const labels: number[] = [];
  sizes.forEach((s, c) => labels.push(...new Array(s).fill(c)));
  return Uint8Array.from(labels);
})();

test("the seed's 100-sample debug subset has every class and exactly 100 rows", () => {
  const subset = stratifiedSubset(imbalanced, 100, 7);
  assert.equal(subset.length, 100);
  assert.equal(new Set(subset).size, 100);
  assert.equal(new Set(Array.from(subset, (i) => imbalanced[i])).size, 15, "every class, Heartbleed included");
  const benign = Array.from(subset).filter((i) => imbalanced[i] === 0).length;
  assert.ok(benign > 60, "the majority class keeps the majority");
  assert.deepEqual(Array.from(stratifiedSubset(imbalanced, 100, 7)), Array.from(subset), "deterministic");
});

test("train/val/test split is a stratified partition", () => {
  const parts = trainValTestSplit(imbalanced, { train: 0.7, val: 0.15, test: 0.15 }, 1);
  const all = [...parts.train, ...parts.val, ...parts.test];
  assert.equal(all.length, imbalanced.length);
  assert.equal(new Set(all).size, imbalanced.length);
  for (const part of [parts.train, parts.val, parts.test])
    assert.equal(new Set(Array.from(part, (i) => imbalanced[i])).size, 15);
  assert.throws(() => trainValTestSplit(imbalanced, { train: 0.5, val: 0.1, test: 0.1 }), /sum to 1/);
});

test("standardisation: zero mean, unit variance on the fitted rows; constant columns map to 0", () => {
  const x = Float32Array.from([1, 5, 2, 5, 3, 5, 4, 5]);
  const s = fitStandardizer(x, ["a", "b"]);
  assert.ok(Math.abs(s.mean[0] - 2.5) < 1e-12 && Math.abs(s.std[0] - Math.sqrt(1.25)) < 1e-12 && s.std[1] === 1);
  const z = applyStandardizer(s, x);
  assert.ok(Math.abs(z[0] + 1.3416407) < 1e-6 && z[1] === 0);
  assert.deepEqual(parseStandardizer(JSON.parse(JSON.stringify(s))), s);
  assert.throws(() => parseStandardizer({ mean: [1] }, "model.json"), /model\.json: not a standardizer/);
});
