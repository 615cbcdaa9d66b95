/**
 * Training throughput of a registered model on the active backend: Adam (lr 5e-4, as the paper
 * and the PyTorch peer), synthetic inputs of the model's shape, a few warm-up steps, then timed
 * steps. The same optimizer.minimize path the training engine drives.
 */
import * as tf from "@tensorflow/tfjs-core";
import { Rng } from "../random";
import { modelEntry, parameterCount } from "../models";
import { adam } from "../train/adam";

/** What to measure. */
export interface ThroughputConfig {
  model: string;
  batch: number;
  /** Timed steps (default 20). */
  steps?: number;
  /** Untimed steps first (default 3). */
  warmup?: number;
  learningRate?: number;
}

/** Per-sample input shape and classes the benchmark feeds each model. */
export const benchInputs: Record<string, { inputShape: number[]; classes: number }> = {
  squeezenet: { inputShape: [32, 32, 3], classes: 10 },
  mlp: { inputShape: [28, 28, 1], classes: 10 },
  sentinelnet: { inputShape: [78], classes: 15 },
  "sentinelnet-debug": { inputShape: [78], classes: 15 },
};

/** The measurement. */
export interface ThroughputResult {
  model: string;
  batch: number;
  backend: string;
  steps: number;
  samplesPerSec: number;
  meanStepMs: number;
  parameters: number;
}

/** Measures training samples per second of `config.model` on the current tfjs backend. */
export async function measureTrainingThroughput(config: ThroughputConfig): Promise<ThroughputResult> {
  const steps = config.steps ?? 20;
  const warmup = config.warmup ?? 3;
  if (!Number.isInteger(config.batch) || config.batch < 1) throw new Error(`batch must be a positive integer, got ${config.batch}`);
  if (!Number.isInteger(steps) || steps < 1) throw new Error(`steps must be a positive integer, got ${steps}`);
  const shape = benchInputs[config.model];
  if (!shape) throw new Error(`no benchmark input defined for model "${config.model}"; choose one of ${Object.keys(benchInputs).join(", ")}`);
  const model = modelEntry(config.model).build({ ...shape, seed: 1 });
  const rng = new Rng(1);
  const perSample = shape.inputShape.reduce((a, b) => a * b, 1);
  const xs = tf.tensor(Float32Array.from({ length: config.batch * perSample }, () => rng.next()), [config.batch, ...shape.inputShape]);
  const ys = tf.oneHot(tf.tensor1d(Int32Array.from({ length: config.batch }, () => rng.int(shape.classes)), "int32"), shape.classes);
  const optimizer = adam(config.learningRate ?? 5e-4);
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  let t0 = 0;
  for (let i = 0; i < warmup + steps; i++) {
    if (i === warmup) t0 = performance.now();
    const cost = optimizer.minimize(() => tf.losses.softmaxCrossEntropy(ys, model.apply(xs, { training: true }) as tf.Tensor) as tf.Scalar, true, vars);
    await cost?.data();
    cost?.dispose();
  }
  const ms = performance.now() - t0;
  const result: ThroughputResult = {
    model: config.model, batch: config.batch, backend: tf.getBackend(), steps,
    samplesPerSec: (config.batch * steps) / (ms / 1000), meanStepMs: ms / steps, parameters: parameterCount(model),
  };
  tf.dispose([xs, ys]);
  optimizer.dispose();
  model.dispose();
  return result;
}
