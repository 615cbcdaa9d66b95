/**
 * The last pipeline stage's side: outputs kept by sequence number (a repeated pass is compared, not
 * stored), acknowledgements for stage 0, exactly-once accounting, the atomic write of the outputs,
 * and top-1 accuracy against labels.
 */
import type * as ort from "onnxruntime-node";
import { DataFormatError } from "../data/errors";
import { fuse } from "../buffers/fuse";
import { readNpy, writeNpy } from "../deploy/npy";
import { argmaxRows } from "../metrics/classification";
import { median } from "../metrics/latency";
import { wallClockMs as now, type PipelineJob, type PipelineResult } from "./job";

/** The last stage's collection of outputs, by sequence number. */
export class Sink {
  private readonly outputs = new Map<number, Float32Array>();
  private readonly seen = new Set<number>();
  private duplicates = 0;
  private outShape: number[] = [];
  private firstSent = Infinity;
  private lastDone = 0;
  private images = 0;
  private expected = 0;
  private perPass = Infinity;
  /** Largest difference between a repeated micro-batch's output and its first pass's (0 when bit-identical). */
  private repeatDiff = 0;
  readonly endToEnd: number[] = [];
  readonly timeline: { seq: number; doneAt: number; rows: number }[] = [];
  private readonly ackBuf: Float64Array;

  constructor(stages: number) {
    // [seq, sentAtMs, compute ms × stages, CPU ms × stages]
    this.ackBuf = new Float64Array(2 + 2 * stages);
  }

  take(header: Float64Array, out: ort.Tensor): void {
    const seq = header[1];
    this.perPass = header[4];
    const done = now();
    if (this.seen.has(seq)) this.duplicates++;
    this.seen.add(seq);
    const data = out.data as Float32Array;
    // Later passes repeat the first pass's micro-batches: compare instead of keeping.
    const first = seq >= this.perPass ? this.outputs.get(seq % this.perPass) : undefined;
    if (first)
      for (let i = 0; i < data.length; i++) this.repeatDiff = Math.max(this.repeatDiff, Math.abs(data[i] - first[i]));
    else this.outputs.set(seq, Float32Array.from(data));
    this.outShape = out.dims.map(Number);
    this.images += this.outShape[0];
    this.firstSent = Math.min(this.firstSent, header[3]);
    this.lastDone = done;
    this.endToEnd.push(done - header[3]);
    this.timeline.push({ seq, doneAt: done, rows: header[2] });
  }

  /** How many micro-batches stage 0 sent (from its stop message). */
  expect(count: number): void {
    this.expected = count;
  }

  /** The acknowledgement for stage 0: `[seq, doneAt, computeMs × stages, cpuMs × stages]`. */
  ack(header: Float64Array): Float64Array {
    this.ackBuf[0] = header[1];
    this.ackBuf[1] = now();
    this.ackBuf.set(header.subarray(5), 2);
    return this.ackBuf;
  }

  /** Writes the outputs in sequence order (atomically). */
  write(job: PipelineJob): { data: Float32Array; shape: number[] } {
    const seqs = [...this.outputs.keys()].sort((a, b) => a - b);
    const data = fuse(seqs.map((s) => this.outputs.get(s)!));
    const perRow = this.outShape.slice(1).reduce((a, b) => a * b, 1);
    const shape = [data.length / Math.max(1, perRow), ...this.outShape.slice(1)];
    writeNpy(job.out, { dtype: "float32", shape, data });
    return { data, shape };
  }

  summary(
    shape: number[],
    stages: number,
  ): Omit<PipelineResult, "stages" | "transport" | "devices" | "replans" | "passes"> {
    let missing = 0;
    for (let seq = 0; seq < this.expected; seq++) if (!this.seen.has(seq)) missing++;
    const wall = Math.max(1e-9, this.lastDone - this.firstSent);
    // Steady state: from the moment the pipeline is full (the stages-th completion) to the last.
    const full = this.timeline[Math.min(stages, this.timeline.length) - 1];
    const later = this.timeline.filter((t) => t.doneAt > full.doneAt);
    const steadyMs = this.lastDone - full.doneAt;
    return {
      outputShape: shape,
      imagesPerSec: (this.images * 1000) / wall,
      steadyImagesPerSec:
        later.length > 0 && steadyMs > 0
          ? (later.reduce((n, t) => n + t.rows, 0) * 1000) / steadyMs
          : (this.images * 1000) / wall,
      endToEndMs: this.endToEnd.length ? median(this.endToEnd) : 0,
      wallSeconds: wall / 1000,
      startedAtMs: this.firstSent,
      answered: this.seen.size,
      repeatMaxAbsDiff: this.repeatDiff,
      duplicated: this.duplicates,
      missing,
      timeline: this.timeline.map((t) => ({ seq: t.seq, doneAtMs: t.doneAt - this.firstSent })),
    };
  }
}

/** Top-1 accuracy of logits `[n, classes]` against integer labels in an .npy file. */
export function accuracyOf(logits: Float32Array, shape: number[], labelsFile: string): number {
  const labels = readNpy(labelsFile);
  const n = shape[0];
  const classes = shape.slice(1).reduce((a, b) => a * b, 1);
  if (labels.data.length !== n)
    throw new DataFormatError(labelsFile, `has ${labels.data.length} labels for ${n} inputs`);
  const predicted = argmaxRows(logits, classes);
  let correct = 0;
  for (let i = 0; i < n; i++) if (predicted[i] === Number(labels.data[i])) correct++;
  return correct / n;
}
