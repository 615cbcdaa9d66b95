/**
 * TabNet against pytorch-tabnet: the same weights give the same logits, entropy term, loss and
 * gradients (float32 here, the reference in float64); two training steps (clip + Adam, ghost batch norm statistics) give the same weights
 * and running statistics. Always checked against golden vectors pytorch-tabnet 4.1.0 produced
 * (test/fixtures/tabnet/golden.json, made by bench/peers/tabnet_reference.py); also against a live
 * run of the reference with another seed when EDGELAB_TABNET_SRC points at its source.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import * as tf from "@tensorflow/tfjs-core";
import "../../lib/runtime/tfjs";
import { TabNet, ghostBatchSizes, loadTabNetState, tabNetState } from "../../lib/models";
import { DeployedModel, exportTabNetToOnnx } from "../../lib/deploy";
import { Rng } from "../../lib/random";
import { systemPython } from "../../lib/runtime/python";
import { useBackend } from "../../lib/runtime";
import { tabNetOptimizer, tabNetStep, trainTabNet } from "../../lib/train";
import { repoRoot } from "../helpers/paths";

interface Golden {
  reference: string;
  config: {
    features: number;
    classes: number;
    n_d: number;
    n_a: number;
    n_steps: number;
    gamma: number;
    n_independent: number;
    n_shared: number;
    virtual_batch_size: number;
    momentum: number;
    epsilon: number;
  };
  lambdaSparse: number;
  learningRate: number;
  clipNorm: number;
  initial: Record<string, number[]>;
  steps: {
    x: number[];
    y: number[];
    evalLogits: number[];
    evalEntropy: number;
    trainLogits: number[];
    entropy: number;
    crossEntropy: number;
    loss: number;
    gradNorm: number;
    grads: Record<string, number[]>;
    after: Record<string, number[]>;
  }[];
}

/**
 * |actual − expected| ≤ tol · max|expected| for every entry: errors relative to the tensor's scale,
 * as float32 arithmetic makes them (a relative test per entry fails on entries near 0 that are
 * sums of large terms). The golden cases are ones where PyTorch's own float32 run is within 1e-3.
 */
function close(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, tol: number): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let scale = 1e-6;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]));
  for (let i = 0; i < expected.length; i++) {
    assert.ok(
      Math.abs(actual[i] - expected[i]) <= tol * scale,
      `${what}[${i}]: ${actual[i]} vs pytorch-tabnet ${expected[i]} (tolerance ${tol} × ${scale.toPrecision(3)})`,
    );
  }
}

function checkAgainst(golden: Golden): void {
  const g = golden.config;
  const model = new TabNet({
    features: g.features,
    classes: g.classes,
    nD: g.n_d,
    nA: g.n_a,
    nSteps: g.n_steps,
    gamma: g.gamma,
    nIndependent: g.n_independent,
    nShared: g.n_shared,
    virtualBatchSize: g.virtual_batch_size,
    momentum: g.momentum,
    epsilon: g.epsilon,
  });
  loadTabNetState(model, golden.initial, golden.reference);
  const optimizer = tabNetOptimizer(golden.learningRate);
  const names = model.namedVariables();
  golden.steps.forEach((s, k) => {
    const rows = s.y.length;
    const xs = tf.tensor2d(s.x, [rows, g.features]);
    // inference mode: running statistics
    const evalOut = tf.tidy(() => {
      const out = model.forward(xs, false);
      return { logits: out.logits.dataSync(), entropy: out.entropy.dataSync()[0] };
    });
    close(evalOut.logits, s.evalLogits, `step ${k} eval logits`, 1e-4);
    close([evalOut.entropy], [s.evalEntropy], `step ${k} eval entropy`, 1e-4);
    // training mode: ghost batches; gradients of CE + λ·entropy
    const ys = tf.oneHot(tf.tensor1d(s.y, "int32"), g.classes);
    let trainLogits: Float32Array = new Float32Array();
    let parts = [0, 0];
    const { grads } = tf.variableGrads(() => {
      const out = model.forward(xs, true);
      trainLogits = out.logits.dataSync() as Float32Array;
      const ce = tf.losses.softmaxCrossEntropy(ys, out.logits);
      parts = [ce.dataSync()[0], out.entropy.dataSync()[0]];
      return tf.add(ce, tf.mul(out.entropy, golden.lambdaSparse)) as tf.Scalar;
    }, model.trainableVariables);
    model.discardStatistics();
    close(trainLogits, s.trainLogits, `step ${k} train logits`, 2e-3);
    close(parts, [s.crossEntropy, s.entropy], `step ${k} cross-entropy, entropy`, 2e-3);
    for (const [name, expected] of Object.entries(s.grads)) {
      if (name.startsWith("tabnet.initial_bn.")) continue; // pytorch-tabnet's unused batch norm
      const v = names.get(name);
      assert.ok(v, `pytorch-tabnet parameter ${name} has no edgelab counterpart`);
      const grad = grads[v.name];
      assert.ok(grad, `no gradient for ${name}`);
      const values = grad.dataSync();
      const torchLayout = v.rank === 2 ? tf.tidy(() => tf.transpose(grad).dataSync()) : values;
      close(torchLayout, expected, `step ${k} grad ${name}`, 5e-3);
    }
    tf.dispose([ys, ...Object.values(grads)]);
    // the step itself: same loss and norm, then the same weights and running statistics
    const result = tabNetStep(model, optimizer, xs, Int32Array.from(s.y), {
      lambdaSparse: golden.lambdaSparse,
      clipNorm: golden.clipNorm,
    });
    close([result.loss], [s.loss], `step ${k} loss`, 2e-3);
    close([result.gradNorm], [s.gradNorm], `step ${k} grad norm`, 2e-3);
    const after = tabNetState(model);
    for (const [name, expected] of Object.entries(s.after)) {
      if (name.startsWith("tabnet.initial_bn.")) continue;
      close(after[name], expected, `after step ${k}: ${name}`, 1e-3);
    }
    xs.dispose();
  });
  optimizer.dispose();
  model.dispose();
}

