import assert from "node:assert/strict";
import { test } from "node:test";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import "../../lib/runtime/tfjs";
import { buildSentinelNet, sentinelNetDebugConfig } from "../../lib/models";
import { FusedLSTM, fusedLstm } from "../../lib/models/fused-lstm";
import { lstmLastHidden } from "../../lib/models/lstm-sequence";
import { Rng } from "../../lib/random";
import { useBackend } from "../../lib/runtime";

const rng = new Rng(7);
const random = (shape: number[]): tf.Tensor =>
  tf.tensor(
    Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal()),
    shape,
  );

/** A model of one (bidirectional or plain) LSTM layer over [steps, features]. */
function lstmModel(
  fused: boolean,
  shape: [number, number],
  units: number,
  options: { bidirectional: boolean; goBackwards?: boolean; returnSequences?: boolean },
): tfl.LayersModel {
  const args = {
    units,
    recurrentActivation: "sigmoid" as const,
    goBackwards: options.goBackwards,
    returnSequences: options.returnSequences,
  };
  const layer = fused ? fusedLstm(args) : (tfl.layers.lstm(args) as tfl.RNN);
  const input = tfl.input({ shape });
  const output = options.bidirectional
    ? tfl.layers.bidirectional({ layer, mergeMode: "concat" }).apply(input)
    : layer.apply(input);
  return tfl.model({ inputs: input, outputs: output as tfl.SymbolicTensor });
}

/** Output, input gradient and weight gradients of sum(model(x) · probe). */
function outputsAndGrads(model: tfl.LayersModel, x: tf.Tensor, probe: tf.Tensor): Float32Array[] {
  return tf.tidy(() => {
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const loss = (input: tf.Tensor): tf.Scalar =>
      tf.sum(tf.mul(model.apply(input, { training: true }) as tf.Tensor, probe)) as tf.Scalar;
    const { grads } = tf.variableGrads(() => loss(x), vars);
    const dx = tf.grad(loss)(x);
    const y = model.predict(x) as tf.Tensor;
    return [y, dx, ...vars.map((v) => grads[v.name])].map((t) => t.dataSync() as Float32Array);
  });
}

const relativeError = (a: Float32Array, b: Float32Array): number => {
  let diff = 0;
  let scale = 1e-6;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(a[i]));
  }
  return diff / scale;
};

test("FusedLSTM equals tfjs' LSTM: output, input gradient and every weight gradient (cpu and wasm; forward, backward and bidirectional; two steps)", async () => {
  for (const backend of ["cpu", "wasm"] as const) {
    await useBackend(backend);
    for (const [steps, options] of [
      [7, { bidirectional: true }],
      [7, { bidirectional: false, goBackwards: true }],
      // Not one step: tfjs' own LSTM cannot give an input gradient for a one-step sequence.
      [2, { bidirectional: true }],
    ] as const) {
      const shape: [number, number] = [steps, 5];
      const reference = lstmModel(false, shape, 6, options);
      const fused = lstmModel(true, shape, 6, options);
      fused.setWeights(reference.getWeights());
      const x = random([3, ...shape]);
      const probe = random(reference.outputs[0].shape.map((d) => d ?? 3));
      const expected = outputsAndGrads(reference, x, probe);
      const actual = outputsAndGrads(fused, x, probe);
      assert.equal(actual.length, expected.length);
      expected.forEach((e, i) => {
        const err = relativeError(e, actual[i]);
        assert.ok(err < 1e-5, `${backend}, ${steps} steps, ${JSON.stringify(options)}: tensor ${i} differs by ${err}`);
      });
      tf.dispose([x, probe]);
      reference.dispose();
      fused.dispose();
    }
  }
});

