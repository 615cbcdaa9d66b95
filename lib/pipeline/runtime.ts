/**
 * One pipeline stage at run time: loads its extracted model in onnxruntime-node, receives
 * micro-batches from the previous stage (stage 0 reads the input file), runs them and hands the
 * activations on; the last stage writes the outputs (.npy, atomically) and collects every stage's
 * metrics. Stages overlap: while stage k runs micro-batch j, stage k+1 runs j−1.
 *
 * Messages per micro-batch: a header `[seq, rows, sentAtMs]` (float64; seq −1 ends the stream),
 * then `rows × elementsPerRow` float32 values.
 */
import { totalmem, hostname } from "node:os";
import * as ort from "onnxruntime-node";
import { DataFormatError } from "../data/errors";
import { fuse } from "../dist/fuse";
import { readNpy, writeNpy } from "../deploy/npy";
import { readOnnx, onnxMetadata } from "../deploy/onnx-model";
import { applyPreprocessing, preprocessingFromMetadata } from "../deploy/preprocess";
import { sessionOptions } from "../deploy/session";
import { peakRssMBFromKernel } from "../metrics/sampler";
import { cpuFrequencyMHz } from "../runtime/device";
import { median, microbatchRanges, type DeviceReport, type PipelineJob, type PipelineResult } from "./job";
import { recvJson, sendJson, type StageLink } from "./link";

const TAG_HEADER = 10;
const TAG_DATA = 11;
const TAG_PING = 20;
const TAG_REPORT = 30;

const now = (): number => performance.timeOrigin + performance.now();

