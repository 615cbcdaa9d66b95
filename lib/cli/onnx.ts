/**
 * ONNX commands:
 *   edgelab inspect-onnx M.onnx [--json]
 *   edgelab run-onnx M.onnx --input X.npy --out Y.npy [--batch N] [--no-preprocess] [--optimization all] [--json]
 *   edgelab bench onnx M.onnx [--batch 1] [--threads T] [--target-ms 50] [--iterations N] [--json]
 *   edgelab export-onnx RUN_DIR --out M.onnx [--json]
 *   edgelab quantize M.onnx --out Q.onnx [--mode dynamic|static] [--calibration X.npy] [--json]
 */
import { parseArgs } from "node:util";
import { DataFormatError } from "../data/errors";
import { benchmarkLatency } from "../deploy/benchmark";
import { npyAsFloat32, readNpy, writeNpy } from "../deploy/npy";
import { exportRun } from "../deploy/export-run";
import { inspectOnnx, readOnnx } from "../deploy/onnx-model";
import { applyPreprocessing } from "../deploy/preprocess";
import { checkCalibration, quantizeDynamic, quantizeStatic } from "../deploy/quantize";
import { writeFileAtomic } from "../report/atomic";
import { DeployedModel, optimizationLevels } from "../deploy/session";
import { toTextTable } from "../report/table";
import { configureThreads } from "../runtime/threads";
import { parse, UsageError } from "./args";

function positive(v: string | undefined, flag: string, command: string, fallback: number, integer = true): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!(n > 0) || (integer && !Number.isInteger(n)))
    throw new UsageError(`${command}: ${flag} must be a positive ${integer ? "integer" : "number"}, got "${v}"`);
  return n;
}

/** `edgelab inspect-onnx`. */
export async function inspectOnnxCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parse(
    () => parseArgs({ args: argv, options: { json: { type: "boolean" } }, allowPositionals: true, strict: true }),
    "inspect-onnx",
  );
  if (positionals.length !== 1) throw new UsageError("usage: edgelab inspect-onnx MODEL.onnx [--json]");
  const info = inspectOnnx(positionals[0]);
  if (values.json) {
    console.log(JSON.stringify(info));
    return;
  }
  console.log(
    `${info.file}: ${(info.sizeBytes / 1e6).toFixed(2)} MB, ${info.parameters.toLocaleString("en")} parameters, ${info.nodes} nodes, IR ${info.irVersion}, opsets ${JSON.stringify(info.opsets)}, producer ${info.producer || "?"}`,
  );
  console.log(
    toTextTable([
      ...info.inputs.map((v) => ({ io: "input", ...v, shape: `[${v.shape.join(", ")}]` })),
      ...info.outputs.map((v) => ({ io: "output", ...v, shape: `[${v.shape.join(", ")}]` })),
    ]),
  );
  console.log(
    `operators: ${Object.entries(info.operators)
      .map(([op, n]) => `${op} ${n}`)
      .join(", ")}`,
  );
  const meta = Object.entries(info.metadata);
  if (meta.length)
    console.log(`metadata: ${meta.map(([k, v]) => `${k} (${v.length > 40 ? `${v.length} chars` : v})`).join(", ")}`);
}

/** `edgelab run-onnx`. */
export async function runOnnxCommand(argv: string[]): Promise<void> {
  const options = {
    input: { type: "string" },
    out: { type: "string" },
    batch: { type: "string" },
    "no-preprocess": { type: "boolean" },
    optimization: { type: "string" },
    json: { type: "boolean" },
  } as const;
  const { values, positionals } = parse(
    () => parseArgs({ args: argv, options, allowPositionals: true, strict: true }),
    "run-onnx",
  );
  if (positionals.length !== 1 || !values.input || !values.out)
    throw new UsageError(
      "usage: edgelab run-onnx MODEL.onnx --input X.npy --out Y.npy [--batch N] [--no-preprocess] [--optimization all] [--json]",
    );
  const batch = positive(values.batch, "--batch", "run-onnx", 256);
  const array = readNpy(values.input);
  const data = npyAsFloat32(array, values.input);
  const optimization = optimizationLevels.find((l) => l === (values.optimization ?? "all"));
  if (!optimization)
    throw new UsageError(
      `run-onnx: --optimization must be one of ${optimizationLevels.join(", ")}, got "${values.optimization}"`,
    );
  const model = await DeployedModel.load(positionals[0], {
    preprocess: !values["no-preprocess"],
    graphOptimizationLevel: optimization,
  });
  model.checkInput("float32", array.shape);
  const t0 = performance.now();
  const out = await model.runBatched(data, array.shape, batch);
  const seconds = (performance.now() - t0) / 1000;
  await model.release();
  writeNpy(values.out, { dtype: "float32", shape: out.shape, data: out.data });
  const result = {
    model: positionals[0],
    input: values.input,
    inputShape: array.shape,
    inputDtype: array.dtype,
    out: values.out,
    outputShape: out.shape,
    rows: array.shape[0],
    seconds,
    preprocessed: !values["no-preprocess"] && model.preprocessing.mean !== null,
  };
  if (values.json) console.log(JSON.stringify(result));
  else
    console.log(
      `${values.out}: [${out.shape.join(", ")}] float32 from ${array.shape[0]} rows in ${(seconds * 1000).toFixed(1)} ms${result.preprocessed ? " (z-scored with the model's metadata)" : ""}`,
    );
}

