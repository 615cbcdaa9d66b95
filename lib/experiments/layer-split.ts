/**
 * The layer-split study of notebook 07 (seed 002) as library calls: the seed's five models, where
 * each can be cut and what crosses the cut, the partitioners side by side, measured pipelines
 * beside the DP's prediction, and a re-partitioning timeline under a real CPU hog.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import type { ImageDataset } from "../data/dataset";
import { createEmulatedCluster, type EmulatedCluster } from "../cluster/emulated";
import { encodeNpy, readNpy } from "../deploy/npy";
import { DeployedModel, type OptimizationLevel } from "../deploy/session";
import { argmaxRows } from "../metrics/classification";
import { readOnnx } from "../deploy/onnx-model";
import { reinitializeWeights } from "../deploy/reinitialize";
import { defaultStageThreads, planProfile, runPipeline } from "../pipeline/launch";
import type { PipelineResult } from "../pipeline/job";
import { gigabitEthernet, localDevices } from "../pipeline/devices";
import { transferMs, type LinkModel, type Plan } from "../pipeline/partition";
import { profileModel, type ModelProfile } from "../pipeline/profile";
import { defaultRebalanceConfig } from "../pipeline/rebalance";
import { Rng } from "../random/rng";
import { projectRoot } from "../runtime/paths";

/** Seed 002's models, as torchvision names. */
export const seed002Models = [
  "mobilenet_v2",
  "mobilenet_v3_small",
  "squeezenet1_1",
  "shufflenet_v2_x0_5",
  "efficientnet_b0",
] as const;

/**
 * The ONNX file of a seed-002 model: `$EDGELAB_VISION_ONNX/NAME.onnx` when set (your own export,
 * e.g. pretrained, from colab/export_vision_onnx.py), else the committed torchvision architecture
 * fixture (224×224, 10 classes, weights stored as zeros and re-initialised when profiled).
 */
export function seedModelFile(name: string): string {
  const own = process.env.EDGELAB_VISION_ONNX;
  if (own && existsSync(join(own, `${name}.onnx`))) return join(own, `${name}.onnx`);
  return join(projectRoot(), "test", "fixtures", "onnx", "vision", `${name}.onnx`);
}

/** Profiles a model file, re-initialising zeroed weights (a no-op for real weights). */
export async function profileSeedModel(
  file: string,
  batch: number,
  threads: number,
  repeats = 5,
): Promise<ModelProfile> {
  const model = reinitializeWeights(readOnnx(file).model, 0);
  return profileModel({ model, file }, { batch, repeats, threads: { intraOp: threads, interOp: 1 } });
}

/** One row per usable cut: where it is, what crosses it, compute before it, transfer time over `link`. */
export function cutRows(profile: ModelProfile, link: LinkModel = gigabitEthernet): Record<string, number | string>[] {
  let computeBefore = 0;
  const total = profile.blocks.reduce((s, b) => s + b.computeMs, 0);
  return profile.blocks.slice(0, -1).map((b) => {
    computeBefore += b.computeMs;
    return {
      position: b.last,
      depth: (b.last + 1) / profile.nodes,
      activationKB: b.outBytes / 1024,
      transferMs: transferMs(b.outBytes, link),
      computeBeforeMs: computeBefore,
      computeAfterMs: total - computeBefore,
    };
  });
}

/** The three partitioners' plans for each stage count, as table rows. */
export function partitionerRows(
  profile: ModelProfile,
  stageCounts: number[],
  link: LinkModel = gigabitEthernet,
): { plans: Plan[]; rows: Record<string, number | string>[] } {
  const plans: Plan[] = [];
  const rows: Record<string, number | string>[] = [];
  for (const stages of stageCounts) {
    for (const partitioner of ["equal", "pipeedge", "latency"]) {
      if (stages > profile.blocks.length) continue;
      const plan = planProfile(profile, { stages, partitioner, link, devices: localDevices(stages, 4 * 2 ** 30) });
      plans.push(plan);
      rows.push({
        stages,
        partitioner,
        layersPerStage: plan.stages.map((s) => s.layers).join(" / "),
        bottleneckMs: plan.bottleneckMs,
        predictedImagesPerSec: plan.predictedBatchesPerSec * profile.batch,
        endToEndMs: plan.endToEndMs,
        note: plan.notes.join("; "),
      });
    }
  }
  return { plans, rows };
}

