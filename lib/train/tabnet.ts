/**
 * Training TabNet entirely in-process (the seed's "edge-deployable training"): pytorch-tabnet's
 * recipe — Adam lr 2e-2 (PyTorch's ε 1e-8), shuffled batches of 1024 in ghost batches of 128, the
 * last incomplete batch dropped, gradient norm clipped at 1, loss = cross-entropy + λ_sparse · mask
 * entropy (λ = 1e-3) — with per-epoch timing and validation. One step is {@link tabNetStep}, the
 * same function the parity test checks against pytorch-tabnet's `_train_batch`.
 */
import * as tf from "@tensorflow/tfjs-core";
import { argmaxRows, accuracy } from "../metrics/classification";
import type { TabNet } from "../models/tabnet";
import { epochOrder } from "./batches";
import { adam } from "./adam";
import { clipWithNorm, globalNorm } from "./clip";

/** Settings (pytorch-tabnet defaults). */
export interface TabNetTrainConfig {
  epochs: number;
  batchSize: number;
  learningRate: number;
  lambdaSparse: number;
  clipNorm: number;
  seed: number;
  /** Called after each epoch with the history so far (a checkpoint hook may await). */
  onEpoch?: (row: TabNetEpoch, history: TabNetEpoch[], optimizer: tf.Optimizer) => void | Promise<void>;
  /** Continue a run: its optimizer (state restored; the caller disposes it), epochs done and history. */
  resumeFrom?: { optimizer: tf.Optimizer; epochs: number; history: TabNetEpoch[] };
}

/** pytorch-tabnet 4.1's fit() defaults (epochs aside). */
export const defaultTabNetTrainConfig: Readonly<Omit<TabNetTrainConfig, "onEpoch" | "resumeFrom">> = Object.freeze({
  epochs: 5,
  batchSize: 1024,
  learningRate: 2e-2,
  lambdaSparse: 1e-3,
  clipNorm: 1,
  seed: 0,
});

/** One epoch's record. */
export interface TabNetEpoch {
  epoch: number;
  loss: number;
  entropy: number;
  seconds: number;
  samplesPerSec: number;
  valAccuracy: number | null;
}

/** Standardised rows and integer labels. */
export interface TabularArrays {
  features: Float32Array;
  labels: ArrayLike<number>;
}

/** What one step reports. */
export interface TabNetStepResult {
  /** Cross-entropy + λ_sparse · entropy, before the update. */
  loss: number;
  crossEntropy: number;
  entropy: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
}

/** Adam as pytorch-tabnet builds it (torch.optim.Adam: β 0.9/0.999, ε 1e-8). */
export function tabNetOptimizer(learningRate: number): tf.Optimizer {
  return adam(learningRate, 0.9, 0.999, 1e-8);
}

/**
 * One training step, as pytorch-tabnet's `_train_batch`: training-mode forward (ghost batch
 * norms update their running statistics), loss = cross-entropy + λ·entropy, gradients clipped to
 * global norm `clipNorm` (0 = no clipping), one optimizer step.
 */
export function tabNetStep(
  model: TabNet,
  optimizer: tf.Optimizer,
  xs: tf.Tensor2D,
  labels: Int32Array,
  c: Pick<TabNetTrainConfig, "lambdaSparse" | "clipNorm">,
): TabNetStepResult {
  const ys = tf.oneHot(tf.tensor1d(labels, "int32"), model.config.classes);
  let parts = [0, 0];
  const { value, grads } = tf.variableGrads(() => {
    const out = model.forward(xs, true);
    const ce = tf.losses.softmaxCrossEntropy(ys, out.logits);
    parts = [ce.dataSync()[0], out.entropy.dataSync()[0]];
    return tf.add(ce, tf.mul(out.entropy, c.lambdaSparse)) as tf.Scalar;
  }, model.trainableVariables);
  const gradNorm = globalNorm(grads);
  const applied = c.clipNorm > 0 ? clipWithNorm(grads, c.clipNorm, gradNorm) : grads;
  optimizer.applyGradients(applied);
  model.commitStatistics();
  const loss = value.dataSync()[0];
  tf.dispose([ys, value, ...Object.values(grads), ...(applied === grads ? [] : Object.values(applied))]);
  return { loss, crossEntropy: parts[0], entropy: parts[1], gradNorm };
}

/** Trains `model` in place; returns the per-epoch history. */
export async function trainTabNet(
  model: TabNet,
  data: TabularArrays,
  overrides: Partial<TabNetTrainConfig> = {},
  val?: TabularArrays,
): Promise<{ history: TabNetEpoch[]; samplesPerSec: number; secondsPerEpoch: number }> {
  const c: TabNetTrainConfig = { ...defaultTabNetTrainConfig, ...overrides };
  const d = model.config.features;
  const classes = model.config.classes;
  const n = data.labels.length;
  if (n < 2) throw new Error(`TabNet: ${n} training rows; batch norm needs at least 2`);
  if (data.features.length !== n * d)
    throw new Error(`TabNet: ${data.features.length} values for ${n} rows × ${d} features`);
  const optimizer = c.resumeFrom?.optimizer ?? tabNetOptimizer(c.learningRate);
  const history: TabNetEpoch[] = [...(c.resumeFrom?.history ?? [])];
  // pytorch-tabnet's DataLoader drops the last incomplete batch (drop_last=True); with fewer rows
  // than one batch it would train on nothing, so then the one short batch is kept
  const usable = n >= c.batchSize ? n - (n % c.batchSize) : n;
  for (let epoch = c.resumeFrom?.epochs ?? 0; epoch < c.epochs; epoch++) {
    const order = epochOrder(n, c.seed, epoch);
    const t0 = performance.now();
    let lossSum = 0;
    let entropySum = 0;
    let seen = 0;
    for (let start = 0; start < usable; start += c.batchSize) {
      const idx = order.subarray(start, Math.min(usable, start + c.batchSize));
      const rows = idx.length;
      if (rows < 2) continue; // batch norm needs two rows (PyTorch refuses one)
      const xb = new Float32Array(rows * d);
      const yb = new Int32Array(rows);
      idx.forEach((r, i) => {
        xb.set(data.features.subarray(r * d, (r + 1) * d), i * d);
        yb[i] = data.labels[r];
      });
      const xs = tf.tensor2d(xb, [rows, d]);
      const step = tabNetStep(model, optimizer, xs, yb, c);
      xs.dispose();
      lossSum += step.loss * rows;
      entropySum += step.entropy * rows;
      seen += rows;
    }
    const seconds = (performance.now() - t0) / 1000;
    const valAccuracy = val ? accuracy(val.labels, argmaxRows(model.predictProba(val.features), classes)) : null;
    const row = {
      epoch: epoch + 1,
      loss: lossSum / Math.max(seen, 1),
      entropy: entropySum / Math.max(seen, 1),
      seconds,
      samplesPerSec: n / seconds,
      valAccuracy,
    };
    history.push(row);
    await c.onEpoch?.(row, history, optimizer);
  }
  if (!c.resumeFrom) optimizer.dispose();
  // speed from the epochs this call ran
  const ran = history.slice(c.resumeFrom?.epochs ?? 0);
  const seconds = ran.reduce((s, h) => s + h.seconds, 0);
  return {
    history,
    samplesPerSec: (n * ran.length) / Math.max(seconds, 1e-9),
    secondsPerEpoch: seconds / Math.max(1, ran.length),
  };
}
