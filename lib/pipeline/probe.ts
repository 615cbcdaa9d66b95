/**
 * The onnxruntime edge of graph analysis: tensor types and shapes measured by running the model
 * (every intermediate tensor exposed as an output, at two batch sizes so the batch dimension is
 * recognised), and each block between cuts timed as its own extracted model on this device.
 */
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { onnx } from "onnx-proto";
import type * as ort from "onnxruntime-node";
import { onnxruntime } from "../native/onnxruntime";
import { encodeModel } from "../deploy/onnx-builder";
import { sessionOptions } from "../deploy/session";
import type { ThreadConfig } from "../runtime/threads";
import { extractStage, type PositionRange, type TensorType } from "./extract";
import type { GraphAnalysis } from "./graph";
import { median } from "../metrics/latency";

const elemTypeOf: Record<string, number> = {
  float32: 1,
  uint8: 2,
  int8: 3,
  uint16: 4,
  int16: 5,
  int32: 6,
  int64: 7,
  string: 8,
  bool: 9,
  float16: 10,
  float64: 11,
  uint32: 12,
  uint64: 13,
};

/** Random inputs for a set of boundary tensors (normal-ish floats; zeros for integer tensors). */
export function randomFeeds(
  inputs: string[],
  types: Map<string, TensorType>,
  batch: number,
  seed = 1,
): Record<string, ort.Tensor> {
  let s = seed >>> 0;
  const next = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
  const feeds: Record<string, ort.Tensor> = {};
  for (const name of inputs) {
    const t = types.get(name);
    if (!t) throw new Error(`no shape known for input "${name}"`);
    const dims = t.dims.map((d) => (typeof d === "number" ? d : batch));
    const count = dims.reduce((a, b) => a * b, 1);
    if (t.elemType === 1) {
      const data = new Float32Array(count);
      for (let i = 0; i < count; i++) data[i] = next() * 2;
      feeds[name] = new (onnxruntime().Tensor)("float32", data, dims);
    } else if (t.elemType === 7) feeds[name] = new (onnxruntime().Tensor)("int64", new BigInt64Array(count), dims);
    else
      throw new Error(`input "${name}" has element type ${t.elemType}; only float32 and int64 inputs can be generated`);
  }
  return feeds;
}

async function runAllTensors(
  model: onnx.IModelProto,
  names: string[],
  feeds: Record<string, ort.Tensor>,
  threads?: ThreadConfig,
): Promise<Record<string, ort.Tensor>> {
  const probe = onnx.ModelProto.create({
    ...model,
    graph: { ...model.graph, output: names.map((name) => ({ name })) },
  });
  const session = await onnxruntime().InferenceSession.create(
    encodeModel(probe),
    sessionOptions({ threads, graphOptimizationLevel: "basic" }),
  );
  try {
    return await session.run(feeds);
  } finally {
    await session.release();
  }
}

/**
 * Types and shapes of every non-constant tensor, measured: the model runs at batch 1 and 2 with
 * every tensor as an output; dimensions that change with the batch become the model's batch
 * dimension name (or "batch"). Graph inputs must have known non-batch dimensions.
 */
export async function probeTensorTypes(
  model: onnx.IModelProto,
  analysis: GraphAnalysis,
  declared: Map<string, TensorType>,
  threads?: ThreadConfig,
): Promise<Map<string, TensorType>> {
  const names = [...new Set(analysis.writes.flat())];
  const inputType = declared.get(analysis.inputs[0]);
  const batchName = inputType && typeof inputType.dims[0] === "string" ? inputType.dims[0] : "batch";
  const fixedBatch = inputType && typeof inputType.dims[0] === "number" ? inputType.dims[0] : null;
  const batches = fixedBatch !== null ? [fixedBatch] : [1, 2];
  const runs: Record<string, ort.Tensor>[] = [];
  for (const b of batches)
    runs.push(await runAllTensors(model, names, randomFeeds(analysis.inputs, declared, b), threads));
  const types = new Map(declared);
  for (const name of names) {
    const first = runs[0][name];
    if (!first) continue;
    const dims: (number | string)[] = first.dims.map((d, i) =>
      runs.length > 1 && runs[1][name].dims[i] !== d ? batchName : Number(d),
    );
    types.set(name, { elemType: elemTypeOf[first.type] ?? 1, dims });
  }
  return types;
}

