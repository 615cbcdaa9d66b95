/**
 * One pipeline stage at run time. Stage 0 reads the input and is the controller; every stage runs
 * its extracted model in onnxruntime-node and hands activations to the next; the last stage keeps
 * the outputs by sequence number, acknowledges each micro-batch to stage 0 (which bounds the
 * micro-batches in flight and feeds the re-planner) and finally writes the outputs and collects
 * every stage's metrics. Stages overlap: while stage k runs micro-batch j, stage k+1 runs j−1.
 *
 * Messages: a float64 header `[kind, seq, rows, sentAtMs, microbatchesPerPass, computeMs × stages, cpuMs × stages]`, then for data the
 * activations (float32), for a re-plan the new stage ranges (JSON). A re-plan is only sent once
 * stage 0 has drained every micro-batch in flight, so no request is lost or run twice.
 */
import { readFileSync } from "node:fs";
import { hostname, totalmem } from "node:os";
import type * as ort from "onnxruntime-node";
import { onnxruntime } from "../native/onnxruntime";
import { DataFormatError } from "../data/errors";
import { encodeModel } from "../deploy/onnx-builder";
import { npyAsFloat32, readNpy } from "../deploy/npy";
import { onnxMetadata, readOnnx } from "../deploy/onnx-model";
import { applyPreprocessing, preprocessingFromMetadata } from "../deploy/preprocess";
import { sessionOptions } from "../deploy/session";
import { peakRssMBFromKernel } from "../metrics/sampler";
import { cpuFrequencyMHz } from "../runtime/device";
import { extractStage, stageBoundary, type PositionRange, type TensorType } from "./extract";
import { analyzeGraph } from "./graph";
import { median } from "../metrics/latency";
import {
  microbatchRanges,
  wallClockMs as now,
  type DeviceReport,
  type PipelineJob,
  type PipelineResult,
  type ReplanEvent,
} from "./job";
import { recvJson, sendJson, type StageLink } from "./link";
import { Rebalancer } from "./rebalance";
import { accuracyOf, Sink } from "./sink";

const TAG_HEADER = 10;
const TAG_DATA = 11;
const TAG_PING = 20;
const TAG_ACK = 25;
const TAG_PLAN = 40;
const TAG_REPORT = 30;
const KIND_DATA = 0;
const KIND_STOP = -1;
const KIND_REPLAN = 1;

/** Reads the job's input as float32 rows, with the model's preprocessing when asked. */
function readInput(job: PipelineJob, rowDims: number[]): { data: Float32Array; shape: number[] } {
  const array = readNpy(job.input);
  let data = npyAsFloat32(array, job.input);
  const got = array.shape.slice(1);
  if (got.length !== rowDims.length || got.some((d, i) => d !== rowDims[i])) {
    throw new DataFormatError(job.input, `expected rows of shape [${rowDims.join(", ")}], got [${got.join(", ")}]`);
  }
  if (job.preprocess)
    data = applyPreprocessing(preprocessingFromMetadata(onnxMetadata(readOnnx(job.model).model), job.model), data);
  return { data, shape: array.shape };
}

/** Half the median round trip of an 8-byte message to the next stage (it echoes). */
function measureLatency(link: StageLink, rounds = 20): number | null {
  const probe = new Float64Array(1);
  // Stage r first echoes for r−1, then pings r+1: the chain runs without deadlock.
  if (link.rank > 0) {
    for (let i = 0; i < rounds; i++) {
      link.recv(probe, link.rank - 1, TAG_PING);
      link.send(probe, link.rank - 1, TAG_PING);
    }
  }
  if (link.rank === link.size - 1) return null;
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    link.send(probe, link.rank + 1, TAG_PING);
    link.recv(probe, link.rank + 1, TAG_PING);
    times.push(performance.now() - t0);
  }
  return median(times) / 2;
}

/** This rank's model: the initial extracted file, or a range re-extracted after a re-plan. */
class StageModel {
  session!: ort.InferenceSession;
  rowDims: number[] = [];
  layers = 0;
  private graph: {
    model: ReturnType<typeof readOnnx>["model"];
    analysis: ReturnType<typeof analyzeGraph>;
    types: Map<string, TensorType>;
  } | null = null;

  constructor(private readonly job: PipelineJob) {}

  private options(): ort.InferenceSession.SessionOptions {
    return sessionOptions({
      threads: { intraOp: this.job.threads, interOp: 1 },
      graphOptimizationLevel: this.job.optimization,
    });
  }

