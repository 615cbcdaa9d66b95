/**
 * INT8 quantisation of ONNX models in TypeScript (no Python on the Pi).
 *
 * - **dynamic**: weights of `MatMul`/`Gemm` become int8 per output column (symmetric); activations
 *   are quantised at run time (`DynamicQuantizeLinear` → `MatMulInteger` → rescale). No
 *   calibration data; convolutions and LSTMs stay float.
 * - **static (QDQ)**: with calibration inputs, the activation range of every `Conv`/`MatMul`/`Gemm`
 *   input is measured (min/max over the calibration set), and `QuantizeLinear`→`DequantizeLinear`
 *   pairs (uint8, asymmetric) are inserted before them; weights are stored int8 per output channel
 *   behind a `DequantizeLinear`. onnxruntime fuses the QDQ patterns into integer kernels where it can.
 *
 * Weights use 7 bits (±63, onnxruntime's `reduce_range`): on x86-64 CPUs without VNNI (AVX2 only,
 * such as AMD Zen 3) onnxruntime multiplies uint8 activations by int8 weights with `vpmaddubsw`,
 * whose int16 pair sums saturate at full range: 8-bit weights put SentinelNet-debug's dynamic
 * output 33 % of its scale away from FP32 there. ARM's dot-product kernels do not saturate; the
 * 7th bit costs them little.
 *
 * Both take and return model bytes; the metadata (preprocessing, labels) is kept.
 */
import { onnxruntime } from "../native/onnxruntime";
import type { onnx } from "onnx-proto";
import { DataFormatError } from "../data/errors";
import { decodeOnnx, toNumber } from "./onnx-model";
import { DataType, GraphBuilder, attribute, encodeModel, floatsOf } from "./onnx-builder";

/** What was quantised, and what was not and why. */
export interface QuantizeReport {
  mode: "dynamic" | "static";
  quantized: string[];
  skipped: { node: string; reason: string }[];
  sizeBefore: number;
  sizeAfter: number;
}

/** Largest weight level: 7 bits (see the module comment). */
export const WEIGHT_LEVELS = 63;

/**
 * int8 per-channel symmetric quantisation of a [rows, cols] matrix along `axis` (0 = rows,
 * 1 = cols), to ±`levels` (127: the full int8 range).
 */
export function quantizePerChannel(
  w: Float32Array,
  dims: number[],
  axis: number,
  levels = 127,
): { q: Int8Array; scales: Float32Array } {
  const channels = dims[axis];
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const scales = new Float32Array(channels);
  for (let i = 0; i < w.length; i++) {
    const c = Math.floor(i / inner) % channels;
    scales[c] = Math.max(scales[c], Math.abs(w[i]));
  }
  for (let c = 0; c < channels; c++) scales[c] = scales[c] > 0 ? scales[c] / levels : 1;
  const q = new Int8Array(w.length);
  for (let i = 0; i < w.length; i++) {
    const c = Math.floor(i / inner) % channels;
    q[i] = Math.max(-levels, Math.min(levels, Math.round(w[i] / scales[c])));
  }
  return { q, scales };
}

function attr(node: onnx.INodeProto, name: string): onnx.IAttributeProto | undefined {
  return (node.attribute ?? []).find((a) => a.name === name);
}

function initializerMap(model: onnx.ModelProto): Map<string, onnx.ITensorProto> {
  return new Map((model.graph!.initializer ?? []).map((t) => [t.name ?? "", t]));
}

function finish(model: onnx.ModelProto, g: GraphBuilder, nodes: onnx.INodeProto[], drop: Set<string>): Uint8Array {
  const graph = model.graph!;
  graph.node = nodes as onnx.NodeProto[];
  graph.initializer = [
    ...(graph.initializer ?? []).filter((t) => !drop.has(t.name ?? "")),
    ...g.initializers,
  ] as onnx.TensorProto[];
  graph.input = (graph.input ?? []).filter((i) => !drop.has(i.name ?? "")) as onnx.ValueInfoProto[];
  return encodeModel(model);
}

