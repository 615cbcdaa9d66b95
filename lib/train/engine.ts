/**
 * The training engine: one `train(model, data, config)` used by notebooks, the CLI and (later) the
 * distributed trainer. Deterministic (epoch orders from (seed, epoch), dropout from (seed, step)),
 * Adam or SGD with schedules and warm-up, class weights, gradient clipping, per-epoch train/val
 * loss, accuracy and macro-F1, early stopping, a CSV log and a checkpoint every epoch, and a resume
 * that ends with exactly the weights of an uninterrupted run on the same backend.
 */
import "../runtime/tfjs";
import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import { join } from "node:path";
import { argmaxRows, classificationReport, type ClassificationReport } from "../metrics/classification";
import { latencyStats } from "../metrics/latency";
import { ResourceSampler } from "../metrics/sampler";
import { adam } from "./adam";
import { dropoutClock } from "../models/dropout";
import { writeCsv } from "../report/table";
import { batchTensors, epochOrder, type ArrayData } from "./batches";
import { hasCheckpoint, loadCheckpoint, restoreOptimizerExtraState, saveCheckpoint } from "./checkpoint";
import { balancedClassWeights } from "./class-weights";
import { clipByGlobalNorm } from "./clip";
import { evaluate } from "./evaluate";
import { autoProgress, silentProgress, type ProgressReporter } from "./progress";
import { learningRateAt, type Schedule } from "./schedule";

/**
 * Plug-in points for synchronisation across ranks (see lib/parallel). Every hook is optional; without
 * them training is the single-process loop.
 */
export interface SyncHooks {
  /** Steps per epoch (default ceil(n / batchSize)). Must agree across ranks that synchronise per step. */
  stepsPerEpoch?(n: number, batchSize: number): number;
  /** The indices this rank trains on at step `s` of an epoch with sample order `order`. */
  batchIndices?(order: Int32Array, s: number, batchSize: number): Int32Array;
  /** Transforms gradients before they are applied (e.g. averages them over ranks). */
  gradients?(grads: tf.NamedTensorMap, batch: number): tf.NamedTensorMap | Promise<tf.NamedTensorMap>;
  /** The step's loss as reported (e.g. the mean over ranks). */
  loss?(loss: number, batch: number): number | Promise<number>;
  /** After each optimiser step (e.g. local SGD averaging every k steps). */
  afterStep?(step: number, variables: tf.Variable[]): void | Promise<void>;
  /** After each epoch's last step, before evaluation (e.g. the paper's epoch-end weight averaging). */
  afterEpoch?(epoch: number, variables: tf.Variable[]): void | Promise<void>;
  /**
   * Turns this rank's decision to stop early into the one every rank follows (e.g. root's, which
   * holds the validation set), so ranks never fall out of lockstep. Called once per epoch on every
   * rank when early stopping is configured.
   */
  agreeToStop?(stop: boolean): boolean | Promise<boolean>;
}

/** Training hyperparameters and run options. */
export interface TrainConfig {
  epochs: number;
  batchSize: number;
  optimizer: "adam" | "sgd";
  learningRate: number;
  /** SGD momentum (ignored by Adam). */
  momentum: number;
  schedule: Schedule;
  /** Linear warm-up steps (Goyal et al. 2017). */
  warmupSteps: number;
  /** "balanced" = n / (k · count); or explicit per-class weights. */
  classWeights: "none" | "balanced" | number[];
  /** Clip gradients to this global L2 norm; null disables. */
  clipNorm: number | null;
  /** Stop when `metric` has not improved for `patience` epochs. */
  earlyStopping: { metric: "valLoss" | "valMacroF1"; patience: number } | null;
  seed: number;
  /** Folder for history.csv and checkpoints/; null keeps nothing on disk. */
  outDir: string | null;
  /** Epoch checkpoints kept. */
  keepCheckpoints: number;
  /** Resume from outDir's latest checkpoint when one exists (true), or from this folder. */
  resume: boolean | string;
  /** Progress display. */
  progress: "auto" | "none";
  /** Called after every step (cheap). Throwing aborts training: used to test crash safety. */
  onStep?: (step: number, loss: number) => void;
  /** Called after every epoch with its log. */
  onEpoch?: (log: EpochLog) => void;
  /** Synchronisation hooks (distributed training). */
  sync?: SyncHooks;
}