  /** Loads the stage's range, from its file when given. */
  async load(range: PositionRange, file?: string): Promise<void> {
    this.graph ??= (() => {
      const model = readOnnx(this.job.model).model;
      return {
        model,
        analysis: analyzeGraph(model),
        types: new Map(JSON.parse(readFileSync(this.job.typesFile, "utf8")) as [string, TensorType][]),
      };
    })();
    const { model, analysis, types } = this.graph;
    const input = stageBoundary(analysis, range).inputs[0];
    const dims = types.get(input)?.dims.slice(1) ?? [];
    if (dims.some((d) => typeof d !== "number"))
      throw new Error(`stage input ${input}: only the batch dimension may be symbolic`);
    const options = this.options();
    const next = file
      ? await onnxruntime().InferenceSession.create(file, options)
      : await onnxruntime().InferenceSession.create(encodeModel(extractStage(model, analysis, range, types)), options);
    if (this.session) await this.session.release();
    this.session = next;
    this.rowDims = dims as number[];
    this.layers = range.last - range.first + 1;
  }

  /**
   * Runs the stage on one micro-batch: wall milliseconds, and the CPU milliseconds the process got
   * meanwhile (onnxruntime's threads included). Their ratio is the share of its cores this stage
   * had: a CPU hog on the same core shows up there, independently of which layers it runs.
   */
  async run(rows: number, data: Float32Array): Promise<{ out: ort.Tensor; ms: number; cpuMs: number }> {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const results = await this.session.run({
      [this.session.inputNames[0]]: new (onnxruntime().Tensor)("float32", data, [rows, ...this.rowDims]),
    });
    const ms = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    return { out: results[this.session.outputNames[0]], ms, cpuMs: (cpu.user + cpu.system) / 1000 };
  }
}

/** What every stage accumulates for its report. */
class StageStats {
  computeMs: number[] = [];
  rows: number[] = [];
  waitMs = 0;
  sendMs = 0;
  private readonly cpu0 = process.cpuUsage();
  private readonly wall0 = performance.now();

  report(rank: number, layers: number, networkLatencyMs: number | null): DeviceReport {
    const wallMs = performance.now() - this.wall0;
    const cpu = process.cpuUsage(this.cpu0);
    const images = this.rows.reduce((a, b) => a + b, 0);
    const peakRssMB = peakRssMBFromKernel();
    return {
      stage: rank,
      host: hostname(),
      pid: process.pid,
      layers,
      batchSize: this.rows.length ? median(this.rows) : 0,
      microbatches: this.rows.length,
      imagesPerSec: wallMs > 0 ? (images * 1000) / wallMs : 0,
      networkLatencyMs,
      endToEndMs: null,
      inferenceMsPerImage: images > 0 ? this.computeMs.reduce((a, b) => a + b, 0) / images : 0,
      inferenceMsPerBatch: this.computeMs.length ? median(this.computeMs) : 0,
      waitMs: this.waitMs,
      sendMs: this.sendMs,
      cpuPercent: wallMs > 0 ? ((cpu.user + cpu.system) / 1000 / wallMs) * 100 : 0,
      cpuMHz: cpuFrequencyMHz(),
      memoryPercent: peakRssMB === null ? null : (peakRssMB * 2 ** 20 * 100) / totalmem(),
      peakRssMB,
      accuracy: null,
    };
  }
}

/**
 * Runs this process's stage of `job` over `link`. Returns the job's result on the last stage
 * (which wrote `job.out`), null on the others.
 */
