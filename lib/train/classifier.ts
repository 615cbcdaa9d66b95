/**
 * A deterministic mini-batch training loop for classifiers over in-memory float32 data:
 * seeded shuffling, Adam or SGD, softmax cross-entropy on logits, per-epoch metrics on a held-out
 * set, and timing. The full engine (schedules, checkpoints, resume) builds on this loop.
 */
import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import type { ImageDataset, TabularDataset } from "../data/dataset";
import { Rng } from "../random/rng";
import { argmaxRows, classificationReport, type ClassificationReport } from "../metrics/classification";

/** Samples as a flat float32 array plus per-sample shape and labels. */
export interface ArrayData {
  x: Float32Array;
  y: Uint8Array;
  /** Per-sample shape, e.g. [28, 28, 1]. */
  sampleShape: number[];
}

/** Training arrays from an image dataset (NHWC) or a tabular one (rows of features). */
export function toArrayData(ds: ImageDataset | TabularDataset): ArrayData {
  return "images" in ds ? { x: ds.images, y: ds.labels, sampleShape: ds.shape.slice(1) } : { x: ds.features, y: ds.labels, sampleShape: [ds.featureNames.length] };
}

/** Training hyperparameters. */
export interface TrainConfig {
  epochs: number;
  batchSize: number;
  optimizer: "adam" | "sgd";
  learningRate: number;
  /** Shuffling seed. */
  seed: number;
  /** Called after every step with the step's loss; keep it cheap. */
  onStep?: (step: number, loss: number) => void;
}

/** Defaults: Adam, lr 1e-3, batch 64, 1 epoch. */
export const defaultTrainConfig: Readonly<Omit<TrainConfig, "onStep">> = Object.freeze({ epochs: 1, batchSize: 64, optimizer: "adam", learningRate: 1e-3, seed: 0 });

/** Metrics of one epoch. */
export interface EpochLog {
  epoch: number;
  trainLoss: number;
  trainAccuracy: number;
  valLoss: number;
  valAccuracy: number;
  valMacroF1: number;
  seconds: number;
  samplesPerSec: number;
}

/** Result of training. */
export interface TrainResult {
  history: EpochLog[];
  /** Report of the last evaluation. */
  report: ClassificationReport;
  /** Predicted classes on the evaluation set. */
  predictions: Int32Array;
}

function batchTensor(data: ArrayData, indices: ArrayLike<number>): { xs: tf.Tensor; ys: tf.Tensor } {
  const size = data.sampleShape.reduce((a, b) => a * b, 1);
  const x = new Float32Array(indices.length * size);
  const y = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    x.set(data.x.subarray(indices[i] * size, (indices[i] + 1) * size), i * size);
    y[i] = data.y[indices[i]];
  }
  return { xs: tf.tensor(x, [indices.length, ...data.sampleShape]), ys: tf.tensor1d(y, "int32") };
}

/** Runs the model over `data` in batches: mean loss and predicted classes. */
export function evaluate(model: tfl.LayersModel, data: ArrayData, classes: number, batchSize = 256): { loss: number; predictions: Int32Array } {
  const n = data.y.length;
  const predictions = new Int32Array(n);
  let lossSum = 0;
  for (let start = 0; start < n; start += batchSize) {
    const idx = Int32Array.from({ length: Math.min(batchSize, n - start) }, (_, k) => start + k);
    const { xs, ys } = batchTensor(data, idx);
    const out = model.predict(xs) as tf.Tensor;
    const lossTensor = tf.tidy(() => tf.losses.softmaxCrossEntropy(tf.oneHot(ys, classes), out, undefined, 0, tf.Reduction.SUM));
    const logits = out.dataSync();
    const loss = lossTensor.dataSync()[0];
    out.dispose();
    lossTensor.dispose();
    xs.dispose();
    ys.dispose();
    predictions.set(argmaxRows(logits, classes), start);
    lossSum += loss;
  }
  return { loss: lossSum / n, predictions };
}

/**
 * Trains `model` on `train`, evaluating on `val` after every epoch.
 * @example const result = await trainClassifier(buildMlp(...), train, test, classNames, { epochs: 1 })
 */
export async function trainClassifier(model: tfl.LayersModel, train: ArrayData, val: ArrayData, classNames: string[], overrides: Partial<TrainConfig> = {}): Promise<TrainResult> {
  const config: TrainConfig = { ...defaultTrainConfig, ...overrides };
  const classes = classNames.length;
  const optimizer = config.optimizer === "adam" ? tf.train.adam(config.learningRate) : tf.train.sgd(config.learningRate);
  const rng = new Rng(config.seed);
  const n = train.y.length;
  const order = Int32Array.from({ length: n }, (_, i) => i);
  const history: EpochLog[] = [];
  let report: ClassificationReport | null = null;
  let predictions = new Int32Array(0);
  let step = 0;
  for (let epoch = 1; epoch <= config.epochs; epoch++) {
    rng.shuffle(order);
    const t0 = performance.now();
    let lossSum = 0;
    let correct = 0;
    for (let start = 0; start < n; start += config.batchSize) {
      const idx = order.subarray(start, Math.min(n, start + config.batchSize));
      const { xs, ys } = batchTensor(train, idx);
      let logits: Float32Array | Int32Array | Uint8Array = new Float32Array(0);
      const cost = optimizer.minimize(() => {
        const out = model.apply(xs, { training: true }) as tf.Tensor;
        logits = out.dataSync();
        return tf.losses.softmaxCrossEntropy(tf.oneHot(ys, classes), out);
      }, true) as tf.Scalar;
      const loss = (await cost.data())[0];
      const predicted = argmaxRows(logits, classes);
      for (let i = 0; i < idx.length; i++) if (predicted[i] === train.y[idx[i]]) correct++;
      cost.dispose();
      xs.dispose();
      ys.dispose();
      lossSum += loss * idx.length;
      config.onStep?.(++step, loss);
    }
    const seconds = (performance.now() - t0) / 1000;
    const evaluation = evaluate(model, val, classes);
    predictions = evaluation.predictions;
    report = classificationReport(val.y, predictions, classNames);
    history.push({
      epoch,
      trainLoss: lossSum / n,
      trainAccuracy: correct / n,
      valLoss: evaluation.loss,
      valAccuracy: report.accuracy,
      valMacroF1: report.macro.f1,
      seconds,
      samplesPerSec: n / seconds,
    });
  }
  optimizer.dispose();
  return { history, report: report ?? classificationReport(val.y, predictions, classNames), predictions };
}
