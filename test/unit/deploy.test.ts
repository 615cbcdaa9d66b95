import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import * as tf from "@tensorflow/tfjs-core";
import "../../lib/runtime/tfjs";
import { DataFormatError } from "../../lib/data/errors";
import {
  DeployedModel,
  benchmarkLatency,
  decodeOnnx,
  describeOnnx,
  encodeNpy,
  exportToOnnx,
  inspectOnnx,
  parseNpy,
  quantizeDynamic,
  quantizeStatic,
  readNpy,
  preprocessingFromMetadata,
  applyPreprocessing,
  quantizePerChannel,
  uint8Params,
  encodeModel,
} from "../../lib/deploy";
import {
  buildMlp,
  buildModel,
  buildSentinelNet,
  buildSqueezeNet,
  modelRegistry,
  sentinelNetDebugConfig,
} from "../../lib/models";
import { Rng } from "../../lib/random";
import { useBackend } from "../../lib/runtime";
import { fixture, tempDir } from "../helpers/paths";

const torchModel = fixture("onnx", "sentinelnet-debug-torch.onnx");
const dir = tempDir();
const rng = new Rng(11);
const randn = (n: number): Float32Array => Float32Array.from({ length: n }, () => rng.normal());
const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

test(".npy: arrays written by NumPy read exactly; every dtype round-trips", () => {
  const inputs = readNpy(fixture("onnx", "sentinelnet-debug-torch.inputs.npy"));
  assert.equal(inputs.dtype, "float32");
  assert.deepEqual(inputs.shape, [8, 78]);
  for (const [dtype, data] of [
    ["float32", Float32Array.of(1.5, -2)],
    ["float64", Float64Array.of(Math.PI, 1e300)],
    ["int32", Int32Array.of(-7, 2 ** 30)],
    ["int64", BigInt64Array.of(-(2n ** 62n), 5n)],
    ["uint8", Uint8Array.of(0, 255)],
    ["int8", Int8Array.of(-128, 127)],
  ] as const) {
    const back = parseNpy(encodeNpy({ dtype, shape: [2, 1], data }));
    assert.equal(back.dtype, dtype);
    assert.deepEqual(back.shape, [2, 1]);
    assert.deepEqual(
      Array.from(back.data as ArrayLike<number | bigint>),
      Array.from(data as ArrayLike<number | bigint>),
    );
  }
  const scalar = parseNpy(encodeNpy({ dtype: "float32", shape: [], data: Float32Array.of(3) }));
  assert.deepEqual(scalar.shape, []);
});

test(".npy: Fortran order, big-endian, unsupported dtypes and truncation are rejected, naming the file", () => {
  const good = encodeNpy({ dtype: "float32", shape: [2, 3], data: new Float32Array(6) });
  const variant = (from: string, to: string): Buffer =>
    Buffer.from(good.toString("latin1").replace(from, to), "latin1");
  const cases: [Buffer, RegExp][] = [
    [variant("'fortran_order': False", "'fortran_order': True "), /Fortran-order/],
    [variant("'<f4'", "'>f4'"), /big-endian/],
    [variant("'<f4'", "'<c8'"), /unsupported dtype "<c8"/],
    [good.subarray(0, good.length - 4), /truncated data/],
    [Buffer.from("not numpy at all"), /not a NumPy \.npy file/],
  ];
  for (const [bytes, pattern] of cases) {
    const file = join(dir, "bad.npy");
    writeFileSync(file, bytes);
    assert.throws(
      () => readNpy(file),
      (err: unknown) => err instanceof DataFormatError && err.file === file && pattern.test(err.message),
    );
  }
});

test("inspect: the PyTorch-exported fixture's inputs, outputs, operators, parameters and metadata", () => {
  const info = inspectOnnx(torchModel);
  assert.deepEqual(info.inputs, [{ name: "features", type: "float32", shape: ["batch", 78] }]);
  assert.deepEqual(info.outputs, [{ name: "logits", type: "float32", shape: ["batch", 15] }]);
  assert.equal(info.parameters, 23663); // lib's 23,407 + PyTorch's second LSTM bias (2 × 4 × 32)
  assert.equal(info.operators.LSTM, 1);
  assert.equal(info.operators.Conv, 2);
  assert.equal(info.metadata["edgelab.model"], "sentinelnet");
  const pre = preprocessingFromMetadata(info.metadata);
  assert.equal(pre.mean?.length, 78);
  assert.equal(pre.labels?.length, 15);
  assert.ok(pre.labels?.includes("Heartbleed"));
});