/** Defaults: Adam, lr 1e-3, batch 32, 1 epoch, no class weights, no clipping. */
export const defaultTrainConfig: Readonly<Omit<TrainConfig, "onStep" | "onEpoch" | "sync">> = Object.freeze({
  epochs: 1,
  batchSize: 32,
  optimizer: "adam",
  learningRate: 1e-3,
  momentum: 0.9,
  schedule: { kind: "constant" } as Schedule,
  warmupSteps: 0,
  classWeights: "none",
  clipNorm: null,
  earlyStopping: null,
  seed: 0,
  outDir: null,
  keepCheckpoints: 2,
  resume: false,
  progress: "auto",
});

/** Metrics of one epoch (one row of history.csv). */
export interface EpochLog {
  epoch: number;
  trainLoss: number;
  trainAccuracy: number;
  trainMacroF1: number;
  valLoss: number;
  valAccuracy: number;
  valMacroF1: number;
  learningRate: number;
  seconds: number;
  samplesPerSec: number;
  meanStepSeconds: number;
  peakRssMB: number;
  cpuPercent: number;
}

/** Data for `train`: train and validation arrays plus class names. */
export interface TrainData {
  train: ArrayData;
  val: ArrayData;
  classNames: string[];
}

/** Settings a resumed run must share with its checkpoint (epochs may grow; output and progress may differ). */
const resumeKeys = [
  "batchSize",
  "optimizer",
  "learningRate",
  "momentum",
  "schedule",
  "warmupSteps",
  "classWeights",
  "clipNorm",
  "seed",
] as const;

/** What differs between a checkpoint's training config and this run's, as "key: was → now". */
export function changedHyperparameters(saved: Partial<TrainConfig>, now: TrainConfig): string[] {
  return resumeKeys
    .filter((k) => k in saved && JSON.stringify(saved[k]) !== JSON.stringify(now[k]))
    .map((k) => `${k}: ${JSON.stringify(saved[k])} → ${JSON.stringify(now[k])}`);
}

/** Training stopped because the loss became non-finite or exploded; no checkpoint of it was written. */
export class TrainingDivergedError extends Error {
  override name = "TrainingDivergedError";
}

/**
 * Throws {@link TrainingDivergedError} when the loss is NaN/±Infinity or has grown 1000× past the
 * first step's (a learning rate far too high: --lr 1e9 gave 3.5e32 and exit 0 before). Called
 * with the loss every rank agrees on, so ranks stop together.
 */
export function checkDivergence(
  loss: number,
  firstLoss: number,
  epoch: number,
  step: number,
  learningRate: number,
): void {
  const exploded = Number.isFinite(loss) && loss > 1000 * Math.max(firstLoss, 1);
  if (Number.isFinite(loss) && !exploded) return;
  throw new TrainingDivergedError(
    `training diverged at epoch ${epoch}, step ${step}: the loss is ${loss}${exploded ? ` (first step: ${firstLoss.toPrecision(4)})` : ""} at learning rate ${learningRate}; lower the learning rate or clip gradients (the last checkpoint, if any, is from before)`,
  );
}

/** What training produced. */
export interface TrainResult {
  history: EpochLog[];
  /** Validation report after the last epoch. */
  report: ClassificationReport;
  predictions: Int32Array;
  /** Mean training throughput over the epochs run in this call. */
  samplesPerSec: number;
  secondsPerEpoch: number;
  /** Step wall times of this call (seconds), for projections. */
  stepSeconds: number[];
  stepStats: { meanMs: number; p50Ms: number; p95Ms: number } | null;
  peakRssMB: number;
  meanCpuPercent: number;
  stoppedEarly: boolean;
  /** Epochs already done in the checkpoint resumed from (0 for a fresh run). */
  resumedFromEpoch: number;
  checkpointDir: string | null;
}

/** Identifies the model in checkpoints, so a resume rebuilds the same one. */
export interface ModelIdentity {
  name: string;
  config: unknown;
}

