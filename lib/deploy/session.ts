/**
 * Deploying an ONNX model with onnxruntime-node: one call loads it (file or bytes) with the
 * runtime's thread configuration, reads its preprocessing from metadata, and runs inputs with
 * shape/dtype checks (expected versus got), z-scoring, batching and warm-up.
 */
import { readFileSync } from "node:fs";
import type * as ort from "onnxruntime-node";
import { onnxruntime } from "../native/onnxruntime";
import { DataFormatError } from "../data/errors";
import { fuse } from "../buffers/fuse";
import { onnxThreadOptions, threadConfig, type ThreadConfig } from "../runtime/threads";
import { decodeOnnx, describeOnnx, type OnnxInfo, type OnnxValueInfo } from "./onnx-model";
import { applyPreprocessing, preprocessingFromMetadata, type ModelPreprocessing } from "./preprocess";

/** onnxruntime's graph optimisation levels. */
export type OptimizationLevel = "disabled" | "basic" | "extended" | "all";

/** The levels, for argument checking. */
export const optimizationLevels: readonly OptimizationLevel[] = Object.freeze(["disabled", "basic", "extended", "all"]);

/** How to create the session. */
export interface DeployOptions {
  /** Threads (default: the runtime's configuration, see `configureThreads`). */
  threads?: ThreadConfig;
  /** onnxruntime graph optimisation level (default "all"). */
  graphOptimizationLevel?: OptimizationLevel;
  /** Apply the z-scoring stored in the model's metadata to raw inputs (default true). */
  preprocess?: boolean;
}

/** onnxruntime session options for a deployment. */
export function sessionOptions(options: DeployOptions = {}): ort.InferenceSession.SessionOptions {
  return {
    ...onnxThreadOptions(options.threads ?? threadConfig()),
    graphOptimizationLevel: options.graphOptimizationLevel ?? "all",
  };
}

/** A model's output for one call. */
export interface RunResult {
  /** Output tensors by name, float32, with their shapes. */
  outputs: Record<string, { data: Float32Array; shape: number[] }>;
  /** The first output (logits for edgelab's classifiers). */
  data: Float32Array;
  shape: number[];
}

const describeShape = (shape: (number | string)[]): string => `[${shape.join(", ")}]`;

/** A loaded, ready-to-run ONNX model. */
export class DeployedModel {
  private constructor(
    readonly session: ort.InferenceSession,
    readonly info: OnnxInfo,
    readonly preprocessing: ModelPreprocessing,
    readonly source: string,
    /** Milliseconds to create the session (parse, optimise, allocate). */
    readonly loadMs: number,
    private readonly applyZScore: boolean,
  ) {}

  /** Loads a model from a file path or bytes. */
  static async load(source: string | Uint8Array, options: DeployOptions = {}): Promise<DeployedModel> {
    const file = typeof source === "string" ? source : "<bytes>";
    let bytes: Uint8Array;
    try {
      bytes = typeof source === "string" ? readFileSync(source) : source;
    } catch (err) {
      throw new DataFormatError(file, `cannot read: ${(err as Error).message}`);
    }
    const model = decodeOnnx(bytes, file);
    const info = describeOnnx(model, bytes.byteLength, typeof source === "string" ? source : null);
    const preprocessing = preprocessingFromMetadata(info.metadata, file);
    const t0 = performance.now();
    let session: ort.InferenceSession;
    try {
      session = await onnxruntime().InferenceSession.create(bytes, sessionOptions(options));
    } catch (err) {
      throw new DataFormatError(file, `onnxruntime cannot load the model: ${(err as Error).message.split("\n")[0]}`);
    }
    return new DeployedModel(session, info, preprocessing, file, performance.now() - t0, options.preprocess ?? true);
  }

  /** The (first) input the model takes. */
  get input(): OnnxValueInfo {
    return this.info.inputs[0];
  }

  /** Class names from the metadata, if any. */
  get labels(): string[] | null {
    return this.preprocessing.labels;
  }

  /** Checks an input against the model's declared input; the error says expected versus got. */
  checkInput(dtype: string, shape: number[]): void {
    const want = this.input;
    const problem =
      dtype !== want.type
        ? "dtype"
        : shape.length !== want.shape.length
          ? "rank"
          : shape.some((d, i) => typeof want.shape[i] === "number" && want.shape[i] !== d)
            ? "shape"
            : null;
    if (problem)
      throw new DataFormatError(
        this.source,
        `input "${want.name}": expected ${describeShape(want.shape)} ${want.type}, got ${describeShape(shape)} ${dtype}`,
      );
  }

  /** Runs one input tensor (row-major), applying the metadata's preprocessing. */
  async run(data: Float32Array, shape: number[]): Promise<RunResult> {
    this.checkInput("float32", shape);
    if (data.length !== shape.reduce((a, b) => a * b, 1))
      throw new DataFormatError(
        this.source,
        `input has ${data.length} values, shape ${describeShape(shape)} needs ${shape.reduce((a, b) => a * b, 1)}`,
      );
    const prepared = this.applyZScore ? applyPreprocessing(this.preprocessing, data) : data;
    const feeds = { [this.input.name]: new (onnxruntime().Tensor)("float32", prepared, shape) };
    const results = await this.session.run(feeds);
    const outputs: RunResult["outputs"] = {};
    for (const [name, t] of Object.entries(results)) {
      outputs[name] = {
        data: t.data instanceof Float32Array ? t.data : Float32Array.from(t.data as ArrayLike<number>),
        shape: t.dims.map(Number),
      };
    }
    const first = outputs[this.info.outputs[0].name] ?? Object.values(outputs)[0];
    return { outputs, data: first.data, shape: first.shape };
  }

  /** Runs many rows in batches of `batch` (the first dimension is split); outputs are concatenated. */
  async runBatched(
    data: Float32Array,
    shape: number[],
    batch: number,
  ): Promise<{ data: Float32Array; shape: number[] }> {
    if (!Number.isInteger(batch) || batch < 1) throw new Error(`batch must be a positive integer, got ${batch}`);
    const rows = shape[0];
    const per = shape.slice(1).reduce((a, b) => a * b, 1);
    const parts: Float32Array[] = [];
    let outShape: number[] = [];
    for (let r = 0; r < rows; r += batch) {
      const n = Math.min(batch, rows - r);
      const out = await this.run(data.subarray(r * per, (r + n) * per), [n, ...shape.slice(1)]);
      parts.push(out.data);
      outShape = out.shape;
    }
    return { data: fuse(parts), shape: [rows, ...outShape.slice(1)] };
  }

  /** Runs `count` untimed inferences on zeros of batch `batch` (first-run allocations, caches). */
  async warmUp(batch = 1, count = 3): Promise<void> {
    const shape = this.concreteShape(batch);
    const zeros = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < count; i++) await this.run(zeros, shape);
  }

  /** The input shape with symbolic dimensions filled: the first by `batch`, others must be fixed. */
  concreteShape(batch: number): number[] {
    return this.input.shape.map((d, i) => {
      if (i === 0) {
        if (typeof d === "number" && d > 0 && d !== batch)
          throw new DataFormatError(
            this.source,
            `input "${this.input.name}" has a fixed batch of ${d}; batch ${batch} requested`,
          );
        return batch;
      }
      if (typeof d === "number" && d > 0) return d;
      throw new DataFormatError(
        this.source,
        `input "${this.input.name}" has a symbolic dimension ${i} (${d}); give a concrete input`,
      );
    });
  }

  /** Releases the native session. */
  async release(): Promise<void> {
    await this.session.release();
  }
}