test("the PyTorch-exported model runs with parity to PyTorch's own outputs (z-scoring from its metadata)", async () => {
  const inputs = readNpy(fixture("onnx", "sentinelnet-debug-torch.inputs.npy"));
  const expected = readNpy(fixture("onnx", "sentinelnet-debug-torch.logits.npy"));
  const model = await DeployedModel.load(torchModel);
  const out = await model.run(inputs.data as Float32Array, inputs.shape);
  assert.deepEqual(out.shape, expected.shape);
  assert.ok(
    maxAbsDiff(out.data, expected.data as Float32Array) < 1e-5,
    `max diff ${maxAbsDiff(out.data, expected.data as Float32Array)}`,
  );
  // batching gives the same answer
  const batched = await model.runBatched(inputs.data as Float32Array, inputs.shape, 3);
  assert.ok(maxAbsDiff(batched.data, out.data) < 1e-6);
  // without preprocessing the raw features give different logits (the metadata matters)
  const raw = await DeployedModel.load(torchModel, { preprocess: false });
  assert.ok(maxAbsDiff((await raw.run(inputs.data as Float32Array, inputs.shape)).data, out.data) > 1e-3);
  assert.ok(
    maxAbsDiff(
      (await raw.run(applyPreprocessing(model.preprocessing, inputs.data as Float32Array), inputs.shape)).data,
      out.data,
    ) < 1e-6,
  );
  await model.release();
  await raw.release();
});

test("bad input: wrong shape or dtype says expected versus got; corrupted and truncated files are clear errors", async () => {
  const model = await DeployedModel.load(torchModel);
  await assert.rejects(
    model.run(new Float32Array(2 * 77), [2, 77]),
    /input "features": expected \[batch, 78\] float32, got \[2, 77\] float32/,
  );
  assert.throws(() => model.checkInput("int32", [2, 78]), /expected \[batch, 78\] float32, got \[2, 78\] int32/);
  await model.release();
  const bytes = readFileSync(torchModel);
  for (const [name, data] of [
    ["truncated.onnx", bytes.subarray(0, Math.floor(bytes.length / 2))],
    ["garbage.onnx", Buffer.from("this is not protobuf at all, not even close")],
    ["empty.onnx", Buffer.alloc(0)],
  ] as const) {
    const file = join(dir, name);
    writeFileSync(file, data);
    await assert.rejects(
      DeployedModel.load(file),
      (err: unknown) => err instanceof DataFormatError && err.file === file && /ONNX/.test(err.message),
    );
  }
});

test("exporter: MLP, SqueezeNet and SentinelNet (debug and full size) match tfjs within 1e-4 in onnxruntime", async () => {
  await useBackend("wasm");
  const cases: [string, () => ReturnType<typeof buildMlp>, number[]][] = [
    ["mlp", () => buildMlp({ inputShape: [28, 28, 1], classes: 10, seed: 3 }), [5, 28, 28, 1]],
    ["squeezenet", () => buildSqueezeNet({ seed: 3, classes: 10 }), [3, 32, 32, 3]],
    ["sentinelnet-debug", () => buildSentinelNet({ ...sentinelNetDebugConfig, seed: 3 }), [4, 78]],
    ["sentinelnet", () => buildSentinelNet({ seed: 3 }), [2, 78]],
  ];
  for (const [name, build, shape] of cases) {
    const model = build();
    // Random weights of a realistic scale everywhere (fresh SqueezeNet outputs are all zero after its last ReLU).
    model.setWeights(
      model.getWeights().map((w) =>
        tf.mul(
          tf.randomNormal(w.shape, 0, 1, "float32", 17),
          Math.min(
            0.5,
            1 /
              Math.sqrt(
                Math.max(
                  1,
                  w.shape.slice(0, -1).reduce((a, b) => a * b, 1),
                ),
              ),
          ),
        ),
      ),
    );
    const x = randn(shape.reduce((a, b) => a * b, 1));
    const reference = (model.predict(tf.tensor(x, shape)) as tf.Tensor).dataSync() as Float32Array;
    const bytes = exportToOnnx(model, {
      modelName: name,
      labels: Array.from({ length: reference.length / shape[0] }, (_, i) => `c${i}`),
    });
    const info = describeOnnx(decodeOnnx(bytes), bytes.length);
    assert.equal(info.metadata["edgelab.model"], name);
    // ONNX's LSTM has a second (recurrent) bias per gate, exported as zeros: 2 directions × 4 gates × units.
    const lstmUnits = name === "sentinelnet" ? 512 : name === "sentinelnet-debug" ? 32 : 0;
    assert.equal(info.parameters, model.countParams() + 8 * lstmUnits, `${name}: parameters`);
    const deployed = await DeployedModel.load(bytes);
    const out = await deployed.run(x, shape);
    const scale = Math.max(...Array.from(reference, Math.abs));
    assert.ok(scale > 1e-3, `${name}: non-trivial outputs`);
    assert.ok(maxAbsDiff(out.data, reference) <= 1e-4, `${name}: max diff ${maxAbsDiff(out.data, reference)}`);
    await deployed.release();
    model.dispose();
  }
});