/** Writes `rows` random images of the profile's input shape to a temporary .npy; returns its path. */
export function randomInputFile(profile: ModelProfile, rows: number, seed = 0): string {
  const dims = profile.types.get(profile.analysis.inputs[0])!.dims.slice(1) as number[];
  const rng = new Rng(seed);
  const data = Float32Array.from({ length: rows * dims.reduce((a, b) => a * b, 1) }, () => rng.normal());
  const file = join(tmpdir(), `edgelab-split-input-${process.pid}-${seed}-${rows}.npy`);
  writeFileSync(file, encodeNpy({ dtype: "float32", shape: [rows, ...dims], data }));
  return file;
}

/** A measured pipeline beside its plan's prediction. */
export interface MeasuredSplit {
  plan: Plan;
  result: PipelineResult;
  row: Record<string, number | string>;
}

/** Plans (PipeEdge by default) and runs `stages` stages over real MPI ranks on this machine. */
export async function measureSplit(
  profile: ModelProfile,
  options: {
    stages: number;
    input: string;
    microbatches: number;
    partitioner?: string;
    passes?: number;
    link?: LinkModel;
    rebalance?: boolean;
    bindToCore?: boolean;
    labels?: string;
    out?: string;
    optimization?: OptimizationLevel;
    /** onnxruntime threads per stage (default: the cores shared among the stages). */
    threads?: number;
    /** Run the stages on an emulated cluster with links shaped to this many Mbit/s (Linux, root). */
    emulateLinksMbps?: number;
  },
): Promise<MeasuredSplit> {
  const emulated =
    options.emulateLinksMbps && options.stages > 1
      ? createEmulatedCluster(options.stages, options.emulateLinksMbps)
      : undefined;
  try {
    return await measure(profile, options, emulated);
  } finally {
    emulated?.destroy();
  }
}

async function measure(
  profile: ModelProfile,
  options: Parameters<typeof measureSplit>[1],
  emulatedCluster?: EmulatedCluster,
): Promise<MeasuredSplit> {
  const link =
    options.link ??
    (options.emulateLinksMbps ? { bandwidthMbps: options.emulateLinksMbps, latencyMs: 0.02 } : gigabitEthernet);
  const plan = planProfile(profile, { stages: options.stages, partitioner: options.partitioner ?? "pipeedge", link });
  const result = await runPipeline({
    input: options.input,
    out: options.out ?? join(tmpdir(), `edgelab-split-out-${process.pid}.npy`),
    labels: options.labels ?? null,
    optimization: options.optimization,
    plan,
    profile,
    microbatches: options.microbatches,
    passes: options.passes ?? 1,
    link,
    rebalance: options.rebalance ? defaultRebalanceConfig : null,
    bindToCore: options.bindToCore,
    threads: options.threads,
    emulatedCluster,
    root: projectRoot(),
  });
  const measuredBottleneck = Math.max(...result.devices.map((d) => d.inferenceMsPerBatch));
  return {
    plan,
    result,
    row: {
      stages: options.stages,
      links: emulatedCluster
        ? `emulated ${emulatedCluster.bandwidthMbps} Mbit/s`
        : options.stages > 1
          ? "shared memory"
          : "none",
      layersPerStage: result.devices.map((d) => d.layers).join(" / "),
      threadsPerStage: options.threads ?? defaultStageThreads(options.stages, false),
      predictedBottleneckMs: plan.bottleneckMs,
      measuredBottleneckMs: measuredBottleneck,
      predictedImagesPerSec: plan.predictedBatchesPerSec * profile.batch,
      measuredImagesPerSec: result.imagesPerSec,
      steadyImagesPerSec: result.steadyImagesPerSec,
      endToEndMs: result.endToEndMs,
    },
  };
}