export async function runStage(job: PipelineJob, link: StageLink): Promise<PipelineResult | null> {
  const stages = job.stageFiles.length;
  if (link.size !== stages) throw new Error(`the job has ${stages} stages but ${link.size} ranks were started`);
  const rank = link.rank;
  const last = rank === stages - 1;
  const model = new StageModel(job);
  const start = job.plan.stages[rank];
  await model.load({ first: start.firstNode, last: start.lastNode }, job.stageFiles[rank]);
  const networkLatencyMs = measureLatency(link);
  const stats = new StageStats();
  const header = new Float64Array(5 + 2 * stages);
  const sink = last ? new Sink(stages) : null;
  const replans: ReplanEvent[] = [];

  const forward = (data: Float32Array | null): void => {
    const t0 = performance.now();
    link.send(header, rank + 1, TAG_HEADER);
    if (data) link.send(data, rank + 1, TAG_DATA);
    stats.sendMs += performance.now() - t0;
  };
  const finish = async (rows: number, data: Float32Array): Promise<void> => {
    const { out, ms, cpuMs } = await model.run(rows, data);
    header[5 + rank] = ms;
    // Per onnxruntime thread, so that a stage owning its cores reports about its wall time.
    header[5 + stages + rank] = cpuMs / job.threads;
    stats.computeMs.push(ms);
    stats.rows.push(rows);
    if (sink) {
      sink.take(header, out);
      if (stages > 1) link.send(sink.ack(header), 0, TAG_ACK);
    } else forward(out.data as Float32Array);
  };

  if (rank === 0) {
    const input = readInput(job, model.rowDims);
    const ranges = microbatchRanges(input.shape[0], job.microbatches, job.fixedBatch);
    const perRow = model.rowDims.reduce((a, b) => a * b, 1);
    const controller =
      job.rebalance && stages > 1 ? new Rebalancer(job.blocks, job.devices, job.link, job.plan, job.rebalance) : null;
    const ack = new Float64Array(2 + 2 * stages);
    let inflight = 0;
    let firstSent = 0;
    const takeAck = (): void => {
      link.recv(ack, stages - 1, TAG_ACK);
      inflight--;
      controller?.observe(Array.from(ack.subarray(2, 2 + stages)), Array.from(ack.subarray(2 + stages)));
    };
    const total = ranges.length * job.passes;
    for (let seq = 0; seq < total; seq++) {
      const t0 = performance.now();
      while (inflight >= job.window) takeAck();
      while (inflight > 0 && link.iprobe(stages - 1, TAG_ACK)) takeAck();
      stats.waitMs += performance.now() - t0;
      const proposal = controller?.propose();
      if (controller && proposal) {
        const decided = now();
        while (inflight > 0) takeAck();
        const drainMs = now() - decided;
        const layersBefore = controller.plan.stages.map((s) => s.layers);
        header.fill(0);
        header[0] = KIND_REPLAN;
        forward(null);
        const ranges2 = proposal.plan.stages.map((s) => ({ first: s.firstNode, last: s.lastNode }));
        sendJson(link, ranges2, 1, TAG_PLAN);
        await model.load(ranges2[0]);
        controller.adopt(proposal.plan);
        replans.push({
          atSeq: seq,
          decidedAtMs: decided - firstSent,
          drainMs,
          pauseMs: now() - decided,
          reason: proposal.reason,
          layersBefore,
          layersAfter: proposal.plan.stages.map((s) => s.layers),
        });
      }
      const { start: row, rows } = ranges[seq % ranges.length];
      header.fill(0);
      header[0] = KIND_DATA;
      header[1] = seq;
      header[2] = rows;
      header[3] = now();
      header[4] = ranges.length;
      if (seq === 0) firstSent = header[3];
      await finish(rows, input.data.subarray(row * perRow, (row + rows) * perRow));
      if (stages > 1) inflight++;
    }
    if (stages > 1) {
      header.fill(0);
      header[0] = KIND_STOP;
      header[1] = total;
      forward(null);
      while (inflight > 0) takeAck();
    }
    sink?.expect(total);
  } else {
    for (;;) {
      const t0 = performance.now();
      link.recv(header, rank - 1, TAG_HEADER);
      if (header[0] === KIND_STOP) {
        stats.waitMs += performance.now() - t0;
        sink?.expect(header[1]);
        if (!last) forward(null);
        break;
      }
      if (header[0] === KIND_REPLAN) {
        const ranges2 = recvJson<PositionRange[]>(link, rank - 1, TAG_PLAN);
        stats.waitMs += performance.now() - t0;
        if (!last) {
          forward(null);
          sendJson(link, ranges2, rank + 1, TAG_PLAN);
        }
        await model.load(ranges2[rank]);
        continue;
      }
      const rows = header[2];
      const data = new Float32Array(rows * model.rowDims.reduce((a, b) => a * b, 1));
      link.recv(data, rank - 1, TAG_DATA);
      stats.waitMs += performance.now() - t0;
      await finish(rows, data);
    }
  }
  const report = stats.report(rank, model.layers, networkLatencyMs);
  await model.session.release();
  if (!last) {
    sendJson(link, { report, replans }, stages - 1, TAG_REPORT);
    return null;
  }
  const devices: DeviceReport[] = [];
  for (let r = 0; r < stages - 1; r++) {
    const got = recvJson<{ report: DeviceReport; replans: ReplanEvent[] }>(link, r, TAG_REPORT);
    devices.push(got.report);
    replans.push(...got.replans);
  }
  report.endToEndMs = sink!.endToEnd.length ? median(sink!.endToEnd) : null;
  const result = sink!.write(job);
  if (job.labels) report.accuracy = accuracyOf(result.data, result.shape, job.labels);
  devices.push(report);
  return { ...sink!.summary(result.shape, stages), stages, transport: link.kind, devices, replans, passes: job.passes };
}
