/**
 * The torchvision zoo: parameter counts equal torchvision's, and finetuning freezes everything but
 * the head — frozen layers leave the optimizer and autodiff computes no gradients for them.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import * as tf from "@tensorflow/tfjs-core";
import {
  buildSqueezeNet,
  forwardMacs,
  freezeAllBut,
  modelRegistry,
  parameterCount,
  trainingFlops,
  visionZoo,
} from "../../lib/models";
import { useBackend } from "../../lib/runtime";
import { defaultTrainConfig, trainLoop } from "../../lib/train";

/** torchvision's model tables, "GFLOPS" (multiply-accumulates of the forward pass, in billions, 2 decimals). */
const torchvisionGflops: Record<string, number> = {
  resnet18: 1.81,
  mobilenet_v2: 0.3,
  mobilenet_v3_small: 0.06,
  mobilenet_v3_large: 0.22,
  efficientnet_b0: 0.39,
  mnasnet1_0: 0.31,
  squeezenet1_1: 0.35,
  shufflenet_v2_x0_5: 0.04,
};

test("at 224×224 and 1000 classes every zoo model has torchvision's parameter count and published GFLOPS", async () => {
  await useBackend("cpu");
  for (const [name, zoo] of Object.entries(visionZoo)) {
    const model = zoo.build({ inputShape: [224, 224, 3], classes: 1000, seed: 0 });
    assert.equal(parameterCount(model), zoo.parameters, name);
    if (name in torchvisionGflops)
      assert.equal(Math.round(forwardMacs(model) / 1e7) / 100, torchvisionGflops[name], `${name} GMACs`);
    assert.deepEqual(model.outputs[0].shape, [null, 1000], name);
    assert.equal(modelRegistry[name].capabilities.freeze, true, name);
    assert.deepEqual(modelRegistry[name].head, zoo.head, name);
    model.dispose();
  }
});

test("training FLOPs: 3 × 2 × MACs for a whole step (SqueezeNet-32: the 18.3 MFLOP per image of issue #14); a finetune counts the head only", () => {
  const squeeze = buildSqueezeNet({});
  assert.equal(forwardMacs(squeeze), 3_049_472);
  assert.equal(trainingFlops(squeeze), 6 * 3_049_472);
  // Only conv10 trainable: its forward and weight gradient, everything before it forward only.
  const conv10 = squeeze.getLayer("conv10");
  const conv10Macs = (conv10.outputShape as number[])[1] ** 2 * 512 * 10;
  assert.equal(trainingFlops(squeeze, new Set(["conv10"])), 2 * (forwardMacs(squeeze) + conv10Macs));
  squeeze.dispose();
});

test("small inputs: 28×28×1 and 32×32×3 images build and run for every zoo model", async () => {
  await useBackend("cpu");
  for (const [name, zoo] of Object.entries(visionZoo)) {
    for (const inputShape of [
      [28, 28, 1],
      [32, 32, 3],
    ]) {
      const model = zoo.build({ inputShape, classes: 10, seed: 0 });
      const out = tf.tidy(() => model.predict(tf.ones([2, ...inputShape])) as tf.Tensor);
      assert.deepEqual(out.shape, [2, 10], `${name} ${inputShape.join("×")}`);
      assert.ok(Array.from(out.dataSync()).every(Number.isFinite), name);
      out.dispose();
      model.dispose();
    }
  }
});

/** The tfjs kernels (one entry per call) that one gradient step over the trainable weights runs. */
function gradientKernels(
  model: ReturnType<typeof visionZoo.resnet18.build>,
  x: tf.Tensor,
  y: tf.Tensor,
): Promise<string[]> {
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  return tf
    .profile(() => {
      const { value, grads } = tf.variableGrads(
        () => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar,
        variables,
      );
      value.dispose();
      tf.dispose(grads);
    })
    .then((info) => info.kernels.map((k) => k.name));
}

test("finetune: only the head is trainable and no gradient reaches a frozen layer (MobileNetV3-Small, ResNet-18)", async () => {
  await useBackend("cpu");
  const x = tf.randomUniform([2, 32, 32, 3], 0, 1, "float32", 1);
  const y = tf.oneHot(tf.tensor1d([1, 7], "int32"), 10);
  for (const name of ["mobilenet_v3_small", "resnet18"]) {
    const model = visionZoo[name].build({ inputShape: [32, 32, 3], classes: 10, seed: 0 });
    const full = await gradientKernels(model, x, y);
    assert.ok(full.includes("Conv2DBackpropFilter"), `${name}: full training computes convolution weight gradients`);
    const trainable = freezeAllBut(model, visionZoo[name].head);
    const headWeights = model.layers
      .filter((l) => visionZoo[name].head.includes(l.name))
      .reduce((n, l) => n + l.countParams(), 0);
    assert.equal(trainable, headWeights, name);
    const finetune = await gradientKernels(model, x, y);
    for (const kernel of [
      "Conv2DBackpropFilter",
      "Conv2DBackpropInput",
      "DepthwiseConv2dNativeBackpropFilter",
      "DepthwiseConv2dNativeBackpropInput",
    ])
      assert.ok(!finetune.includes(kernel), `${name}: a finetune step runs ${kernel}`);
    assert.ok(finetune.length < full.length, `${name}: ${finetune.length} kernels vs ${full.length}`);
    model.dispose();
  }
  tf.dispose([x, y]);
});

test("finetune with SGD through the training loop: the head's weights move, every frozen weight stays put", async () => {
  await useBackend("cpu");
  const model = visionZoo.mobilenet_v3_small.build({ inputShape: [32, 32, 3], classes: 10, seed: 0 });
  freezeAllBut(model, visionZoo.mobilenet_v3_small.head);
  const before = new Map(model.weights.map((w) => [w.originalName, w.read().dataSync().slice()]));
  const n = 16;
  const x = new Float32Array(n * 32 * 32 * 3).map((_, i) => Math.sin(i));
  const labels = Uint8Array.from({ length: n }, (_, i) => i % 10);
  const data = { x, y: labels, sampleShape: [32, 32, 3] };
  const classNames = Array.from({ length: 10 }, (_, i) => String(i));
  await trainLoop(
    model,
    { train: data, val: data, classNames },
    { ...defaultTrainConfig, epochs: 1, batchSize: 8, optimizer: "sgd", learningRate: 0.1 },
    { name: "mobilenet_v3_small", config: null },
    [],
  );
  for (const w of model.weights) {
    const moved = w
      .read()
      .dataSync()
      .some((v, i) => v !== before.get(w.originalName)![i]);
    const layer = w.originalName.slice(0, w.originalName.lastIndexOf("/"));
    if (visionZoo.mobilenet_v3_small.head.includes(layer)) assert.ok(moved, `${w.originalName} trained`);
    else if (!/moving_/.test(w.originalName)) assert.ok(!moved, `${w.originalName} is frozen but changed`);
  }
  model.dispose();
});
