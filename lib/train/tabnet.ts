/**
 * Training TabNet entirely in-process (the seed's "edge-deployable training"): pytorch-tabnet's
 * recipe — Adam lr 2e-2, batch 1024 in ghost batches of 128, gradient norm clipped at 1, loss =
 * cross-entropy + λ_sparse · mask entropy (λ = 1e-3) — with per-epoch timing and validation.
 */
import * as tf from "@tensorflow/tfjs-core";
import { argmaxRows, accuracy } from "../metrics/classification";
import type { TabNet } from "../models/tabnet";
import { epochOrder } from "./batches";
import { adam } from "./adam";
import { clipByGlobalNorm } from "./clip";

/** Settings (pytorch-tabnet defaults). */
export interface TabNetTrainConfig {
  epochs: number;
  batchSize: number;
  learningRate: number;
  lambdaSparse: number;
  clipNorm: number;
  seed: number;
  /** Called after each epoch. */
  onEpoch?: (row: TabNetEpoch) => void;
}

/** pytorch-tabnet 4.1's fit() defaults (epochs aside). */
export const defaultTabNetTrainConfig: Readonly<Omit<TabNetTrainConfig, "onEpoch">> = Object.freeze({ epochs: 5, batchSize: 1024, learningRate: 2e-2, lambdaSparse: 1e-3, clipNorm: 1, seed: 0 });

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

/** Trains `model` in place; returns the per-epoch history. */
export async function trainTabNet(model: TabNet, data: TabularArrays, overrides: Partial<TabNetTrainConfig> = {}, val?: TabularArrays): Promise<{ history: TabNetEpoch[]; samplesPerSec: number; secondsPerEpoch: number }> {
  const c: TabNetTrainConfig = { ...defaultTabNetTrainConfig, ...overrides };
  const d = model.config.features;
  const classes = model.config.classes;
  const n = data.labels.length;
  if (data.features.length !== n * d) throw new Error(`TabNet: ${data.features.length} values for ${n} rows × ${d} features`);
  const optimizer: tf.Optimizer = adam(c.learningRate);
  const variables = model.trainableVariables;
  const history: TabNetEpoch[] = [];
  for (let epoch = 0; epoch < c.epochs; epoch++) {
    const order = epochOrder(n, c.seed, epoch);
    const t0 = performance.now();
    let lossSum = 0;
    let entropySum = 0;
    for (let start = 0; start < n; start += c.batchSize) {
      const idx = order.subarray(start, Math.min(n, start + c.batchSize));
      const rows = idx.length;
      if (rows < 2) continue; // batch norm needs two rows (pytorch-tabnet would fail on it)
      const xb = new Float32Array(rows * d);
      const yb = new Int32Array(rows);
      idx.forEach((r, i) => {
        xb.set(data.features.subarray(r * d, (r + 1) * d), i * d);
        yb[i] = data.labels[r];
      });
      const xs = tf.tensor2d(xb, [rows, d]);
      const ys = tf.oneHot(tf.tensor1d(yb, "int32"), classes);
      let entropyValue = 0;
      const { value, grads } = tf.variableGrads(() => {
        const out = model.forward(xs, true);
        entropyValue = out.entropy.dataSync()[0];
        return tf.add(tf.losses.softmaxCrossEntropy(ys, out.logits), tf.mul(out.entropy, c.lambdaSparse)) as tf.Scalar;
      }, variables);
      const clipped = clipByGlobalNorm(grads, c.clipNorm);
      optimizer.applyGradients(clipped);
      model.commitStatistics();
      lossSum += (await value.data())[0] * rows;
      entropySum += entropyValue * rows;
      tf.dispose([xs, ys, value, ...Object.values(grads), ...Object.values(clipped)]);
    }
    const seconds = (performance.now() - t0) / 1000;
    const valAccuracy = val ? accuracy(val.labels, argmaxRows(model.predictProba(val.features), classes)) : null;
    const row = { epoch: epoch + 1, loss: lossSum / n, entropy: entropySum / n, seconds, samplesPerSec: n / seconds, valAccuracy };
    history.push(row);
    c.onEpoch?.(row);
  }
  optimizer.dispose();
  const seconds = history.reduce((s, h) => s + h.seconds, 0);
  return { history, samplesPerSec: (n * history.length) / Math.max(seconds, 1e-9), secondsPerEpoch: seconds / Math.max(1, history.length) };
}