function makeOptimizer(config: TrainConfig): tf.Optimizer {
  return config.optimizer === "adam"
    ? adam(config.learningRate)
    : tf.train.momentum(config.learningRate, config.momentum);
}

function setLearningRate(optimizer: tf.Optimizer, lr: number): void {
  // tfjs keeps the rate in a protected field that applyGradients reads on every step.
  (optimizer as unknown as { learningRate: number }).learningRate = lr;
}

function stepLoss(
  model: tfl.LayersModel,
  xs: tf.Tensor,
  ys: tf.Tensor1D,
  classes: number,
  weights: tf.Tensor1D | null,
): { loss: tf.Scalar; logits: tf.Tensor } {
  const logits = model.apply(xs, { training: true }) as tf.Tensor;
  const perSample = tf.losses.softmaxCrossEntropy(tf.oneHot(ys, classes), logits, undefined, 0, tf.Reduction.NONE);
  if (!weights) return { loss: tf.mean(perSample) as tf.Scalar, logits };
  const w = tf.gather(weights, ys);
  // PyTorch's weighted cross-entropy: Σ w_i·l_i / Σ w_i.
  return { loss: tf.div(tf.sum(tf.mul(perSample, w)), tf.maximum(tf.sum(w), 1e-12)) as tf.Scalar, logits };
}

/**
 * Trains `model` on `data.train`, evaluating on `data.val` after every epoch.
 * @example
 * const result = await train(buildMlp({ inputShape: [78], classes: 15 }), data, { epochs: 5, outDir: "runs/mlp" })
 */
