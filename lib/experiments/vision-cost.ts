/**
 * Seed 001's on-device training cost, measured the way its benchmark does: a fresh model
 * (not pretrained), random 3×S×S images and labels, SGD with lr 0.1, cross-entropy, batch 16, and
 * a wall-clock timer around consecutive batches with no warm-up; "finetune" trains only the head
 * (every other layer frozen, only the head's parameters given to the optimizer). Reported as
 * seconds per batch, beside the seed's Raspberry Pi 5 and Pi 4 figures.
 */
import type * as tfl from "@tensorflow/tfjs-layers";
import { freezeAllBut, parameterCount, trainingFlops, visionZoo } from "../models";
import { Rng } from "../random/rng";
import { defaultTrainConfig } from "../train/config";
import type { TrainResult } from "../train/config";
import { trainLoop } from "../train/loop";

/** One measurement. */
export interface VisionCostSpec {
  model: string;
  mode: "train" | "finetune";
  /** Image side (224 in the seed). */
  size?: number;
  batch?: number;
  /** Consecutive batches under the timer (20 in the seed). */
  batches?: number;
  classes?: number;
  seed?: number;
}

/** What one measurement gives. */
export interface VisionCost {
  model: string;
  mode: "train" | "finetune";
  size: number;
  batch: number;
  batches: number;
  /** Wall seconds of all batches / batches (the seed's figure). */
  secondsPerBatch: number;
  /** The first batch alone (graph set-up and first allocations land here). */
  firstBatchSeconds: number;
  parameters: number;
  trainableParameters: number;
  /** Floating-point work of one batch's step (`models.trainingFlops` × batch), in GFLOP. */
  gflopPerBatch: number;
}

/** Seed 001's seconds per batch (train / finetune) on a Raspberry Pi 5 and Pi 4, by timm name. */
export const seed001SecondsPerBatch: Record<string, { pi5: [number, number] | null; pi4: [number, number] }> = {
  resnet18: { pi5: [5.84, 2.08], pi4: [10.92, 3.93] },
  mobilenetv2_100: { pi5: [7.22, 3.48], pi4: [15.27, 6.72] },
  mobilenetv2_050: { pi5: [3.68, 1.77], pi4: [7.63, 3.54] },
  mobilenetv3_small_100: { pi5: [2.37, 1.24], pi4: [4.76, 2.31] },
  mobilenetv3_large_100: { pi5: [5.73, 2.94], pi4: [12.3, 5.95] },
  mnasnet_100: { pi5: [7.23, 3.45], pi4: [14.92, 6.43] },
  efficientnet_b0: { pi5: null, pi4: [19.91, 8.52] },
};

/**
 * Seed 001's training run: `batches` consecutive SGD steps (lr 0.1, no momentum) of `model` on
 * random S×S×3 images and labels already in memory, through edgelab's training loop.
 */
export async function trainOnRandomImages(
  model: tfl.LayersModel,
  run: { size: number; batch: number; batches: number; classes: number; seed: number },
): Promise<TrainResult> {
  const { size, batch, batches, classes } = run;
  const rng = new Rng(run.seed);
  const n = batch * batches;
  const x = Float32Array.from({ length: n * size * size * 3 }, () => rng.next());
  const y = Uint8Array.from({ length: n }, () => Math.floor(rng.next() * Math.min(classes, 256)));
  const sampleShape = [size, size, 3];
  const val = { x: x.subarray(0, size * size * 3), y: y.subarray(0, 1), sampleShape };
  return trainLoop(
    model,
    { train: { x, y, sampleShape }, val, classNames: Array.from({ length: classes }, (_, i) => String(i)) },
    { ...defaultTrainConfig, epochs: 1, batchSize: batch, optimizer: "sgd", learningRate: 0.1, momentum: 0 },
    { name: model.name, config: null },
    [],
  );
}

/** Times `batches` consecutive SGD steps of a fresh zoo model (see the module comment). */
export async function measureVisionCost(spec: VisionCostSpec): Promise<VisionCost> {
  const zoo = visionZoo[spec.model];
  if (!zoo) throw new Error(`unknown vision model "${spec.model}"; choose one of ${Object.keys(visionZoo).join(", ")}`);
  const size = spec.size ?? 224;
  const batch = spec.batch ?? 16;
  const batches = spec.batches ?? 20;
  const classes = spec.classes ?? 1000;
  const model = zoo.build({ inputShape: [size, size, 3], classes, seed: spec.seed ?? 0 });
  const parameters = parameterCount(model);
  if (spec.mode === "finetune") freezeAllBut(model, zoo.head);
  const result = await trainOnRandomImages(model, { size, batch, batches, classes, seed: spec.seed ?? 0 });
  const trainableParameters = parameterCount(model);
  const trainable =
    spec.mode === "finetune"
      ? new Set(model.layers.filter((l) => l.trainable && l.trainableWeights.length > 0).map((l) => l.name))
      : undefined;
  const gflopPerBatch = (trainingFlops(model, trainable) * batch) / 1e9;
  model.dispose();
  const steps = result.stepSeconds;
  return {
    model: spec.model,
    mode: spec.mode,
    size,
    batch,
    batches,
    secondsPerBatch: steps.reduce((a, b) => a + b, 0) / steps.length,
    firstBatchSeconds: steps[0],
    parameters,
    trainableParameters,
    gflopPerBatch,
  };
}