test("FusedLSTM falls back to tfjs' step loop when sequences are returned, and round-trips through a model's JSON", async () => {
  await useBackend("cpu");
  const shape: [number, number] = [4, 3];
  const reference = lstmModel(false, shape, 5, { bidirectional: true, returnSequences: true });
  const fused = lstmModel(true, shape, 5, { bidirectional: true, returnSequences: true });
  fused.setWeights(reference.getWeights());
  const x = random([2, ...shape]);
  const [a, b] = [reference, fused].map((m) => (m.predict(x) as tf.Tensor).dataSync());
  assert.deepEqual(Array.from(b), Array.from(a));

  const last = lstmModel(true, shape, 5, { bidirectional: true });
  const json = last.toJSON(null, false) as unknown as { modelTopology: unknown };
  const restored = await tfl.models.modelFromJSON({ modelTopology: json } as unknown as Parameters<
    typeof tfl.models.modelFromJSON
  >[0]);
  restored.setWeights(last.getWeights());
  const inner = restored.layers[1] as unknown as { forwardLayer: unknown; backwardLayer: unknown };
  assert.ok(inner.forwardLayer instanceof FusedLSTM && inner.backwardLayer instanceof FusedLSTM);
  const [c, d] = [last, restored].map((m) => (m.predict(x) as tf.Tensor).dataSync());
  assert.deepEqual(Array.from(d), Array.from(c));
});

test("SentinelNet's BiLSTM is fused, and a training step leaves no tensor behind", async () => {
  await useBackend("wasm");
  const model = buildSentinelNet({ ...sentinelNetDebugConfig, seed: 3 });
  const bilstm = model.getLayer("bilstm") as unknown as { forwardLayer: unknown; backwardLayer: unknown };
  assert.ok(bilstm.forwardLayer instanceof FusedLSTM && bilstm.backwardLayer instanceof FusedLSTM);
  const x = random([4, 78]);
  const y = tf.oneHot(tf.tensor1d([0, 1, 2, 3], "int32"), 15);
  const optimizer = tf.train.sgd(0.1);
  const step = (): void => {
    const loss = optimizer.minimize(
      () => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar,
      true,
    );
    loss?.dispose();
  };
  step();
  const before = tf.memory().numTensors;
  step();
  step();
  assert.equal(tf.memory().numTensors, before);
  tf.dispose([x, y]);
  optimizer.dispose();
  model.dispose();
});

test("lstmLastHidden outside a gradient scope keeps nothing per step: the same output, a peak below what the backward pass would keep", async () => {
  for (const backend of ["cpu", "wasm"] as const) {
    await useBackend(backend);
    const [batch, steps, features, units] = [8, 40, 5, 32];
    const x = random([batch, steps, features]) as tf.Tensor3D;
    const kernel = random([features, 4 * units]) as tf.Tensor2D;
    const recurrent = tf.mul(random([units, 4 * units]), 0.1) as tf.Tensor2D;
    const bias = random([4 * units]) as tf.Tensor1D;
    for (const goBackwards of [false, true]) {
      const before = tf.memory().numTensors;
      const profile = await tf.profile(() => lstmLastHidden(x, kernel, recurrent, bias, goBackwards));
      const lean = profile.result as tf.Tensor2D;
      assert.equal(tf.memory().numTensors, before + 1, "only the output is left");
      // The same op inside a gradient scope, where it keeps gates, cells and hidden states.
      let recorded: tf.Tensor | null = null;
      const dx = tf.grad((input: tf.Tensor) => {
        recorded = tf.keep(lstmLastHidden(input as tf.Tensor3D, kernel, recurrent, bias, goBackwards));
        return tf.sum(recorded);
      })(x);
      assert.deepEqual([...lean.dataSync()], [...recorded!.dataSync()], `${backend}: same output`);
      // Memory in use after each step's cell kernel stays flat: nothing accumulates over the 40 steps
      // (keeping gates, cell and incoming hidden state would add 6 · units floats per sample and step).
      const cells = profile.kernels.filter((k) => k.name === "EdgelabLstmCell").map((k) => k.totalBytesSnapshot);
      assert.equal(cells.length, steps);
      assert.ok(
        cells[steps - 1] - cells[0] < batch * 6 * units * 4,
        `${backend}: grew ${cells[steps - 1] - cells[0]} B`,
      );
      tf.dispose([lean, recorded!, dx]);
    }
    tf.dispose([x, kernel, recurrent, bias]);
  }
});