/** `edgelab bench onnx`. */
export async function benchOnnxCommand(argv: string[]): Promise<void> {
  const options = {
    batch: { type: "string" },
    threads: { type: "string" },
    "target-ms": { type: "string" },
    iterations: { type: "string" },
    warmup: { type: "string" },
    json: { type: "boolean" },
  } as const;
  const { values, positionals } = parse(
    () => parseArgs({ args: argv, options, allowPositionals: true, strict: true }),
    "bench onnx",
  );
  if (positionals.length !== 1)
    throw new UsageError(
      "usage: edgelab bench onnx MODEL.onnx [--batch 1] [--threads T] [--target-ms 50] [--iterations N] [--json]",
    );
  const threads =
    values.threads === undefined
      ? configureThreads()
      : configureThreads({ intraOp: positive(values.threads, "--threads", "bench onnx", 1) });
  const result = await benchmarkLatency(
    positionals[0],
    {
      batch: positive(values.batch, "--batch", "bench onnx", 1),
      targetMs: positive(values["target-ms"], "--target-ms", "bench onnx", 50, false),
      iterations: positive(values.iterations, "--iterations", "bench onnx", 200),
      warmup: positive(values.warmup, "--warmup", "bench onnx", 10),
    },
    { threads },
  );
  const out = { model: positionals[0], ...result };
  if (values.json) {
    console.log(JSON.stringify(out));
    return;
  }
  console.log(
    `${positionals[0]} batch ${result.batch}, ${threads.intraOp} thread(s): p50 ${result.p50Ms.toFixed(2)} ms, p95 ${result.p95Ms.toFixed(2)} ms, p99 ${result.p99Ms.toFixed(2)} ms, ${result.throughput.toFixed(0)} samples/s, cold start ${result.coldStartMs.toFixed(0)} ms`,
  );
  console.log(
    `raw onnxruntime p50 ${result.rawOrtP50Ms?.toFixed(2)} ms (edgelab ÷ raw = ${result.overhead?.toFixed(3)})`,
  );
  console.log(`target ${result.targetMs} ms at p95: ${result.meetsTarget ? "MET" : "NOT MET"}`);
}

/** `edgelab export-onnx RUN_DIR --out M.onnx [--json]`. */
export async function exportOnnxCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parse(
    () =>
      parseArgs({
        args: argv,
        options: { out: { type: "string" }, json: { type: "boolean" } },
        allowPositionals: true,
        strict: true,
      }),
    "export-onnx",
  );
  if (positionals.length !== 1 || !values.out)
    throw new UsageError(
      "usage: edgelab export-onnx RUN_DIR --out MODEL.onnx [--json]  (RUN_DIR is an edgelab train --out folder)",
    );
  const result = exportRun(positionals[0], values.out);
  if (values.json) console.log(JSON.stringify(result));
  else
    console.log(
      `${result.out}: ${result.model} after epoch ${result.epoch}, ${(result.bytes / 1e6).toFixed(2)} MB${result.preprocessing ? ", standardisation in metadata" : ""}${result.labels ? `, ${result.labels} labels` : ""}`,
    );
}

/** `edgelab quantize M.onnx --out Q.onnx [--mode dynamic|static] [--calibration X.npy] [--json]`. */
export async function quantizeCommand(argv: string[]): Promise<void> {
  const options = {
    out: { type: "string" },
    mode: { type: "string" },
    calibration: { type: "string" },
    json: { type: "boolean" },
  } as const;
  const { values, positionals } = parse(
    () => parseArgs({ args: argv, options, allowPositionals: true, strict: true }),
    "quantize",
  );
  const usage =
    "usage: edgelab quantize MODEL.onnx --out INT8.onnx [--mode dynamic|static] [--calibration X.npy] [--json]";
  if (positionals.length !== 1 || !values.out) throw new UsageError(usage);
  const mode = values.mode ?? "dynamic";
  if (mode !== "dynamic" && mode !== "static")
    throw new UsageError(`quantize: --mode must be dynamic or static, got "${mode}"`);
  const { bytes } = readOnnx(positionals[0]);
  let result;
  if (mode === "dynamic") result = quantizeDynamic(bytes, positionals[0]);
  else {
    if (!values.calibration)
      throw new UsageError("quantize: --mode static needs --calibration X.npy (representative raw inputs)");
    const array = readNpy(values.calibration);
    if (array.dtype !== "float32" && array.dtype !== "float64")
      throw new DataFormatError(values.calibration, `dtype ${array.dtype}: calibration inputs must be float32`);
    // Before onnxruntime sees them: a 0-row batch aborts it natively, NaN rows give constant logits.
    checkCalibration([{ data: npyAsFloat32(array, values.calibration), shape: array.shape }], values.calibration);
    const model = await DeployedModel.load(bytes);
    model.checkInput("float32", array.shape);
    const data = applyPreprocessing(
      model.preprocessing,
      array.dtype === "float32" ? (array.data as Float32Array) : Float32Array.from(array.data as Float64Array),
    );
    await model.release();
    result = await quantizeStatic(bytes, [{ data, shape: array.shape }], positionals[0]);
  }
  writeFileAtomic(values.out, result.bytes);
  const out = { model: positionals[0], out: values.out, ...result.report };
  if (values.json) console.log(JSON.stringify(out));
  else {
    console.log(
      `${values.out}: ${mode} INT8, ${(out.sizeBefore / 1e6).toFixed(2)} → ${(out.sizeAfter / 1e6).toFixed(2)} MB, ${out.quantized.length} node(s) quantised`,
    );
    for (const s of out.skipped) console.log(`  kept float: ${s.node} (${s.reason})`);
  }
}
