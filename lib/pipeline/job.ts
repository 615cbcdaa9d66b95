import type { OptimizationLevel } from "../deploy/session";
import type { BlockCost, DeviceSpec, LinkModel, Plan } from "./partition";
import type { RebalanceConfig } from "./rebalance";

/**
 * A pipeline job as plain data (written by the launcher as `job.json`, read by every rank), the
 * per-device report each stage produces, and the pure helpers both sides share.
 */

/** Everything a rank needs to run its stage. */
export interface PipelineJob {
  /** The original model (its metadata's preprocessing applies to the input). */
  model: string;
  /** One extracted ONNX file per stage, in order. */
  stageFiles: string[];
  /** The plan the stages start with. */
  plan: Plan;
  /** Measured types and shapes of the model's tensors (for re-extracting stages after a re-plan). */
  typesFile: string;
  /** What re-planning needs: profiled blocks, devices and link. */
  blocks: BlockCost[];
  devices: DeviceSpec[];
  link: LinkModel;
  /** Re-plan while running when stages slow down; null keeps the plan. */
  rebalance: RebalanceConfig | null;
  /** Micro-batches in flight at most (backpressure from the last stage's acknowledgements). */
  window: number;
  input: string;
  out: string;
  /** Optional integer labels (.npy) for accuracy at the last stage. */
  labels: string | null;
  microbatches: number;
  /** Times the input is streamed through (a serving load; outputs are written once). */
  passes: number;
  /** Rows per micro-batch when the model's batch dimension is fixed; null when it is dynamic. */
  fixedBatch: number | null;
  preprocess: boolean;
  /** onnxruntime intra-op threads per stage. */
  threads: number;
  /**
   * onnxruntime graph optimisation level. "all" adds x86 layout transforms (NCHWc) whose kernel
   * choice can differ at a stage's edges (outputs then differ from the whole model's by ~1e-6);
   * "basic" gives bit-identical outputs.
   */
  optimization: OptimizationLevel;
}

/** A switch of plans while running. */
export interface ReplanEvent {
  /** The first micro-batch run under the new plan. */
  atSeq: number;
  /** Milliseconds since the first micro-batch was sent. */
  decidedAtMs: number;
  /** Waiting for in-flight micro-batches to finish. */
  drainMs: number;
  /** Until stage 0 ran again under the new plan (drain + re-extract + reload). */
  pauseMs: number;
  reason: string;
  /** Compute nodes per stage before and after. */
  layersBefore: number[];
  layersAfter: number[];
}

/** The seed's per-device metric table, one row per stage. */
export interface DeviceReport {
  stage: number;
  host: string;
  pid: number;
  layers: number;
  batchSize: number;
  microbatches: number;
  /** Images this device processed per second of its own wall time. */
  imagesPerSec: number;
  /** Half the median round trip of a small message to the next stage; null for the last. */
  networkLatencyMs: number | null;
  /** Median of send-to-result over micro-batches (at the last stage; null elsewhere). */
  endToEndMs: number | null;
  inferenceMsPerImage: number;
  inferenceMsPerBatch: number;
  /** Time blocked waiting for the previous stage. */
  waitMs: number;
  /** Time blocked sending to the next stage. */
  sendMs: number;
  /** Process CPU time over wall time, % of one core (can exceed 100 with threads). */
  cpuPercent: number;
  /** Core 0's frequency from cpufreq; null where the machine does not expose it (VMs, containers). */
  cpuMHz: number | null;
  /** Peak RSS (VmHWM) as % of the machine's memory. */
  memoryPercent: number | null;
  peakRssMB: number | null;
  /** Top-1 accuracy against the labels, at the last stage when labels were given. */
  accuracy: number | null;
}

/** What `pipeline run` reports. */
export interface PipelineResult {
  outputShape: number[];
  /** Images over the whole run, first send to last result (fill and drain included). */
  imagesPerSec: number;
  /** Images per second once the pipeline is full (after the first micro-batch per stage completed). */
  steadyImagesPerSec: number;
  endToEndMs: number;
  wallSeconds: number;
  stages: number;
  transport: string;
  devices: DeviceReport[];
  /** Micro-batches answered, and how many of them more than once or never (both must be 0). */
  answered: number;
  duplicated: number;
  missing: number;
  /** Passes over the input, and the largest output difference of a repeated micro-batch from its first pass. */
  passes: number;
  repeatMaxAbsDiff: number;
  /** Epoch milliseconds of the first send (timeline times are relative to it). */
  startedAtMs: number;
  /** Per answered micro-batch: its sequence number and completion time (ms since the first send). */
  timeline: { seq: number; doneAtMs: number }[];
  replans: ReplanEvent[];
  /** Set when the launcher finished cleanly but mpiexec's teardown did not (see runPipeline). */
  cleanupWarning?: string;
}

/** Splits `rows` into micro-batches: `count` near-equal runs, or runs of exactly `fixed` rows. */
export function microbatchRanges(rows: number, count: number, fixed: number | null): { start: number; rows: number }[] {
  if (fixed !== null) {
    if (rows % fixed !== 0)
      throw new Error(`the model takes batches of exactly ${fixed}; ${rows} input rows are not a multiple`);
    return Array.from({ length: rows / fixed }, (_, i) => ({ start: i * fixed, rows: fixed }));
  }
  const n = Math.max(1, Math.min(rows, count));
  const base = Math.floor(rows / n);
  const extra = rows % n;
  const out: { start: number; rows: number }[] = [];
  let start = 0;
  for (let i = 0; i < n; i++) {
    const r = base + (i < extra ? 1 : 0);
    out.push({ start, rows: r });
    start += r;
  }
  return out;
}

/** Milliseconds since the epoch with sub-millisecond resolution (timestamps compared across stages). */
export function wallClockMs(): number {
  return performance.timeOrigin + performance.now();
}