/** Weight-only-int8 dynamic quantisation of MatMul/Gemm. */
export function quantizeDynamic(bytes: Uint8Array, file = "<bytes>"): { bytes: Uint8Array; report: QuantizeReport } {
  const model = decodeOnnx(bytes, file);
  const opset = toNumber(model.opsetImport.find((o) => (o.domain ?? "") === "" || o.domain === "ai.onnx")?.version);
  if (opset < 11)
    throw new DataFormatError(
      file,
      `dynamic quantisation needs ONNX opset ≥ 11 (DynamicQuantizeLinear), the model has ${opset}`,
    );
  const inits = initializerMap(model);
  const g = new GraphBuilder();
  const nodes: onnx.INodeProto[] = [];
  const drop = new Set<string>();
  const quantizedInputs = new Map<string, [string, string, string]>();
  const report: QuantizeReport = {
    mode: "dynamic",
    quantized: [],
    skipped: [],
    sizeBefore: bytes.byteLength,
    sizeAfter: 0,
  };
  for (const node of model.graph!.node ?? []) {
    const op = node.opType ?? "";
    const name = node.name || `${op}:${node.output?.[0]}`;
    if (op !== "MatMul" && op !== "Gemm") {
      nodes.push(node);
      continue;
    }
    const [a, b, c] = node.input ?? [];
    const w = inits.get(b);
    const transA = toNumber(attr(node, "transA")?.i);
    const transB = toNumber(attr(node, "transB")?.i);
    const alpha = attr(node, "alpha")?.f ?? 1;
    const beta = attr(node, "beta")?.f ?? 1;
    const why = !w
      ? "weight is not an initializer"
      : w.dataType !== DataType.FLOAT
        ? "weight is not float32"
        : (w.dims ?? []).length !== 2
          ? "weight is not a matrix"
          : transA
            ? "transA is set"
            : alpha !== 1 || beta !== 1
              ? "alpha/beta ≠ 1"
              : null;
    if (why) {
      report.skipped.push({ node: name, reason: why });
      nodes.push(node);
      continue;
    }
    let dims = (w!.dims ?? []).map(toNumber);
    let data = floatsOf(w!);
    if (transB) {
      // store [K, N] for MatMulInteger
      const [n, k] = dims;
      const t = new Float32Array(data.length);
      for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) t[j * n + i] = data[i * k + j];
      data = t;
      dims = [k, n];
    }
    const { q, scales } = quantizePerChannel(data, dims, 1, WEIGHT_LEVELS);
    let qa = quantizedInputs.get(a);
    if (!qa) {
      const outs: [string, string, string] = [g.fresh(`${a}_q`), g.fresh(`${a}_scale`), g.fresh(`${a}_zp`)];
      nodes.push({ opType: "DynamicQuantizeLinear", input: [a], output: outs, name: g.fresh("n_dql") });
      quantizedInputs.set(a, outs);
      qa = outs;
    }
    const wq = g.constant(`${b}_int8`, dims, q);
    const wzp = g.constant(`${b}_zp`, [dims[1]], new Int8Array(dims[1]));
    const ws = g.constant(`${b}_scale`, [dims[1]], scales);
    const y = node.output![0];
    const int = g.fresh(`${y}_int32`);
    nodes.push({ opType: "MatMulInteger", input: [qa[0], wq, qa[2], wzp], output: [int], name: g.fresh("n_mmi") });
    const f = g.fresh(`${y}_f`);
    nodes.push({
      opType: "Cast",
      input: [int],
      output: [f],
      attribute: [attribute("to", DataType.FLOAT)],
      name: g.fresh("n_cast"),
    });
    const s1 = g.fresh(`${y}_s`);
    nodes.push({ opType: "Mul", input: [f, qa[1]], output: [s1], name: g.fresh("n_mul") });
    if (op === "Gemm" && c) {
      const s2 = g.fresh(`${y}_s2`);
      nodes.push({ opType: "Mul", input: [s1, ws], output: [s2], name: g.fresh("n_mul") });
      nodes.push({ opType: "Add", input: [s2, c], output: [y], name: g.fresh("n_add") });
    } else nodes.push({ opType: "Mul", input: [s1, ws], output: [y], name: g.fresh("n_mul") });
    drop.add(b);
    report.quantized.push(name);
  }
  const out = finish(model, g, nodes, drop);
  report.sizeAfter = out.byteLength;
  return { bytes: out, report };
}

