import assert from "node:assert/strict";
import { test } from "node:test";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import "../../lib/runtime/tfjs";
import { freezeAllBut, visionZoo } from "../../lib/models";
import { useBackend } from "../../lib/runtime";
import { splitFrozenPrefix } from "../../lib/train/frozen-prefix";

/**
 * Loss, gradients and the peak bytes of one finetune step: `prepare` runs first, outside the
 * gradient scope (as the training loop runs the frozen layers), then `forward(prepared)` inside it.
 */
async function finetuneStep(
  x: tf.Tensor,
  prepare: () => tf.Tensor,
  forward: (prepared: tf.Tensor) => tf.Tensor,
  variables: tf.Variable[],
  labels: tf.Tensor,
): Promise<{ loss: number; grads: Float32Array[]; peakBytes: number }> {
  let result: { loss: number; grads: Float32Array[] } = { loss: NaN, grads: [] };
  const info = await tf.profile(() => {
    const prepared = prepare();
    const { value, grads } = tf.variableGrads(
      () => tf.losses.softmaxCrossEntropy(labels, forward(prepared)) as tf.Scalar,
      variables,
    );
    result = { loss: value.dataSync()[0], grads: variables.map((v) => grads[v.name].dataSync() as Float32Array) };
    tf.dispose([value, ...Object.values(grads)]);
    if (prepared !== x) prepared.dispose();
  });
  return { ...result, peakBytes: info.peakBytes };
}

test("a finetune's frozen backbone runs outside the gradient scope: the same loss and head gradients, a fraction of the memory (MobileNetV3-Small)", async (t) => {
  await useBackend("wasm");
  const zoo = visionZoo.mobilenet_v3_small;
  const model = zoo.build({ inputShape: [64, 64, 3], classes: 10, seed: 2 });
  freezeAllBut(model, zoo.head);
  const split = splitFrozenPrefix(model);
  assert.ok(split, "the classifier head splits off");
  assert.ok(split.frozenLayers > 100, `${split.frozenLayers} frozen layers`);
  const x = tf.randomNormal([8, 64, 64, 3], 0, 1, "float32", 5);
  const labels = tf.oneHot(tf.tensor1d([0, 1, 2, 3, 4, 5, 6, 7], "int32"), 10);
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  // Inference mode for the comparison: training-mode batch norms would move their running statistics.
  const whole = await finetuneStep(
    x,
    () => x,
    (input) => model.apply(input, { training: false }) as tf.Tensor,
    variables,
    labels,
  );
  const parts = await finetuneStep(
    x,
    () => split.features(x, false),
    (features) => split.head(features, false),
    variables,
    labels,
  );
  assert.equal(parts.loss, whole.loss);
  whole.grads.forEach((g, i) => assert.deepEqual(Array.from(parts.grads[i]), Array.from(g), `gradient ${i}`));
  // The split's peak counts the backbone's forward pass too, which no longer outlives it.
  const [wholeMB, splitMB] = [whole.peakBytes, parts.peakBytes].map((b) => b / 2 ** 20);
  t.diagnostic(`peak tensor memory of the step: ${splitMB.toFixed(1)} MB split, ${wholeMB.toFixed(1)} MB whole`);
  assert.ok(splitMB < 0.5 * wholeMB, `peak ${splitMB.toFixed(1)} MB split versus ${wholeMB.toFixed(1)} MB whole`);
  tf.dispose([x, labels]);
  model.dispose();
});

test("no split where nothing is frozen or where a frozen tensor crosses the cut", async () => {
  await useBackend("cpu");
  const zoo = visionZoo.shufflenet_v2_x0_5;
  const full = zoo.build({ inputShape: [32, 32, 3], classes: 10, seed: 1 });
  assert.equal(splitFrozenPrefix(full), null, "everything trains");
  full.dispose();
  // input → a → b → head, and a's output also skips ahead past the cut (which is b's output).
  const input = tfl.input({ shape: [4] });
  const a = tfl.layers.dense({ units: 4, name: "a", trainable: false }).apply(input) as tfl.SymbolicTensor;
  const b = tfl.layers.dense({ units: 4, name: "b", trainable: false }).apply(a) as tfl.SymbolicTensor;
  const head = tfl.layers.dense({ units: 4, name: "head" }).apply(b) as tfl.SymbolicTensor;
  const chain = tfl.model({ inputs: input, outputs: tfl.layers.add().apply([head, b]) as tfl.SymbolicTensor });
  const skip = tfl.model({ inputs: input, outputs: tfl.layers.add().apply([head, a]) as tfl.SymbolicTensor });
  assert.equal(splitFrozenPrefix(chain)?.frozenLayers, 2, "the cut itself may be read again");
  assert.equal(splitFrozenPrefix(skip), null, "an earlier frozen tensor across the cut may not");

  // Outside training a dropout hands its input back: the frozen run must not free it under the next layer.
  const source = tfl.input({ shape: [4] });
  const d = tfl.layers
    .dropout({ rate: 0.5 })
    .apply(tfl.layers.dense({ units: 4, trainable: false }).apply(source) as tfl.SymbolicTensor) as tfl.SymbolicTensor;
  const withDropout = tfl.model({
    inputs: source,
    outputs: tfl.layers
      .dense({ units: 2 })
      .apply(tfl.layers.dense({ units: 4, trainable: false }).apply(d) as tfl.SymbolicTensor) as tfl.SymbolicTensor,
  });
  const split = splitFrozenPrefix(withDropout);
  assert.ok(split);
  const ones = tf.ones([3, 4]);
  const before = tf.memory().numTensors;
  const features = split.features(ones, false);
  assert.equal(tf.memory().numTensors, before + 1, "only the features outlive the frozen run");
  const expected = withDropout.predict(ones) as tf.Tensor;
  assert.deepEqual(Array.from(split.head(features, false).dataSync()), Array.from(expected.dataSync()));
});