export async function train(
  model: tfl.LayersModel,
  data: TrainData,
  overrides: Partial<TrainConfig> = {},
  identity: ModelIdentity = { name: model.name, config: null },
): Promise<TrainResult> {
  const config: TrainConfig = { ...defaultTrainConfig, ...overrides };
  if (!(config.batchSize >= 1) || !Number.isInteger(config.batchSize))
    throw new Error(`batch size must be a positive integer, got ${config.batchSize}`);
  if (!(config.epochs >= 0) || !Number.isInteger(config.epochs))
    throw new Error(`epochs must be a non-negative integer, got ${config.epochs}`);
  const classes = data.classNames.length;
  const n = data.train.y.length;
  if (n === 0) throw new Error("the training set is empty");
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const optimizer = makeOptimizer(config);
  const checkpointDir = config.outDir ? join(config.outDir, "checkpoints") : null;
  const progress: ProgressReporter = config.progress === "auto" ? autoProgress() : silentProgress;

  let history: EpochLog[] = [];
  let startEpoch = 0;
  let step = 0;
  let firstLoss: number | undefined;
  let best: { value: number; epoch: number; waited: number } | null = null;
  const resumeDir =
    typeof config.resume === "string"
      ? config.resume
      : config.resume && checkpointDir && hasCheckpoint(checkpointDir)
        ? checkpointDir
        : null;
  if (resumeDir) {
    const ckpt = loadCheckpoint(resumeDir);
    if (
      ckpt.state.model.name !== identity.name ||
      JSON.stringify(ckpt.state.model.config) !== JSON.stringify(identity.config)
    ) {
      throw new Error(
        `${ckpt.dir}: checkpoint is for model ${ckpt.state.model.name} ${JSON.stringify(ckpt.state.model.config)}, not ${identity.name} ${JSON.stringify(identity.config)}`,
      );
    }
    const changed = changedHyperparameters(ckpt.state.trainConfig as Partial<TrainConfig>, config);
    if (changed.length > 0)
      throw new Error(
        `${ckpt.dir}: resuming with different hyperparameters (${changed.join("; ")}); only the number of epochs may change`,
      );
    const expected = model.getWeights();
    if (
      expected.length !== ckpt.weights.length ||
      expected.some((w, i) => w.shape.join() !== ckpt.weights[i].shape.join())
    ) {
      throw new Error(
        `${ckpt.dir}: checkpoint weights do not match the model's (${ckpt.weights.length} tensors vs ${expected.length})`,
      );
    }
    model.setWeights(ckpt.weights);
    tf.dispose(ckpt.weights);
    await optimizer.setWeights(ckpt.optimizer);
    restoreOptimizerExtraState(optimizer, ckpt.state.optimizerExtra);
    history = ckpt.state.history as EpochLog[];
    startEpoch = ckpt.state.epoch;
    step = ckpt.state.step;
    best = ckpt.state.best;
  }
  const resumedFromEpoch = startEpoch;

  const weightsArray =
    config.classWeights === "none"
      ? null
      : config.classWeights === "balanced"
        ? balancedClassWeights(data.train.y, classes)
        : config.classWeights;
  if (weightsArray && weightsArray.length !== classes)
    throw new Error(`class weights has ${weightsArray.length} entries for ${classes} classes`);
  const classWeights = weightsArray ? tf.tensor1d(weightsArray) : null;

  const sampler = new ResourceSampler(500).start();
  const stepSeconds: number[] = [];
  let stoppedEarly = false;
  let report: ClassificationReport | null = null;
  let predictions: Int32Array = new Int32Array(0);
  const hooks: SyncHooks = config.sync ?? {};
  const stepsPerEpoch = hooks.stepsPerEpoch?.(n, config.batchSize) ?? Math.ceil(n / config.batchSize);
  const totalSteps = config.epochs * stepsPerEpoch;

  try {
    for (let epoch = startEpoch + 1; epoch <= config.epochs; epoch++) {
      const epochSampler = new ResourceSampler(500).start();
      const order = epochOrder(n, config.seed, epoch);
      const t0 = performance.now();
      let lossSum = 0;
      let weightSum = 0;
      const trainPred: number[] = [];
      const trainTrue: number[] = [];
      let lr = config.learningRate;
      for (let s = 0; s < stepsPerEpoch; s++) {
        const ts = performance.now();
        const idx =
          hooks.batchIndices?.(order, s, config.batchSize) ??
          order.subarray(s * config.batchSize, Math.min(n, (s + 1) * config.batchSize));
        lr = learningRateAt(
          config.schedule.kind === "cosine" && config.schedule.totalSteps <= 0
            ? { ...config.schedule, totalSteps }
            : config.schedule,
          config.learningRate,
          step,
          config.warmupSteps,
        );
        setLearningRate(optimizer, lr);
        dropoutClock.step = step;
        const { xs, ys } = batchTensors(data.train, idx);
        let logitsData: Float32Array | Int32Array | Uint8Array = new Float32Array(0);
        const { value, grads } = tf.variableGrads(() => {
          const { loss, logits } = stepLoss(model, xs, ys, classes, classWeights);
          logitsData = logits.dataSync();
          return loss;
        }, variables);
        let toApply = grads;
        if (hooks.gradients) {
          toApply = await hooks.gradients(grads, idx.length);
          if (toApply !== grads) tf.dispose(Object.values(grads));
        }
        if (config.clipNorm !== null) {
          const unclipped = toApply;
          toApply = clipByGlobalNorm(unclipped, config.clipNorm);
          tf.dispose(Object.values(unclipped));
        }
        optimizer.applyGradients(toApply);
        const rawLoss = (await value.data())[0];
        const loss = hooks.loss ? await hooks.loss(rawLoss, idx.length) : rawLoss;
        firstLoss ??= loss;
        checkDivergence(loss, firstLoss, epoch, s + 1, lr);
        tf.dispose([value, xs, ys, ...Object.values(toApply)]);
        const predicted = argmaxRows(logitsData, classes);
        for (let i = 0; i < idx.length; i++) {
          trainPred.push(predicted[i]);
          trainTrue.push(data.train.y[idx[i]]);
        }
        const batchWeight = weightsArray ? idx.reduce((sum, k) => sum + weightsArray[data.train.y[k]], 0) : idx.length;
        lossSum += rawLoss * batchWeight;
        weightSum += batchWeight;
        step++;
        await hooks.afterStep?.(step, variables);
        stepSeconds.push((performance.now() - ts) / 1000);
        const elapsed = (performance.now() - t0) / 1000;
        progress.step({
          epoch,
          epochs: config.epochs,
          step: s + 1,
          steps: stepsPerEpoch,
          loss,
          samplesPerSec: trainTrue.length / elapsed,
        });
        config.onStep?.(step, loss);
      }
      await hooks.afterEpoch?.(epoch, variables);
      const seconds = (performance.now() - t0) / 1000;
      const evaluation = evaluate(model, data.val, classes);
      predictions = evaluation.predictions;
      report = classificationReport(data.val.y, predictions, data.classNames);
      const trainReport = classificationReport(trainTrue, trainPred, data.classNames);
      const resources = epochSampler.stop();
      const log: EpochLog = {
        epoch,
        trainLoss: lossSum / weightSum,
        trainAccuracy: trainReport.accuracy,
        trainMacroF1: trainReport.macro.f1,
        valLoss: evaluation.loss,
        valAccuracy: report.accuracy,
        valMacroF1: report.macro.f1,
        learningRate: lr,
        seconds,
        samplesPerSec: trainTrue.length / seconds,
        meanStepSeconds: seconds / stepsPerEpoch,
        peakRssMB: resources.peakRssMB,
        cpuPercent: resources.meanCpuPercent,
      };
      history.push(log);
      progress.epochEnd(
        `epoch ${epoch}/${config.epochs} loss ${log.trainLoss.toFixed(4)} acc ${log.trainAccuracy.toFixed(4)} | val loss ${log.valLoss.toFixed(4)} acc ${log.valAccuracy.toFixed(4)} macro-F1 ${log.valMacroF1.toFixed(4)} | ${seconds.toFixed(1)} s`,
      );
      config.onEpoch?.(log);

      if (config.earlyStopping) {
        const value = config.earlyStopping.metric === "valLoss" ? -log.valLoss : log.valMacroF1;
        if (!best || value > best.value) best = { value, epoch, waited: 0 };
        else best = { ...best, waited: best.waited + 1 };
      }
      if (config.outDir) writeCsv(join(config.outDir, "history.csv"), history);
      if (checkpointDir) {
        await saveCheckpoint(
          checkpointDir,
          // Every weight, not only the trainable ones: non-trainable state (e.g. batch-norm
          // statistics) must survive a resume too, and setWeights() restores them all.
          model.weights.map((w) => ({ name: w.name, tensor: w.read() })),
          optimizer,
          {
            model: identity,
            epoch,
            step,
            rng: { seed: config.seed, epoch, step },
            trainConfig: { ...config, onStep: undefined, onEpoch: undefined, sync: undefined },
            history,
            best,
          },
          config.keepCheckpoints,
        );
      }
      if (config.earlyStopping) {
        const mine = best !== null && best.waited >= config.earlyStopping.patience;
        if (hooks.agreeToStop ? await hooks.agreeToStop(mine) : mine) {
          stoppedEarly = true;
          break;
        }
      }
    }
  } finally {
    classWeights?.dispose();
    optimizer.dispose();
  }
  if (!report) {
    const evaluation = evaluate(model, data.val, classes);
    predictions = evaluation.predictions;
    report = classificationReport(data.val.y, predictions, data.classNames);
  }
  const resources = sampler.stop();
  const ran = history.slice(resumedFromEpoch);
  const trainSeconds = ran.reduce((s, h) => s + h.seconds, 0);
  const stats = stepSeconds.length ? latencyStats(stepSeconds.map((s) => s * 1000)) : null;
  return {
    history,
    report,
    predictions,
    samplesPerSec: trainSeconds > 0 ? ran.reduce((sum, h) => sum + h.samplesPerSec * h.seconds, 0) / trainSeconds : 0,
    secondsPerEpoch: ran.length ? trainSeconds / ran.length : 0,
    stepSeconds,
    stepStats: stats ? { meanMs: stats.meanMs, p50Ms: stats.p50Ms, p95Ms: stats.p95Ms } : null,
    peakRssMB: Math.max(resources.peakRssMB, ...ran.map((h) => h.peakRssMB)),
    meanCpuPercent: resources.meanCpuPercent,
    stoppedEarly,
    resumedFromEpoch,
    checkpointDir,
  };
}