/** uint8 affine parameters covering [min, max] (0 always representable). */
export function uint8Params(min: number, max: number): { scale: number; zeroPoint: number } {
  const lo = Math.min(0, min);
  const hi = Math.max(0, max);
  const scale = hi > lo ? (hi - lo) / 255 : 1;
  return { scale, zeroPoint: Math.max(0, Math.min(255, Math.round(-lo / scale))) };
}

/**
 * Refuses calibration data that would give a meaningless INT8 model: no batches, a batch with no
 * rows, or a non-finite value (a NaN range quantises every activation to one constant). `name`
 * (the file) leads the message.
 */
export function checkCalibration(calibration: readonly { data: Float32Array; shape: number[] }[], name: string): void {
  if (calibration.length === 0)
    throw new DataFormatError(name, "no calibration batches: static quantisation needs representative inputs");
  calibration.forEach((batch, b) => {
    const rows = batch.shape[0] ?? 0;
    if (rows === 0 || batch.data.length === 0)
      throw new DataFormatError(
        name,
        `${calibration.length > 1 ? `batch ${b}: ` : ""}0 rows: static quantisation needs at least one calibration row`,
      );
    const perRow = batch.data.length / rows;
    for (let i = 0; i < batch.data.length; i++) {
      if (!Number.isFinite(batch.data[i]))
        throw new DataFormatError(
          name,
          `${calibration.length > 1 ? `batch ${b}, ` : ""}row ${Math.floor(i / perRow)}, value ${i % perRow} is ${batch.data[i]}: calibration inputs must be finite`,
        );
    }
  });
}

/**
 * Static QDQ quantisation. `calibration` are inputs (row-major float32 with their shapes) fed to
 * the float model to measure activation ranges; they should be preprocessed the way inference
 * inputs are (the caller applies the metadata's z-scoring, as {@link DeployedModel} does).
 */