test("ghost batches split as PyTorch's chunk does", () => {
  assert.deepEqual(ghostBatchSizes(1024, 128), Array(8).fill(128));
  assert.deepEqual(ghostBatchSizes(9, 4), [3, 3, 3]);
  assert.deepEqual(ghostBatchSizes(10, 4), [4, 4, 2]);
  assert.deepEqual(ghostBatchSizes(1000, 128), Array(8).fill(125));
  assert.deepEqual(ghostBatchSizes(100, 128), [100]);
});

test("TabNet equals pytorch-tabnet 4.1.0 on its golden vectors: logits, entropy, loss, gradients, two clip + Adam steps", async () => {
  const golden = JSON.parse(
    readFileSync(join(repoRoot, "test", "fixtures", "tabnet", "golden.json"), "utf8"),
  ) as Golden;
  for (const backend of ["cpu", "wasm"] as const) {
    await useBackend(backend);
    checkAgainst(golden);
  }
});

test("TabNet has pytorch-tabnet's parameters: 10,744 used at 78 features and 15 classes (pytorch-tabnet counts 10,900 with its unused initial_bn)", () => {
  const model = new TabNet({ features: 78, classes: 15 });
  assert.equal(model.parameterCount, 10744);
  assert.equal(model.parameterCount + 2 * 78, 10900);
  model.dispose();
});

const tabnetSrc = process.env.EDGELAB_TABNET_SRC;
const noReference = !tabnetSrc
  ? "EDGELAB_TABNET_SRC is not set (a dreamquark-ai/tabnet checkout holding pytorch_tabnet/; it cannot be pip-installed offline)"
  : spawnSync(systemPython(), ["-c", "import torch, scipy, sklearn"], { stdio: "ignore" }).status !== 0
    ? `${systemPython()} cannot import torch, scipy and sklearn (Debian: python3-torch python3-scipy python3-sklearn)`
    : null;

test("TabNet equals a live pytorch-tabnet run (another seed)", { skip: noReference ?? false }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "edgelab-tabnet-"));
  try {
    const out = join(dir, "golden.json");
    const run = spawnSync(
      systemPython(),
      [join(repoRoot, "bench", "peers", "tabnet_reference.py"), "golden", out, "23"],
      { encoding: "utf8", env: process.env },
    );
    assert.equal(run.status, 0, run.stderr);
    await useBackend("wasm");
    checkAgainst(JSON.parse(readFileSync(out, "utf8")) as Golden);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a trained TabNet exports to ONNX (sparsemax from standard operators): onnxruntime's logits equal tfjs' within 1e-4 of the largest logit", async () => {
  await useBackend("wasm");
  const rng = new Rng(5);
  const d = 20;
  const rows = 3000;
  const x = Float32Array.from({ length: rows * d }, () => rng.normal());
  const y = Uint8Array.from(
    { length: rows },
    (_, r) => (x[r * d + 2] > 0 ? 1 : 0) + (x[r * d + 7] + x[r * d + 9] > 0 ? 2 : 0),
  );
  const model = new TabNet({ features: d, classes: 4, seed: 9 });
  await trainTabNet(model, { features: x, labels: y }, { epochs: 3, batchSize: 256, seed: 2 });
  const n = 256;
  const probe = x.subarray(0, n * d);
  const deployed = await DeployedModel.load(exportTabNetToOnnx(model, { labels: ["a", "b", "c", "d"] }));
  const onnx = (await deployed.run(probe, [n, d])).data;
  const ours = tf.tidy(() => model.forward(tf.tensor2d(probe, [n, d]), false).logits.dataSync() as Float32Array);
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < ours.length; i++) {
    worst = Math.max(worst, Math.abs(ours[i] - onnx[i]));
    scale = Math.max(scale, Math.abs(ours[i]));
  }
  // Relative to the logits' scale: trained logits reach ~20, and two GEMMs summing in different
  // orders (onnxruntime's MLAS, OpenBLAS) differ by float32 rounding through every step.
  assert.ok(worst <= 1e-4 * Math.max(1, scale), `max |tfjs − onnxruntime| = ${worst} (largest logit ${scale})`);
  assert.deepEqual(deployed.preprocessing.labels, ["a", "b", "c", "d"]);
  model.dispose();
});
