import assert from "node:assert/strict";
import { test } from "node:test";
import * as tf from "@tensorflow/tfjs-core";
import "../../lib/runtime/tfjs";
import { adamModuleBytes } from "../../lib/kernels/adam-simd";
import { sleb, uleb } from "../../lib/kernels/wasm-module";
import { buildSqueezeNet } from "../../lib/models";
import { useBackend } from "../../lib/runtime";
import { adam, fusedAdamUnavailable, sgd } from "../../lib/train";

test("LEB128 encoders give the spec's bytes", () => {
  assert.deepEqual(uleb(0), [0]);
  assert.deepEqual(uleb(624485), [0xe5, 0x8e, 0x26]);
  assert.deepEqual(sleb(-1), [0x7f]);
  assert.deepEqual(sleb(-16), [0x70]);
  assert.deepEqual(sleb(-123456), [0xc0, 0xbb, 0x78]);
  assert.deepEqual(sleb(64), [0xc0, 0x00]);
});

test("the Adam kernel is a valid wasm module and loads on the wasm backend", async () => {
  assert.ok(
    (globalThis as unknown as { WebAssembly: { validate(b: Uint8Array): boolean } }).WebAssembly.validate(
      adamModuleBytes,
    ),
  );
  await useBackend("wasm");
  assert.equal(fusedAdamUnavailable(), null);
  await useBackend("cpu");
  assert.match(fusedAdamUnavailable() ?? "", /not tfjs' wasm backend/);
});

/** Weights and optimizer state after `steps` Adam steps of a small SqueezeNet. */
async function trainSteps(
  makeOptimizer: () => tf.Optimizer,
  steps: number,
): Promise<{ weights: Float32Array[]; state: Float32Array[]; iterations: number }> {
  const model = buildSqueezeNet({ seed: 3, dropout: 0 });
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const optimizer = makeOptimizer();
  const xs = tf.randomUniform([5, 32, 32, 3], 0, 1, "float32", 5);
  const ys = tf.tidy(() => tf.oneHot(tf.tensor1d([1, 2, 3, 4, 9], "int32"), 10));
  for (let i = 0; i < steps; i++) {
    const { value, grads } = tf.variableGrads(
      () => tf.losses.softmaxCrossEntropy(ys, model.apply(xs, { training: true }) as tf.Tensor) as tf.Scalar,
      vars,
    );
    // An array of named gradients is accepted as well as a map; exercise both.
    (
      optimizer as unknown as { applyGradients(g: tf.NamedTensorMap | { name: string; tensor: tf.Tensor }[]): void }
    ).applyGradients(i % 2 ? grads : Object.entries(grads).map(([name, tensor]) => ({ name, tensor })));
    tf.dispose([value, ...Object.values(grads)]);
  }
  const saved = await optimizer.getWeights();
  const result = {
    weights: vars.map((v) => v.dataSync() as Float32Array),
    state: saved.slice(1).map((w) => w.tensor.dataSync() as Float32Array),
    iterations: (saved[0].tensor.dataSync() as Float32Array)[0],
  };
  tf.dispose([xs, ys, saved[0].tensor]);
  optimizer.dispose();
  model.dispose();
  return result;
}

test("fused Adam on wasm is bit-identical to tfjs' Adam (weights, moments, iterations) and leaks no tensors", async () => {
  await useBackend("wasm");
  const before = tf.memory().numTensors;
  const reference = await trainSteps(() => tf.train.adam(5e-4), 4);
  const fused = await trainSteps(() => adam(5e-4), 4);
  assert.equal(tf.memory().numTensors, before);
  assert.equal(fused.iterations, reference.iterations);
  assert.equal(fused.weights.length, 52);
  assert.equal(fused.state.length, 104);
  fused.weights.forEach((w, i) => assert.deepEqual(w, reference.weights[i], `weight ${i}`));
  fused.state.forEach((s, i) => assert.deepEqual(s, reference.state[i], `moment ${i}`));
  // Odd sizes exercise the scalar tail of the kernel: SqueezeNet's 10-class bias has 10 floats.
  assert.ok(fused.weights.some((w) => w.length % 4 !== 0));
});

test("fused SGD with momentum (0 and 0.9) on wasm is bit-identical to tfjs' MomentumOptimizer (weights, accumulations) and leaks no tensors", async () => {
  await useBackend("wasm");
  for (const momentum of [0, 0.9]) {
    const reference = await trainSteps(() => tf.train.momentum(0.05, momentum), 3);
    const before = tf.memory().numTensors; // tfjs' own leaves its −lr scalar: count from here
    const fused = await trainSteps(() => sgd(0.05, momentum), 3);
    assert.equal(tf.memory().numTensors, before);
    assert.equal(fused.iterations, reference.iterations);
    assert.equal(fused.state.length, 52);
    fused.weights.forEach((w, i) => assert.deepEqual(w, reference.weights[i], `momentum ${momentum}: weight ${i}`));
    fused.state.forEach((s, i) => assert.deepEqual(s, reference.state[i], `momentum ${momentum}: accumulation ${i}`));
    assert.ok(fused.weights.some((w) => w.length % 4 !== 0));
  }
});

test("fused Adam resumes from saved weights exactly as tfjs' Adam does", async () => {
  await useBackend("wasm");
  const w0 = tf.variable(tf.tensor1d([0.5, -1, 2, 3, -4, 5, 0.25]), true, "resume_w");
  const g = tf.variable(tf.tensor1d([0.1, -0.2, 0.3, 0, 1, -1, 2]), false);
  const first = adam(1e-2);
  for (let i = 0; i < 3; i++) first.applyGradients({ resume_w: g });
  const saved = await first.getWeights();
  const second = adam(1e-2);
  await second.setWeights(saved.map((w) => ({ name: w.name, tensor: w.tensor.clone() })));
  const reference = tf.train.adam(1e-2);
  await reference.setWeights(saved.map((w) => ({ name: w.name, tensor: w.tensor.clone() })));
  const start = w0.dataSync().slice();
  second.applyGradients({ resume_w: g });
  const ours = w0.dataSync().slice();
  w0.assign(tf.tensor1d(start));
  reference.applyGradients({ resume_w: g });
  assert.deepEqual(ours, w0.dataSync());
  tf.dispose([w0, g]);
  [first, second, reference].forEach((o) => o.dispose());
});