/** Median milliseconds of `repeats` runs of one extracted range at `batch`, after 3 warm-up runs. */
export async function timeRange(
  model: onnx.IModelProto,
  analysis: GraphAnalysis,
  range: PositionRange,
  types: Map<string, TensorType>,
  batch: number,
  repeats: number,
  threads?: ThreadConfig,
): Promise<number> {
  const stage = extractStage(model, analysis, range, types);
  const session = await onnxruntime().InferenceSession.create(encodeModel(stage), sessionOptions({ threads }));
  try {
    const feeds = randomFeeds(
      (stage.graph!.input ?? []).map((v) => v.name ?? ""),
      types,
      batch,
    );
    for (let i = 0; i < 3; i++) await session.run(feeds);
    const times: number[] = [];
    for (let i = 0; i < repeats; i++) {
      const t0 = performance.now();
      await session.run(feeds);
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    return times[Math.floor(times.length / 2)];
  } finally {
    await session.release();
  }
}

/**
 * Per-node time of the whole model as onnxruntime's own profiler records it (fused kernels, layout
 * transforms and all), mapped back to compute positions: a fused node is charged to the original
 * node whose output it writes; inserted nodes (layout reorders) to the node executed before them.
 * Returns the median milliseconds per position over `repeats` runs (after 2 warm-up runs) and the
 * median whole-run time.
 */
export async function profileNodeTimes(
  model: onnx.IModelProto,
  analysis: GraphAnalysis,
  types: Map<string, TensorType>,
  batch: number,
  repeats: number,
  threads?: ThreadConfig,
): Promise<{ positionMs: Float64Array; wholeMs: number }> {
  const prefix = join(tmpdir(), `edgelab-ortprof-${process.pid}-${Date.now()}`);
  const session = await onnxruntime().InferenceSession.create(encodeModel(model), {
    ...sessionOptions({ threads }),
    enableProfiling: true,
    profileFilePrefix: prefix,
  });
  const feeds = randomFeeds(analysis.inputs, types, batch);
  for (let i = 0; i < repeats + 2; i++) await session.run(feeds);
  session.endProfiling();
  await session.release();
  const dir = dirname(prefix);
  const files = readdirSync(dir).filter((f) => f.startsWith(basename(prefix)));
  if (files.length === 0) throw new Error("onnxruntime wrote no profile");
  const events = JSON.parse(readFileSync(join(dir, files[0]), "utf8")) as { cat: string; name: string; dur: number }[];
  for (const f of files) rmSync(join(dir, f), { force: true });
  // Original names: node names and output tensor names → position.
  const nodes = model.graph!.node ?? [];
  const position = new Map<string, number>();
  analysis.order.forEach((i, p) => {
    if (nodes[i].name) position.set(nodes[i].name!, p);
    for (const o of nodes[i].output ?? []) position.set(o, p);
  });
  const perName = new Map<string, number[]>();
  const order: string[] = [];
  for (const e of events) {
    if (e.cat !== "Node" || !e.name.endsWith("_kernel_time")) continue;
    const name = e.name.slice(0, -"_kernel_time".length);
    if (!perName.has(name)) {
      perName.set(name, []);
      order.push(name);
    }
    perName.get(name)!.push(e.dur / 1000);
  }
  const positionMs = new Float64Array(analysis.order.length);
  let last = 0;
  for (const name of order) {
    const p = position.get(name) ?? position.get(name.replace(/_nchwc$/, "")) ?? last;
    last = p;
    positionMs[p] += median(perName.get(name)!.slice(2));
  }
  const runs = events.filter((e) => e.name === "model_run").map((e) => e.dur / 1000);
  return { positionMs, wholeMs: median(runs.slice(2)) };
}