/** Reads the job's input as float32 rows, with the model's preprocessing when asked. */
function readInput(job: PipelineJob): { data: Float32Array; shape: number[] } {
  const array = readNpy(job.input);
  let data: Float32Array;
  if (array.dtype === "float32") data = array.data as Float32Array;
  else if (array.dtype === "float64") data = Float32Array.from(array.data as Float64Array);
  else throw new DataFormatError(job.input, `dtype ${array.dtype} cannot feed a float32 model input (save it as float32)`);
  const want = job.inputDims[0];
  const got = array.shape.slice(1);
  if (got.length !== want.length || got.some((d, i) => d !== want[i])) {
    throw new DataFormatError(job.input, `expected rows of shape [${want.join(", ")}], got [${got.join(", ")}]`);
  }
  if (job.preprocess) data = applyPreprocessing(preprocessingFromMetadata(onnxMetadata(readOnnx(job.model).model), job.model), data);
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

/**
 * Runs this process's stage of `job` over `link`. Returns the job's result on the last stage
 * (which wrote `job.out`), null on the others.
 */
export async function runStage(job: PipelineJob, link: StageLink): Promise<PipelineResult | null> {
  if (link.size !== job.stageFiles.length) throw new Error(`the job has ${job.stageFiles.length} stages but ${link.size} ranks were started`);
  const rank = link.rank;
  const last = rank === link.size - 1;
  const session = await ort.InferenceSession.create(job.stageFiles[rank], sessionOptions({ threads: { intraOp: job.threads, interOp: 1 }, graphOptimizationLevel: job.optimization }));
  const inputName = session.inputNames[0];
  const perRow = job.inputDims[rank].reduce((a, b) => a * b, 1);
  const input = rank === 0 ? readInput(job) : null;
  const networkLatencyMs = measureLatency(link);
  const header = new Float64Array(3);
  const computeMs: number[] = [];
  const batchRows: number[] = [];
  const endToEnd: number[] = [];
  const outputs: Float32Array[] = [];
  let outShape: number[] = [];
  let waitMs = 0;
  let sendMs = 0;
  let firstSent = Infinity;
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  const ranges = input ? microbatchRanges(input.shape[0], job.microbatches, job.fixedBatch) : [];
  for (let seq = 0; ; seq++) {
    let rows: number;
    let data: Float32Array;
    if (input) {
      if (seq >= ranges.length) break;
      rows = ranges[seq].rows;
      data = input.data.subarray(ranges[seq].start * perRow, (ranges[seq].start + rows) * perRow);
      header[2] = now();
    } else {
      const t0 = performance.now();
      link.recv(header, rank - 1, TAG_HEADER);
      if (header[0] < 0) {
        waitMs += performance.now() - t0;
        break;
      }
      rows = header[1];
      data = new Float32Array(rows * perRow);
      link.recv(data, rank - 1, TAG_DATA);
      waitMs += performance.now() - t0;
    }
    firstSent = Math.min(firstSent, header[2]);
    const t0 = performance.now();
    const results = await session.run({ [inputName]: new ort.Tensor("float32", data, [rows, ...job.inputDims[rank]]) });
    const out = results[session.outputNames[0]];
    computeMs.push(performance.now() - t0);
    batchRows.push(rows);
    const outData = out.data as Float32Array;
    if (last) {
      outputs.push(Float32Array.from(outData));
      outShape = out.dims.map(Number);
      endToEnd.push(now() - header[2]);
    } else {
      const t1 = performance.now();
      header[0] = seq;
      header[1] = rows;
      link.send(header, rank + 1, TAG_HEADER);
      link.send(outData, rank + 1, TAG_DATA);
      sendMs += performance.now() - t1;
    }
  }
  if (!last) {
    header[0] = -1;
    link.send(header, rank + 1, TAG_HEADER);
  }
  const wallMs = performance.now() - wall0;
  const cpu = process.cpuUsage(cpu0);
  const images = batchRows.reduce((a, b) => a + b, 0);
  const peakRssMB = peakRssMBFromKernel();
  await session.release();
  const report: DeviceReport = {
    stage: rank,
    host: hostname(),
    pid: process.pid,
    layers: job.layers[rank],
    batchSize: median(batchRows),
    microbatches: batchRows.length,
    imagesPerSec: wallMs > 0 ? (images * 1000) / wallMs : 0,
    networkLatencyMs,
    endToEndMs: last ? median(endToEnd) : null,
    inferenceMsPerImage: images > 0 ? computeMs.reduce((a, b) => a + b, 0) / images : 0,
    inferenceMsPerBatch: median(computeMs),
    waitMs,
    sendMs,
    cpuPercent: wallMs > 0 ? ((cpu.user + cpu.system) / 1000 / wallMs) * 100 : 0,
    cpuMHz: cpuFrequencyMHz(),
    memoryPercent: peakRssMB === null ? null : (peakRssMB * 2 ** 20 * 100) / totalmem(),
    peakRssMB,
    accuracy: null,
  };
  if (!last) {
    sendJson(link, report, link.size - 1, TAG_REPORT);
    return null;
  }
  const devices: DeviceReport[] = [];
  for (let r = 0; r < link.size - 1; r++) devices.push(recvJson<DeviceReport>(link, r, TAG_REPORT));
  const result = fuse(outputs);
  const shape = [images, ...outShape.slice(1)];
  writeNpy(job.out, { dtype: "float32", shape, data: result });
  if (job.labels) report.accuracy = accuracyOf(result, shape, job.labels);
  devices.push(report);
  const finished = now();
  return {
    outputShape: shape,
    imagesPerSec: (images * 1000) / Math.max(1e-9, finished - firstSent),
    endToEndMs: median(endToEnd),
    wallSeconds: (finished - firstSent) / 1000,
    stages: link.size,
    transport: link.kind,
    devices,
  };
}

/** Top-1 accuracy of logits `[n, classes]` against integer labels in an .npy file. */
function accuracyOf(logits: Float32Array, shape: number[], labelsFile: string): number {
  const labels = readNpy(labelsFile);
  const n = shape[0];
  const classes = shape.slice(1).reduce((a, b) => a * b, 1);
  if (labels.data.length !== n) throw new DataFormatError(labelsFile, `has ${labels.data.length} labels for ${n} inputs`);
  let correct = 0;
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (logits[i * classes + c] > logits[i * classes + best]) best = c;
    if (best === Number(labels.data[i])) correct++;
  }
  return correct / n;
}