/** Completed micro-batches per second in windows of `bucketMs` over a run's timeline. */
export function throughputSeries(result: PipelineResult, bucketMs = 250): { tSeconds: number[]; perSecond: number[] } {
  const end = Math.max(...result.timeline.map((t) => t.doneAtMs));
  const counts = new Array<number>(Math.floor(end / bucketMs) + 1).fill(0);
  for (const t of result.timeline) counts[Math.floor(t.doneAtMs / bucketMs)]++;
  return {
    tSeconds: counts.map((_, i) => ((i + 0.5) * bucketMs) / 1000),
    perSecond: counts.map((c) => (c * 1000) / bucketMs),
  };
}

/**
 * A real CPU hog: a busy Node process pinned to `core` with taskset, started after `delayMs`.
 * Returns a handle to stop it, or null where taskset or a second core is missing.
 */
export function startCpuHog(core: number, delayMs: number): { stop(): void; startsAt: number } | null {
  if (!existsSync("/usr/bin/taskset") || availableParallelism() <= core) return null;
  const child: ChildProcess = spawn(
    "sh",
    ["-c", `sleep ${delayMs / 1000}; exec taskset -c ${core} "${process.execPath}" -e 'for(;;){}'`],
    { stdio: "ignore", detached: true },
  );
  return {
    startsAt: Date.now() + delayMs,
    stop: () => {
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        // already gone
      }
    },
  };
}

/**
 * Accuracy of a model split into each of `stageCounts` stages versus the whole model in
 * onnxruntime, on labelled images (graph optimisation "basic", where split outputs are
 * bit-identical to the whole model's).
 */
export async function splitAccuracy(
  file: string,
  images: ImageDataset,
  stageCounts: number[],
  microbatches: number,
): Promise<Record<string, number | string | boolean>[]> {
  const n = images.labels.length;
  const input = join(tmpdir(), `edgelab-split-acc-${process.pid}.npy`);
  const labels = join(tmpdir(), `edgelab-split-labels-${process.pid}.npy`);
  writeFileSync(input, encodeNpy({ dtype: "float32", shape: images.shape, data: images.images }));
  writeFileSync(labels, encodeNpy({ dtype: "int32", shape: [n], data: Int32Array.from(images.labels) }));
  const whole = await DeployedModel.load(file, { graphOptimizationLevel: "basic" });
  const rowsPerBatch = Math.ceil(n / microbatches);
  const reference = await whole.runBatched(images.images, images.shape, rowsPerBatch);
  await whole.release();
  const predicted = argmaxRows(reference.data, reference.shape[1]);
  let correct = 0;
  for (let i = 0; i < n; i++) if (predicted[i] === images.labels[i]) correct++;
  const rows: Record<string, number | string | boolean>[] = [
    { stages: "whole model (run-onnx)", accuracy: correct / n, identicalToWhole: true },
  ];
  const profile = await profileModel(file, { batch: rowsPerBatch, repeats: 0 });
  for (const stages of stageCounts) {
    const out = join(tmpdir(), `edgelab-split-acc-out-${process.pid}-${stages}.npy`);
    const { result } = await measureSplit(profile, {
      stages,
      input,
      labels,
      out,
      microbatches,
      partitioner: "equal",
      optimization: "basic",
    });
    const got = readNpy(out).data as Float32Array;
    rows.push({
      stages,
      accuracy: result.devices[result.devices.length - 1].accuracy ?? Number.NaN,
      identicalToWhole: Buffer.from(got.buffer, got.byteOffset, got.byteLength).equals(
        Buffer.from(reference.data.buffer, reference.data.byteOffset, reference.data.byteLength),
      ),
    });
  }
  return rows;
}