test("every tfjs-layers model whose registry entry declares ONNX export exports with parity (≤ 1e-4)", async () => {
  await useBackend("wasm");
  const shapes = { image: [2, 32, 32, 3], tabular: [2, 78], any: [2, 28, 28, 1] };
  const exportable = Object.entries(modelRegistry).filter(
    ([, e]) => e.trainer === "engine" && e.capabilities.onnxExport,
  );
  assert.ok(exportable.length >= 7, exportable.map(([n]) => n).join(", "));
  for (const [name, entry] of exportable) {
    const shape = shapes[entry.input];
    const model = buildModel(name, { inputShape: shape.slice(1), classes: 10, seed: 4 });
    model.setWeights(model.getWeights().map((w) => tf.mul(tf.randomNormal(w.shape, 0, 1, "float32", 5), 0.1)));
    const x = randn(shape.reduce((a, b) => a * b, 1));
    const reference = (model.predict(tf.tensor(x, shape)) as tf.Tensor).dataSync() as Float32Array;
    const deployed = await DeployedModel.load(exportToOnnx(model, { modelName: name }));
    const out = await deployed.run(x, shape);
    assert.ok(maxAbsDiff(out.data, reference) <= 1e-4, `${name}: max diff ${maxAbsDiff(out.data, reference)}`);
    await deployed.release();
    model.dispose();
  }
});

test("INT8: per-channel weights and uint8 activation ranges are exact where they must be", () => {
  const { q, scales } = quantizePerChannel(Float32Array.of(1, -2, 0.5, 4), [2, 2], 1);
  assert.deepEqual(Array.from(scales), [Math.fround(1 / 127), Math.fround(4 / 127)]);
  assert.deepEqual(Array.from(q), [127, -64, 64, 127]);
  const p = uint8Params(-1, 3);
  assert.equal(p.zeroPoint, Math.round(1 / p.scale)); // 0.0 is exactly representable
  assert.equal(uint8Params(2, 5).zeroPoint, 0); // ranges always include 0
});

test("INT8 dynamic and static QDQ: smaller, valid, and close to FP32 on the exported SentinelNet and the PyTorch model", async () => {
  await useBackend("cpu");
  const model = buildSentinelNet({ ...sentinelNetDebugConfig, seed: 4 });
  const exported = exportToOnnx(model);
  model.dispose();
  for (const bytes of [exported, new Uint8Array(readFileSync(torchModel))]) {
    const x = randn(32 * 78);
    const fp32 = await DeployedModel.load(bytes, { preprocess: false });
    const ref = (await fp32.run(x, [32, 78])).data;
    const scale = Math.max(...Array.from(ref, Math.abs));
    const dynamic = quantizeDynamic(bytes);
    const statics = await quantizeStatic(bytes, [{ data: x, shape: [32, 78] }]);
    assert.ok(describeOnnx(decodeOnnx(dynamic.bytes), 0).operators.MatMulInteger >= 2);
    assert.ok(describeOnnx(decodeOnnx(statics.bytes), 0).operators.QuantizeLinear >= 2);
    for (const q of [dynamic, statics]) {
      assert.ok(q.report.sizeAfter < q.report.sizeBefore, `${q.report.mode}: smaller`);
      const deployed = await DeployedModel.load(q.bytes, { preprocess: false });
      const out = (await deployed.run(x, [32, 78])).data;
      assert.ok(
        maxAbsDiff(out, ref) < 0.05 * scale,
        `${q.report.mode}: max diff ${maxAbsDiff(out, ref)} vs scale ${scale}`,
      );
      await deployed.release();
    }
    await fp32.release();
  }
});

test("latency benchmark: percentiles, throughput, cold start, raw onnxruntime beside it, verdict", async () => {
  const r = await benchmarkLatency(torchModel, { iterations: 30, warmup: 3, targetMs: 50 });
  assert.equal(r.samplesMs.length, 30);
  assert.ok(r.p50Ms > 0 && r.p50Ms <= r.p95Ms && r.p95Ms <= r.p99Ms);
  assert.ok(r.rawOrtP50Ms! > 0 && r.coldStartMs > 0 && r.throughput > 0);
  assert.equal(r.meetsTarget, r.p95Ms <= 50);
  const strict = await benchmarkLatency(torchModel, { iterations: 5, warmup: 1, targetMs: 1e-6, raw: false });
  assert.equal(strict.meetsTarget, false);
  assert.equal(strict.rawOrtP50Ms, null);
});

test("INT8 static QDQ refuses an opset below 13 rather than raising it (other operators changed meaning at 13)", async () => {
  const model = buildMlp({ inputShape: [6], classes: 3, seed: 2 });
  const proto = decodeOnnx(exportToOnnx(model));
  model.dispose();
  proto.opsetImport[0].version = 11;
  const old = encodeModel(proto);
  await assert.rejects(
    quantizeStatic(old, [{ data: randn(12), shape: [2, 6] }], "old.onnx"),
    /old\.onnx: static QDQ quantisation needs ONNX opset ≥ 13, the model has 11/,
  );
  assert.ok(quantizeDynamic(old).report.quantized.length >= 2, "dynamic works at opset 11");
});
