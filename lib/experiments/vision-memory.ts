/**
 * The largest batch each zoo model trains at: its training step's peak tensor memory measured at
 * two small batches (seed 001's step: SGD, random images, through edgelab's training loop, a
 * finetune with its frozen backbone), the line through them, and the bound it must fit (the wasm
 * heap's 4 GiB). {@link runVisionStep} runs one real step at a batch to check a prediction.
 */
import * as tf from "@tensorflow/tfjs-core";
import { activeWasmHeap } from "../kernels/wasm-heap";
import { freezeAllBut, visionZoo } from "../models";
import { largestBatch, measureStepMemory, stepBytes, type StepMemory } from "../train/step-memory";
import { trainOnRandomImages } from "./vision-cost";

/** A zoo model in a mode at an input size. */
export interface VisionMemorySpec {
  model: string;
  mode: "train" | "finetune";
  size: number;
  classes?: number;
}

/** One model's memory plan. */
export interface VisionMemoryPlan extends VisionMemorySpec {
  memory: StepMemory;
  /** Largest batch whose tensors stay under `headroom × limitBytes` (see `train.largestBatch`). */
  largestBatch: number;
  limitBytes: number;
  headroom: number;
}

/** What one real step at a batch used. */
export interface VisionStepRun {
  batch: number;
  seconds: number;
  /** tfjs' peak tensor bytes during the step. */
  peakTensorBytes: number;
  /** The wasm heap's size after the step (null on other backends). */
  heapBytes: number | null;
}

function buildFor(spec: VisionMemorySpec) {
  const zoo = visionZoo[spec.model];
  if (!zoo) throw new Error(`unknown vision model "${spec.model}"; choose one of ${Object.keys(visionZoo).join(", ")}`);
  const model = zoo.build({ inputShape: [spec.size, spec.size, 3], classes: spec.classes ?? 1000, seed: 0 });
  if (spec.mode === "finetune") freezeAllBut(model, zoo.head);
  return model;
}

/**
 * Share of the bound a step's tensors may plan to fill, by mode. The rest is the wasm allocator's:
 * at 224² and the planned batch, a training step's heap came to 0.82–0.94 × its peak tensor bytes
 * (tensors sharing one buffer count twice), a finetune's to 1.0–1.7 × (its frozen forward pass
 * frees and allocates large blocks of shifting sizes, and the heap never shrinks). Checked with
 * `edgelab bench memory --verify` for every zoo model (reference/bench/memory.json).
 */
export const visionHeadroom: Readonly<Record<VisionMemorySpec["mode"], number>> = Object.freeze({
  train: 0.9,
  finetune: 0.5,
});

/** Measures a zoo model's step memory at batches 2 and 4 and plans the largest batch under `limitBytes`. */
export async function planVisionMemory(spec: VisionMemorySpec, limitBytes: number): Promise<VisionMemoryPlan> {
  const model = buildFor(spec);
  try {
    const run = { size: spec.size, batches: 1, classes: spec.classes ?? 1000, seed: 0 };
    const memory = await measureStepMemory(async (batch) => {
      await trainOnRandomImages(model, { ...run, batch });
    });
    return {
      ...spec,
      memory,
      largestBatch: largestBatch(memory, limitBytes, visionHeadroom[spec.mode]),
      limitBytes,
      headroom: visionHeadroom[spec.mode],
    };
  } finally {
    model.dispose();
  }
}

/** Runs one training step of a fresh zoo model at `batch` and reports what it used. */
export async function runVisionStep(spec: VisionMemorySpec, batch: number): Promise<VisionStepRun> {
  const model = buildFor(spec);
  try {
    const t0 = performance.now();
    const info = await tf.profile(async () => {
      await trainOnRandomImages(model, { size: spec.size, batch, batches: 1, classes: spec.classes ?? 1000, seed: 0 });
    });
    const heap = activeWasmHeap();
    return {
      batch,
      seconds: (performance.now() - t0) / 1000,
      peakTensorBytes: info.peakBytes,
      heapBytes: heap ? heap.memory.buffer.byteLength : null,
    };
  } finally {
    model.dispose();
  }
}

/** Predicted peak tensor bytes of a plan's step at `batch`. */
export function plannedBytes(plan: VisionMemoryPlan, batch: number): number {
  return stepBytes(plan.memory, batch);
}
