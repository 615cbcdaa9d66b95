/**
 * edgelab's training-mode batch norm (two-pass kernels on cpu and wasm), activations and
 * squeeze-and-excitation ops against tfjs' own composition, and the running statistics against
 * PyTorch's update rule.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { activationBackward, activationForward } from "../../lib/kernels/activation";
import { activationKernels } from "../../lib/kernels/activation-simd";
import { batchNormBackward, batchNormForward } from "../../lib/kernels/batch-norm";
import { batchNormTraining } from "../../lib/kernels/batch-norm-op";
import { batchNormSimdLoops } from "../../lib/kernels/batch-norm-simd";
import { channelScale, spatialMean } from "../../lib/kernels/channel-ops";
import { BatchNorm2d, torchActivation, type TorchActivationKind } from "../../lib/models";
import { Rng } from "../../lib/random";
import { useBackend } from "../../lib/runtime";

const rng = new Rng(3);
const random = (n: number, scale = 1, offset = 0): Float32Array =>
  Float32Array.from({ length: n }, () => offset + scale * rng.normal());
const maxRelDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let scale = 1e-6;
  let worst = 0;
  for (let i = 0; i < a.length; i++) scale = Math.max(scale, Math.abs(a[i]));
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst / scale;
};

for (const backend of ["cpu", "wasm"] as const) {
  test(`${backend}: batchNormTraining's output, statistics and gradients (x, γ, β) equal tfjs' composition`, async () => {
    await useBackend(backend);
    for (const shape of [
      [4, 5, 6, 7],
      [2, 3, 3, 16],
      [16, 1, 1, 3],
    ]) {
      const n = shape.reduce((a, b) => a * b, 1);
      const c = shape[3];
      const x = tf.tensor(random(n, 2, 0.5), shape);
      const gamma = tf.tensor1d(random(c, 0.3, 1));
      const beta = tf.tensor1d(random(c, 0.1));
      const probe = tf.tensor(random(n), shape);
      const reference = (xs: tf.Tensor, g: tf.Tensor, b: tf.Tensor): tf.Tensor => {
        const { mean, variance } = tf.moments(xs, [0, 1, 2]);
        return tf.batchNorm(xs, mean, variance, b as tf.Tensor1D, g as tf.Tensor1D, 1e-5);
      };
      const ours = (xs: tf.Tensor, g: tf.Tensor, b: tf.Tensor): tf.Tensor =>
        batchNormTraining(xs, g as tf.Tensor1D, b as tf.Tensor1D, 1e-5).y;
      const values = [reference, ours].map((f) => {
        const loss = (xs: tf.Tensor, g: tf.Tensor, b: tf.Tensor): tf.Scalar => tf.sum(tf.mul(f(xs, g, b), probe));
        const grads = tf.grads(loss)([x, gamma, beta]);
        return [f(x, gamma, beta), ...grads].map((t) => t.dataSync() as Float32Array);
      });
      ["y", "dx", "dγ", "dβ"].forEach((what, i) =>
        assert.ok(
          maxRelDiff(values[0][i], values[1][i]) < 1e-4,
          `${shape.join("×")} ${what}: ${maxRelDiff(values[0][i], values[1][i])}`,
        ),
      );
      const { mean, variance } = batchNormTraining(x, gamma, beta, 1e-5);
      const moments = tf.moments(x, [0, 1, 2]);
      assert.ok(maxRelDiff(moments.mean.dataSync(), mean.dataSync()) < 1e-5);
      assert.ok(maxRelDiff(moments.variance.dataSync(), variance.dataSync()) < 1e-5);
      tf.dispose([x, gamma, beta, probe, mean, variance, moments.mean, moments.variance]);
    }
  });
}

test("BatchNorm2d updates running statistics as PyTorch does (momentum on the new batch, unbiased variance) and infers with them", async () => {
  await useBackend("wasm");
  const input = tfl.input({ shape: [3, 3, 2] });
  const layer = new BatchNorm2d({ epsilon: 1e-5, momentum: 0.1 });
  const model = tfl.model({ inputs: input, outputs: layer.apply(input) as tfl.SymbolicTensor });
  const values = random(2 * 3 * 3 * 2, 3, 1);
  const x = tf.tensor(values, [2, 3, 3, 2]);
  tf.dispose(model.apply(x, { training: true }) as tf.Tensor);
  const [, , runningMean, runningVar] = layer.getWeights().map((w) => w.dataSync());
  for (let c = 0; c < 2; c++) {
    const column = Array.from(values).filter((_, i) => i % 2 === c);
    const mean = column.reduce((a, b) => a + b, 0) / column.length;
    const unbiased = column.reduce((a, b) => a + (b - mean) ** 2, 0) / (column.length - 1);
    assert.ok(Math.abs(runningMean[c] - 0.1 * mean) < 1e-5, `mean ${runningMean[c]} vs ${0.1 * mean}`);
    assert.ok(
      Math.abs(runningVar[c] - (0.9 + 0.1 * unbiased)) < 1e-4,
      `var ${runningVar[c]} vs ${0.9 + 0.1 * unbiased}`,
    );
  }
  const inferred = (model.apply(x, { training: false }) as tf.Tensor).dataSync();
  const expected = Array.from(values).map((v, i) => (v - runningMean[i % 2]) / Math.sqrt(runningVar[i % 2] + 1e-5));
  assert.ok(maxRelDiff(expected, inferred) < 1e-5);
  model.dispose();
  x.dispose();
});

for (const backend of ["cpu", "wasm"] as const) {
  test(`${backend}: squeeze-and-excitation's spatial mean and channel scaling equal tfjs' composition, values and gradients (4 and 6 channels)`, async () => {
    await useBackend(backend);
    for (const [n, h, w, c] of [
      [3, 5, 7, 8],
      [2, 4, 3, 6], // not a multiple of 4: the JS loops on wasm too
    ]) {
      const x = tf.tensor4d(random(n * h * w * c), [n, h, w, c]);
      const s = tf.tensor4d(random(n * c), [n, 1, 1, c]);
      const probe = tf.tensor4d(random(n * h * w * c), [n, h, w, c]);
      const probeMean = tf.tensor4d(random(n * c), [n, 1, 1, c]);
      const cases: [
        string,
        (a: tf.Tensor4D, b: tf.Tensor4D) => tf.Tensor,
        (a: tf.Tensor4D, b: tf.Tensor4D) => tf.Tensor,
      ][] = [
        // (b enters the mean case with weight 0 so that both cases have two gradients)
        [
          "mean",
          (a, b) => tf.mul(spatialMean(a), tf.add(probeMean, tf.mul(b, 0))),
          (a, b) => tf.mul(tf.mean(a, [1, 2], true), tf.add(probeMean, tf.mul(b, 0))),
        ],
        ["scale", (a, b) => tf.mul(channelScale(a, b), probe), (a, b) => tf.mul(tf.mul(a, b), probe)],
      ];
      for (const [what, ours, reference] of cases) {
        const [got, want] = [ours, reference].map((f) =>
          tf.tidy(() => {
            const grads = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(f(a as tf.Tensor4D, b as tf.Tensor4D)))([
              x,
              s,
            ]);
            return [f(x, s).dataSync(), ...grads.map((g) => g.dataSync())];
          }),
        );
        for (let k = 0; k < got.length; k++)
          assert.ok(maxRelDiff(want[k], got[k]) < 1e-5, `${what} ${["value", "dx", "ds"][k]} ${[n, h, w, c]}`);
      }
      tf.dispose([x, s, probe, probeMean]);
    }
  });
}

test("ReLU, ReLU6, hard-swish, hard-sigmoid and SiLU as single ops: values and gradients equal tfjs' composition away from the kinks", async () => {
  await useBackend("wasm");
  const x = tf.tensor1d(Float32Array.from({ length: 400 }, (_, i) => -8 + i * 0.04 + 0.013));
  const composed: Record<TorchActivationKind, (v: tf.Tensor) => tf.Tensor> = {
    relu: (v) => tf.maximum(v, 0), // not tf.relu, whose gradient is edgelab's (tested below)
    relu6: (v) => tf.relu6(v),
    hardswish: (v) => tf.mul(v, tf.div(tf.relu6(tf.add(v, 3)), 6)),
    hardsigmoid: (v) => tf.div(tf.relu6(tf.add(v, 3)), 6),
    silu: (v) => tf.mul(v, tf.sigmoid(v)),
  };
  for (const kind of ["relu", "relu6", "hardswish", "hardsigmoid", "silu"] as const) {
    const [ref, ours] = [composed[kind], (v: tf.Tensor) => torchActivation(kind, v)].map((f) => [
      f(x).dataSync(),
      tf
        .grad((v: tf.Tensor) => tf.sum(tf.mul(f(v), tf.sin(v))))(x)
        .dataSync(),
    ]);
    assert.ok(maxRelDiff(ref[0], ours[0]) < 1e-6, `${kind} values`);
    assert.ok(maxRelDiff(ref[1], ours[1]) < 1e-5, `${kind} gradients: ${maxRelDiff(ref[1], ours[1])}`);
  }
  x.dispose();
});

test("batch-norm SIMD loops on a wasm memory are bit-identical to the JS loops; channels not a multiple of 4 are declined", () => {
  const api = (
    globalThis as unknown as { WebAssembly: { Memory: new (d: { initial: number }) => { buffer: ArrayBuffer } } }
  ).WebAssembly;
  const memory = new api.Memory({ initial: 64 });
  let top = 1 << 20;
  const heap = {
    memory,
    offset: () => 0,
    allocate: () => {
      throw new Error("unused");
    },
    reserveScratch: () => 64,
  };
  const loops = batchNormSimdLoops(heap);
  if (loops instanceof Error) throw loops;
  const onHeap = (values: Float32Array): Float32Array => {
    const view = new Float32Array(memory.buffer, top, values.length);
    top += 4 * values.length + 16;
    view.set(values);
    return view;
  };
  for (const [rows, c] of [
    [50, 8],
    [7, 12],
    [33, 96],
  ]) {
    top = 1 << 20;
    const x = onHeap(random(rows * c, 2, 0.5));
    const dy = onHeap(random(rows * c));
    const gamma = random(c, 0.3, 1);
    const beta = random(c, 0.1);
    const outputs = () => ({
      y: onHeap(new Float32Array(rows * c)),
      dx: onHeap(new Float32Array(rows * c)),
      stats: [new Float32Array(c), new Float32Array(c), new Float32Array(c)],
      grads: [new Float32Array(c), new Float32Array(c)],
    });
    const [js, simd] = [outputs(), outputs()];
    batchNormForward(x, gamma, beta, 1e-5, js.y, ...(js.stats as [Float32Array, Float32Array, Float32Array]));
    assert.ok(loops.prepare!(c));
    batchNormForward(
      x,
      gamma,
      beta,
      1e-5,
      simd.y,
      ...(simd.stats as [Float32Array, Float32Array, Float32Array]),
      loops,
    );
    const [mean, , invStd] = js.stats;
    batchNormBackward(dy, x, gamma, mean, invStd, js.dx, js.grads[0], js.grads[1]);
    batchNormBackward(dy, x, gamma, mean, invStd, simd.dx, simd.grads[0], simd.grads[1], loops);
    assert.deepEqual(simd.y, js.y, `${rows}×${c} y`);
    assert.deepEqual(simd.stats, js.stats, `${rows}×${c} statistics`);
    assert.deepEqual(simd.dx, js.dx, `${rows}×${c} dx`);
    assert.deepEqual(simd.grads, js.grads, `${rows}×${c} dγ, dβ`);
  }
  assert.equal(loops.prepare!(6), false);
  assert.throws(() => loops.columnSums(new Float32Array(8), new Float64Array(8)), /views on the wasm heap/);
});

for (const backend of ["cpu", "wasm"] as const)
  test(`${backend}: tf.relu's gradient is one edgelab kernel (no Step, Cast, Multiply) with tfjs' values`, async () => {
    await useBackend(backend);
    const x = tf.tensor1d(Float32Array.from({ length: 1001 }, (_, i) => Math.sin(i * 0.37) * 3));
    const dy = tf.tensor1d(Float32Array.from({ length: 1001 }, (_, i) => Math.cos(i * 0.11)));
    const ours = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.relu(v), dy)));
    const profile = await tf.profile(() => ours(x));
    const kernels = profile.kernels.map((k) => k.name);
    assert.ok(kernels.includes("EdgelabTorchActivationGrad"), kernels.join(", "));
    assert.ok(!kernels.includes("Step"), kernels.join(", "));
    const want = tf.mul(dy, tf.cast(tf.step(x), "float32")).dataSync(); // tfjs' own formula
    // equal values; tfjs' product gives −0 where dy < 0 and x ≤ 0, the single kernel +0
    const plusZero = (a: ArrayLike<number>): number[] => Array.from(a, (v) => v + 0);
    assert.deepEqual(plusZero(ours(x).dataSync()), plusZero(want));
    tf.dispose([x, dy]);
  });

test("ReLU, ReLU6, hard-swish and hard-sigmoid SIMD loops equal the JS loops (odd lengths, the kinks at 0, ±3 and 6, NaN, −0); SiLU runs the JS loop", () => {
  const api = (
    globalThis as unknown as { WebAssembly: { Memory: new (d: { initial: number }) => { buffer: ArrayBuffer } } }
  ).WebAssembly;
  const memory = new api.Memory({ initial: 16 });
  const kernels = activationKernels(memory);
  if (kernels instanceof Error) throw kernels;
  for (const n of [1, 7, 64, 403]) {
    const values = Float32Array.from({ length: n }, (_, i) => -8 + (16 * i) / Math.max(1, n - 1));
    if (n > 10) values.set([-3, 3, NaN, 0, -0, 6], 3);
    const views = [0, 1, 2, 3].map((k) => new Float32Array(memory.buffer, k * 4096, n));
    const [x, dy, y, dx] = views;
    x.set(values);
    dy.set(random(n));
    for (const kind of ["relu", "relu6", "hardswish", "hardsigmoid", "silu"] as const) {
      const [yRef, dxRef] = [new Float32Array(n), new Float32Array(n)];
      activationForward(kind, x, yRef);
      activationBackward(kind, x, dy, dxRef);
      kernels.forward(kind, x, y);
      kernels.backward(kind, x, dy, dx);
      // SIMD multiplies by a rounded 1/6 where JS divides by 6: at most a few ulps apart.
      for (const [got, want, what] of [
        [y, yRef, "y"],
        [dx, dxRef, "dx"],
      ] as const)
        for (let i = 0; i < n; i++)
          assert.ok(
            Object.is(got[i], want[i]) || Math.abs(got[i] - want[i]) <= 1e-6 * Math.max(1, Math.abs(want[i])),
            `${kind} ${what}[${i}] at x = ${x[i]}: ${got[i]} vs ${want[i]}`,
          );
    }
  }
});
