/**
 * Training throughput of a registered model on the active backend: Adam (lr 5e-4, as the paper
 * and the PyTorch peer), synthetic inputs of the model's shape, warm-up steps, then timed
 * segments of steps. The same optimizer.minimize path the training engine drives. Steady-state
 * throughput needs seconds of warm-up: over SqueezeNet-32's first ~100 steps (20-step means 35 →
 * 19 → 14 ms) V8 is still optimising tfjs' per-op JavaScript (a CPU profile puts tfjs-core at
 * 5.2 ms a step over steps 2–62 against 2.6 ms over 140–200) and the native kernels run ~30 %
 * slower (8.3 against 6.2 ms), so `warmupSeconds` exists.
 */
import * as tf from "@tensorflow/tfjs-core";
import { Rng } from "../random";
import { buildModel, parameterCount, trainingFlops } from "../models";
import { adam } from "../train/adam";

/** What to measure. */
export interface ThroughputConfig {
  model: string;
  batch: number;
  /** Timed steps (default 20). */
  steps?: number;
  /** Untimed steps first: at least this many (default 3)… */
  warmup?: number;
  /** …and at least this many seconds of them (default 0). */
  warmupSeconds?: number;
  learningRate?: number;
}

/** Per-sample input shape and classes the benchmark feeds each model. */
export const benchInputs: Record<string, { inputShape: number[]; classes: number }> = {
  squeezenet: { inputShape: [32, 32, 3], classes: 10 },
  mlp: { inputShape: [28, 28, 1], classes: 10 },
  sentinelnet: { inputShape: [78], classes: 15 },
  "sentinelnet-debug": { inputShape: [78], classes: 15 },
};

/** One timed segment of steps. */
export interface ThroughputSegment {
  steps: number;
  samplesPerSec: number;
  meanStepMs: number;
  /** Each step's wall time (loss read back, so the step is complete). */
  stepMs: number[];
}

/** A warmed-up model, data and optimizer that can be timed for several segments. */
export interface TrainingBench {
  readonly model: string;
  readonly batch: number;
  readonly backend: string;
  readonly parameters: number;
  /** Floating-point work of one training step per sample (`models.trainingFlops`). */
  readonly flopsPerSample: number;
  /** The warm-up that ran: steps, seconds, and the first step's milliseconds (kernel set-up included). */
  readonly warmup: { steps: number; seconds: number; firstStepMs: number | null };
  /** Runs and times `steps` training steps. */
  measure(steps: number): Promise<ThroughputSegment>;
  /** Frees the model, data and optimizer state. */
  dispose(): void;
}

/**
 * Builds `config.model` on the current tfjs backend, with synthetic inputs of its shape, and runs
 * the warm-up steps. Segments can then be timed between other work, e.g. alternating with a peer
 * so that a burst of machine noise hits both sides alike.
 */
export async function openTrainingBench(config: ThroughputConfig): Promise<TrainingBench> {
  const warmup = config.warmup ?? 3;
  const warmupSeconds = config.warmupSeconds ?? 0;
  if (!Number.isInteger(config.batch) || config.batch < 1)
    throw new Error(`batch must be a positive integer, got ${config.batch}`);
  if (!Number.isInteger(warmup) || warmup < 0) throw new Error(`warmup must be a non-negative integer, got ${warmup}`);
  if (!Number.isFinite(warmupSeconds) || warmupSeconds < 0)
    throw new Error(`warmupSeconds must be a non-negative number, got ${warmupSeconds}`);
  const shape = benchInputs[config.model];
  if (!shape)
    throw new Error(
      `no benchmark input defined for model "${config.model}"; choose one of ${Object.keys(benchInputs).join(", ")}`,
    );
  const model = buildModel(config.model, { ...shape, seed: 1 });
  const rng = new Rng(1);
  const perSample = shape.inputShape.reduce((a, b) => a * b, 1);
  const xs = tf.tensor(
    Float32Array.from({ length: config.batch * perSample }, () => rng.next()),
    [config.batch, ...shape.inputShape],
  );
  const ys = tf.oneHot(
    tf.tensor1d(
      Int32Array.from({ length: config.batch }, () => rng.int(shape.classes)),
      "int32",
    ),
    shape.classes,
  );
  const optimizer = adam(config.learningRate ?? 5e-4);
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const step = async (): Promise<void> => {
    const cost = optimizer.minimize(
      () => tf.losses.softmaxCrossEntropy(ys, model.apply(xs, { training: true }) as tf.Tensor) as tf.Scalar,
      true,
      vars,
    );
    await cost?.data();
    cost?.dispose();
  };
  const start = performance.now();
  let warmed = 0;
  let firstStepMs: number | null = null;
  while (warmed < warmup || performance.now() - start < warmupSeconds * 1000) {
    await step();
    if (warmed++ === 0) firstStepMs = performance.now() - start;
  }
  const warmedUp = { steps: warmed, seconds: (performance.now() - start) / 1000, firstStepMs };
  return {
    warmup: warmedUp,
    model: config.model,
    batch: config.batch,
    backend: tf.getBackend(),
    parameters: parameterCount(model),
    flopsPerSample: trainingFlops(model),
    async measure(steps: number): Promise<ThroughputSegment> {
      if (!Number.isInteger(steps) || steps < 1) throw new Error(`steps must be a positive integer, got ${steps}`);
      const stepMs: number[] = [];
      for (let i = 0; i < steps; i++) {
        const t0 = performance.now();
        await step();
        stepMs.push(performance.now() - t0);
      }
      const ms = stepMs.reduce((a, b) => a + b, 0);
      return { steps, samplesPerSec: (config.batch * steps) / (ms / 1000), meanStepMs: ms / steps, stepMs };
    },
    dispose(): void {
      tf.dispose([xs, ys]);
      optimizer.dispose();
      model.dispose();
    },
  };
}

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

/** Measures training samples per second of `config.model` on the current tfjs backend (one segment). */
export async function measureTrainingThroughput(config: ThroughputConfig): Promise<ThroughputResult> {
  const bench = await openTrainingBench(config);
  try {
    const segment = await bench.measure(config.steps ?? 20);
    return {
      model: bench.model,
      batch: bench.batch,
      backend: bench.backend,
      steps: segment.steps,
      samplesPerSec: segment.samplesPerSec,
      meanStepMs: segment.meanStepMs,
      parameters: bench.parameters,
    };
  } finally {
    bench.dispose();
  }
}
