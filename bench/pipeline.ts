/**
 * Layer-split inference benchmark (one JSON object on stdout), rounds alternating:
 *   - the whole model in a bare onnxruntime-node loop (all cores) versus 2 pipeline stages (cores
 *     shared: 1 thread each on 2 cores): same micro-batches, same total threads;
 *   - the DP's predicted bottleneck versus the measured slowest stage;
 *   - per-request overhead of a 1-stage pipeline versus a bare onnxruntime loop at the same threads.
 *     node build/bench/pipeline.js [MODEL] [ROUNDS] [ROWS] [MICROBATCHES]
 */
import { availableParallelism } from "node:os";
import * as ort from "onnxruntime-node";
import { encodeModel } from "../lib/deploy/onnx-builder";
import { sessionOptions } from "../lib/deploy/session";
import { readNpy } from "../lib/deploy/npy";
import { measureSplit, profileSeedModel, randomInputFile, seedModelFile } from "../lib/experiments";
import { median } from "../lib/bench/paired";

async function bareLoop(
  bytes: Uint8Array,
  input: Float32Array,
  shape: number[],
  microbatches: number,
  threads: number,
): Promise<number> {
  const session = await ort.InferenceSession.create(
    bytes,
    sessionOptions({ threads: { intraOp: threads, interOp: 1 } }),
  );
  const rows = shape[0] / microbatches;
  const per = input.length / shape[0];
  const feeds = (i: number): Record<string, ort.Tensor> => ({
    [session.inputNames[0]]: new ort.Tensor("float32", input.subarray(i * rows * per, (i + 1) * rows * per), [
      rows,
      ...shape.slice(1),
    ]),
  });
  await session.run(feeds(0));
  const t0 = performance.now();
  for (let i = 0; i < microbatches; i++) await session.run(feeds(i));
  const seconds = (performance.now() - t0) / 1000;
  await session.release();
  return shape[0] / seconds;
}

async function main(): Promise<void> {
  const [name = "mobilenet_v2", roundsArg = "3", rowsArg = "64", mbArg = "32"] = process.argv.slice(2);
  const rounds = Number(roundsArg);
  const rows = Number(rowsArg);
  const microbatches = Number(mbArg);
  const cores = availableParallelism();
  const profile = await profileSeedModel(
    seedModelFile(name),
    rows / microbatches,
    Math.max(1, Math.floor(cores / 2)),
    10,
  );
  const inputFile = randomInputFile(profile, rows, 3);
  const input = readNpy(inputFile);
  const bytes = encodeModel(profile.model);
  const samples = {
    bareAllCores: [] as number[],
    split2: [] as number[],
    bare1: [] as number[],
    split1: [] as number[],
    predictedMs: [] as number[],
    measuredMs: [] as number[],
  };
  for (let r = 0; r < rounds; r++) {
    samples.bareAllCores.push(await bareLoop(bytes, input.data as Float32Array, input.shape, microbatches, cores));
    const two = await measureSplit(profile, { stages: 2, input: inputFile, microbatches });
    samples.split2.push(two.result.steadyImagesPerSec);
    samples.predictedMs.push(two.plan.bottleneckMs);
    samples.measuredMs.push(Math.max(...two.result.devices.map((d) => d.inferenceMsPerBatch)));
    samples.bare1.push(await bareLoop(bytes, input.data as Float32Array, input.shape, microbatches, cores));
    const one = await measureSplit(profile, { stages: 1, input: inputFile, microbatches });
    samples.split1.push(one.result.imagesPerSec);
  }
  const m = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
  console.log(
    JSON.stringify({
      model: name,
      weights: "torchvision architecture, seeded random weights",
      rows,
      microbatches,
      imagesPerMicrobatch: rows / microbatches,
      cores,
      rounds,
      monolithicImagesPerSec: m.bareAllCores,
      twoStageImagesPerSec: m.split2,
      twoStageSpeedup: m.split2 / m.bareAllCores,
      predictedBottleneckMs: m.predictedMs,
      measuredBottleneckMs: m.measuredMs,
      predictionError: (m.predictedMs - m.measuredMs) / m.measuredMs,
      oneStageImagesPerSec: m.split1,
      bareImagesPerSec: m.bare1,
      oneStageOverhead: m.bare1 / m.split1,
      samples,
      goals: "prediction within 15 %; 1-stage overhead ≤ 1.05×",
    }),
  );
}

void main();