export async function quantizeStatic(
  bytes: Uint8Array,
  calibration: { data: Float32Array; shape: number[] }[],
  file = "<bytes>",
): Promise<{ bytes: Uint8Array; report: QuantizeReport }> {
  checkCalibration(calibration, "calibration data");
  const model = decodeOnnx(bytes, file);
  // Per-channel DequantizeLinear (the axis attribute) needs opset 13; raising a model's opset would
  // silently change other operators (Squeeze, Split, … changed signature at 13), so refuse instead.
  const opset = toNumber(model.opsetImport.find((o) => (o.domain ?? "") === "" || o.domain === "ai.onnx")?.version);
  if (opset < 13)
    throw new DataFormatError(
      file,
      `static QDQ quantisation needs ONNX opset ≥ 13, the model has ${opset}: re-export it with opset_version=13 (dynamic quantisation works at opset ≥ 11)`,
    );
  const inits = initializerMap(model);
  const targets = (model.graph!.node ?? []).filter((n) => ["Conv", "MatMul", "Gemm"].includes(n.opType ?? ""));
  const activations = [...new Set(targets.map((n) => n.input![0]).filter((a) => !inits.has(a)))];

  // Calibrate: expose the activations as extra outputs of a copy of the model.
  const probe = decodeOnnx(bytes, file);
  const outputs = new Set((probe.graph!.output ?? []).map((o) => o.name));
  for (const a of activations) if (!outputs.has(a)) probe.graph!.output!.push({ name: a } as onnx.ValueInfoProto);
  const session = await onnxruntime().InferenceSession.create(encodeModel(probe), {
    graphOptimizationLevel: "disabled",
  });
  const ranges = new Map<string, [number, number]>(activations.map((a) => [a, [Infinity, -Infinity]]));
  for (const batch of calibration) {
    const result = await session.run(
      { [session.inputNames[0]]: new (onnxruntime().Tensor)("float32", batch.data, batch.shape) },
      activations,
    );
    for (const a of activations) {
      const r = ranges.get(a)!;
      for (const v of result[a].data as Float32Array) {
        if (v < r[0]) r[0] = v;
        if (v > r[1]) r[1] = v;
      }
    }
  }
  await session.release();
  for (const [a, [min, max]] of ranges) {
    if (!Number.isFinite(min) || !Number.isFinite(max))
      throw new DataFormatError(
        file,
        `activation ${a} reached ${Number.isFinite(min) ? max : min} on the calibration data: no INT8 range can represent it`,
      );
  }

  const g = new GraphBuilder();
  const nodes: onnx.INodeProto[] = [];
  const drop = new Set<string>();
  const report: QuantizeReport = {
    mode: "static",
    quantized: [],
    skipped: [],
    sizeBefore: bytes.byteLength,
    sizeAfter: 0,
  };
  const dequantized = new Map<string, string>();
  const qdq = (a: string): string => {
    let name = dequantized.get(a);
    if (name) return name;
    const [min, max] = ranges.get(a)!;
    const { scale, zeroPoint } = uint8Params(min, max);
    const s = g.constant(`${a}_scale`, [], Float32Array.of(scale));
    const zp = g.constant(`${a}_zp`, [], Uint8Array.of(zeroPoint));
    const q = g.fresh(`${a}_q`);
    name = g.fresh(`${a}_dq`);
    nodes.push({ opType: "QuantizeLinear", input: [a, s, zp], output: [q], name: g.fresh("n_q") });
    nodes.push({ opType: "DequantizeLinear", input: [q, s, zp], output: [name], name: g.fresh("n_dq") });
    dequantized.set(a, name);
    return name;
  };
  for (const node of model.graph!.node ?? []) {
    const op = node.opType ?? "";
    const label = node.name || `${op}:${node.output?.[0]}`;
    if (!targets.includes(node)) {
      nodes.push(node);
      continue;
    }
    const [a, b, ...rest] = node.input ?? [];
    const w = inits.get(b);
    const transB = toNumber(attr(node, "transB")?.i);
    if (!w || w.dataType !== DataType.FLOAT || !ranges.has(a)) {
      report.skipped.push({
        node: label,
        reason: !w ? "weight is not an initializer" : !ranges.has(a) ? "input is a constant" : "weight is not float32",
      });
      nodes.push(node);
      continue;
    }
    const dims = (w.dims ?? []).map(toNumber);
    // Output channel axis of the weight: Conv [O, I, k…] → 0; MatMul [K, N] → 1; Gemm with transB [N, K] → 0.
    const axis = op === "Conv" ? 0 : op === "Gemm" && transB ? 0 : 1;
    const { q, scales } = quantizePerChannel(floatsOf(w), dims, axis, WEIGHT_LEVELS);
    const wq = g.constant(`${b}_int8`, dims, q);
    const ws = g.constant(`${b}_scale`, [dims[axis]], scales);
    const wzp = g.constant(`${b}_zp`, [dims[axis]], new Int8Array(dims[axis]));
    const wdq = g.fresh(`${b}_dq`);
    nodes.push({
      opType: "DequantizeLinear",
      input: [wq, ws, wzp],
      output: [wdq],
      attribute: [attribute("axis", axis)],
      name: g.fresh("n_wdq"),
    });
    nodes.push({ ...node, input: [qdq(a), wdq, ...rest] });
    drop.add(b);
    report.quantized.push(label);
  }
  const out = finish(model, g, nodes, drop);
  report.sizeAfter = out.byteLength;
  return { bytes: out, report };
}
