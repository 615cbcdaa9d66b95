/**
 * Latency benchmark of a deployed model: cold start, warm-up, then timed single calls at a batch
 * size → p50/p95/p99, throughput and a verdict against a latency target (the seed's 50 ms).
 * A bare onnxruntime-node loop on the same bytes, same options and same input runs in the same
 * call, so edgelab's own overhead is visible (`rawOrtP50Ms`).
 */
import { readFileSync } from "node:fs";
import type * as ort from "onnxruntime-node";
import { onnxruntime } from "../native/onnxruntime";
import { latencyStats, type LatencyStats } from "../metrics/latency";
import { Rng } from "../random";
import { DeployedModel, sessionOptions, type DeployOptions } from "./session";

/** Benchmark settings. */
export interface LatencyBenchConfig {
  batch?: number;
  /** Untimed calls first (default 10). */
  warmup?: number;
  /** Timed calls (default 200). */
  iterations?: number;
  /** Latency target in ms (default 50); the verdict uses p95. */
  targetMs?: number;
  /** Also time a bare onnxruntime loop (default true). */
  raw?: boolean;
  seed?: number;
}

/** What the benchmark measured. */
export interface LatencyBenchResult extends LatencyStats {
  batch: number;
  iterations: number;
  /** Samples per second at this batch size (batch / mean latency). */
  throughput: number;
  /** Session creation + first inference, ms. */
  coldStartMs: number;
  loadMs: number;
  firstRunMs: number;
  targetMs: number;
  /** p95 ≤ target. */
  meetsTarget: boolean;
  verdictPercentile: "p95";
  rawOrtP50Ms: number | null;
  rawOrtP95Ms: number | null;
  /** edgelab p50 ÷ raw p50 (goal ≤ 1.05). */
  overhead: number | null;
  threads: { intraOp: number; interOp: number };
  /** Every timed latency in ms, in call order (for distributions). */
  samplesMs: number[];
}

/** Benchmarks a model given as a file or bytes. */
export async function benchmarkLatency(
  source: string | Uint8Array,
  config: LatencyBenchConfig = {},
  options: DeployOptions = {},
): Promise<LatencyBenchResult> {
  const batch = config.batch ?? 1;
  const warmup = config.warmup ?? 10;
  const iterations = config.iterations ?? 200;
  const targetMs = config.targetMs ?? 50;
  if (!Number.isInteger(batch) || batch < 1) throw new Error(`batch must be a positive integer, got ${batch}`);
  if (!Number.isInteger(iterations) || iterations < 1)
    throw new Error(`iterations must be a positive integer, got ${iterations}`);
  const model = await DeployedModel.load(source, options);
  const shape = model.concreteShape(batch);
  const rng = new Rng(config.seed ?? 7);
  const input = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal());
  const t0 = performance.now();
  await model.run(input, shape);
  const firstRunMs = performance.now() - t0;
  const opts = sessionOptions(options);
  // The bare loop: same bytes, options and input; a pre-built feed, no checks, no preprocessing.
  // Its calls alternate with edgelab's so both see the same machine conditions.
  let rawSession: ort.InferenceSession | null = null;
  let feeds: Record<string, ort.Tensor> = {};
  if (config.raw ?? true) {
    const bytes = typeof source === "string" ? readFileSync(source) : source;
    rawSession = await onnxruntime().InferenceSession.create(bytes, opts);
    feeds = { [rawSession.inputNames[0]]: new (onnxruntime().Tensor)("float32", input, shape) };
  }
  const samples: number[] = [];
  const rawSamples: number[] = [];
  for (let i = 0; i < warmup + iterations; i++) {
    let t = performance.now();
    await model.run(input, shape);
    if (i >= warmup) samples.push(performance.now() - t);
    if (rawSession) {
      t = performance.now();
      await rawSession.run(feeds);
      if (i >= warmup) rawSamples.push(performance.now() - t);
    }
  }
  const stats = latencyStats(samples);
  const raw = rawSession ? latencyStats(rawSamples) : null;
  await model.release();
  await rawSession?.release();
  return {
    ...stats,
    batch,
    iterations,
    throughput: (batch * 1000) / stats.meanMs,
    coldStartMs: model.loadMs + firstRunMs,
    loadMs: model.loadMs,
    firstRunMs,
    targetMs,
    meetsTarget: stats.p95Ms <= targetMs,
    verdictPercentile: "p95",
    rawOrtP50Ms: raw?.p50Ms ?? null,
    rawOrtP95Ms: raw?.p95Ms ?? null,
    overhead: raw ? stats.p50Ms / raw.p50Ms : null,
    threads: { intraOp: opts.intraOpNumThreads ?? 1, interOp: opts.interOpNumThreads ?? 1 },
    samplesMs: samples,
  };
}
