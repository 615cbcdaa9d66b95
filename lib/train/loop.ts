/**
 * The training loop, pure: deterministic epochs (orders from (seed, epoch), dropout from (seed,
 * step)), Adam or SGD with schedules and warm-up, class weights, gradient clipping, per-epoch
 * train/val loss, accuracy and macro-F1. Everything else — files, checkpoints, progress, resource
 * sampling, early stopping — is a {@link TrainingCallback}; synchronisation across ranks is
 * {@link SyncHooks}. `train()` in engine.ts plugs in the usual callbacks.
 */
import "../runtime/tfjs";
import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import { argmaxRows, classificationReport, type ClassificationReport } from "../metrics/classification";
import { latencyStats } from "../metrics/latency";
import { dropoutClock } from "../models/dropout";
import { adam } from "./adam";
import { sgd } from "./momentum";
import { batchTensors, epochOrder } from "./batches";
import { balancedClassWeights } from "./class-weights";
import { clipByGlobalNorm } from "./clip";
import type {
  EpochLog,
  ModelIdentity,
  SyncHooks,
  TrainConfig,
  TrainData,
  TrainingCallback,
  TrainingState,
  TrainResult,
} from "./config";
import { evaluate } from "./evaluate";
import { splitFrozenPrefix } from "./frozen-prefix";
import { learningRateAt } from "./schedule";

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

function makeOptimizer(config: TrainConfig): tf.Optimizer {
  return config.optimizer === "adam" ? adam(config.learningRate) : sgd(config.learningRate, config.momentum);
}

function setLearningRate(optimizer: tf.Optimizer, lr: number): void {
  // tfjs' SGD and momentum optimizers step with a scalar tensor that only their setLearningRate
  // updates; Adam reads the protected field on every step. (tfjs optimizers answer `instanceof`
  // for any optimizer class, hence the duck typing.)
  const sgdLike = optimizer as unknown as { learningRate: number; setLearningRate?: (lr: number) => void };
  if (typeof sgdLike.setLearningRate === "function") sgdLike.setLearningRate(lr);
  else sgdLike.learningRate = lr;
}

/** The loss of the logits `forward()` returns, weighted per class when `weights` is given. */
function stepLoss(
  forward: () => tf.Tensor,
  ys: tf.Tensor1D,
  classes: number,
  weights: tf.Tensor1D | null,
): { loss: tf.Scalar; logits: tf.Tensor } {
  const logits = forward();
  const perSample = tf.losses.softmaxCrossEntropy(tf.oneHot(ys, classes), logits, undefined, 0, tf.Reduction.NONE);
  if (!weights) return { loss: tf.mean(perSample) as tf.Scalar, logits };
  const w = tf.gather(weights, ys);
  // PyTorch's weighted cross-entropy: Σ w_i·l_i / Σ w_i.
  return { loss: tf.div(tf.sum(tf.mul(perSample, w)), tf.maximum(tf.sum(w), 1e-12)) as tf.Scalar, logits };
}

/**
 * Runs `config.epochs` epochs of `model` on `data.train` (from the epoch a callback restored),
 * evaluating on `data.val` after each, and calls `callbacks` in order at every event.
 * `peakRssMB` and `meanCpuPercent` come from the epoch logs (a resource callback fills them).
 */
export async function trainLoop(
  model: tfl.LayersModel,
  data: TrainData,
  config: TrainConfig,
  identity: ModelIdentity,
  callbacks: readonly TrainingCallback[],
): Promise<TrainResult> {
  if (!(config.batchSize >= 1) || !Number.isInteger(config.batchSize))
    throw new Error(`batch size must be a positive integer, got ${config.batchSize}`);
  if (!(config.epochs >= 0) || !Number.isInteger(config.epochs))
    throw new Error(`epochs must be a non-negative integer, got ${config.epochs}`);
  const classes = data.classNames.length;
  const n = data.train.y.length;
  if (n === 0) throw new Error("the training set is empty");
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  // A finetune's frozen layers run before the gradient scope, so their activations are freed at once.
  const split = splitFrozenPrefix(model);
  const optimizer = makeOptimizer(config);
  const state: TrainingState = {
    model,
    optimizer,
    config,
    identity,
    history: [],
    epoch: 0,
    step: 0,
    best: null,
    stopRequested: false,
  };
  const stepSeconds: number[] = [];
  let stoppedEarly = false;
  let report: ClassificationReport | null = null;
  let predictions: Int32Array = new Int32Array(0);
  const hooks: SyncHooks = config.sync ?? {};
  const stepsPerEpoch = hooks.stepsPerEpoch?.(n, config.batchSize) ?? Math.ceil(n / config.batchSize);
  const totalSteps = config.epochs * stepsPerEpoch;
  const evaluateValidation = async (): Promise<{ loss: number; predictions: Int32Array }> =>
    hooks.evaluate
      ? hooks.evaluate(data.val.y.length, (indices) => evaluate(model, data.val, classes, undefined, indices))
      : evaluate(model, data.val, classes);
  let firstLoss: number | undefined;
  let classWeights: tf.Tensor1D | null = null;
  let resumedFromEpoch = 0;

  try {
    for (const c of callbacks) await c.onTrainBegin?.(state);
    resumedFromEpoch = state.epoch;
    const weightsArray =
      config.classWeights === "none"
        ? null
        : config.classWeights === "balanced"
          ? balancedClassWeights(data.train.y, classes)
          : config.classWeights;
    if (weightsArray && weightsArray.length !== classes)
      throw new Error(`class weights has ${weightsArray.length} entries for ${classes} classes`);
    classWeights = weightsArray ? tf.tensor1d(weightsArray) : null;

    for (let epoch = state.epoch + 1; epoch <= config.epochs; epoch++) {
      for (const c of callbacks) c.onEpochBegin?.(epoch, state);
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
          state.step,
          config.warmupSteps,
        );
        setLearningRate(optimizer, lr);
        dropoutClock.step = state.step;
        const { xs, ys } = batchTensors(data.train, idx);
        let logitsData: Float32Array | Int32Array | Uint8Array = new Float32Array(0);
        const features = split ? tf.tidy(() => split.features(xs, true)) : null;
        const forward = (): tf.Tensor =>
          split && features ? split.head(features, true) : (model.apply(xs, { training: true }) as tf.Tensor);
        const { value, grads } = tf.variableGrads(() => {
          const { loss, logits } = stepLoss(forward, ys, classes, classWeights);
          logitsData = logits.dataSync();
          return loss;
        }, variables);
        const rawLoss = (await value.data())[0];
        let toApply = grads;
        if (hooks.gradients) {
          toApply = await hooks.gradients(grads, idx.length, rawLoss);
          if (toApply !== grads) {
            // A hook may hand back some of the same tensors (e.g. overwritten in place).
            const kept = new Set(Object.values(toApply));
            tf.dispose(Object.values(grads).filter((t) => !kept.has(t)));
          }
        }
        if (config.clipNorm !== null) {
          const unclipped = toApply;
          toApply = clipByGlobalNorm(unclipped, config.clipNorm);
          tf.dispose(Object.values(unclipped));
        }
        optimizer.applyGradients(toApply);
        const loss = hooks.loss ? await hooks.loss(rawLoss, idx.length) : rawLoss;
        firstLoss ??= loss;
        checkDivergence(loss, firstLoss, epoch, s + 1, lr);
        tf.dispose([value, xs, ys, ...(features ? [features] : []), ...Object.values(toApply)]);
        const predicted = argmaxRows(logitsData, classes);
        for (let i = 0; i < idx.length; i++) {
          trainPred.push(predicted[i]);
          trainTrue.push(data.train.y[idx[i]]);
        }
        const batchWeight = weightsArray ? idx.reduce((sum, k) => sum + weightsArray[data.train.y[k]], 0) : idx.length;
        lossSum += rawLoss * batchWeight;
        weightSum += batchWeight;
        state.step++;
        await hooks.afterStep?.(state.step, variables);
        stepSeconds.push((performance.now() - ts) / 1000);
        const elapsed = (performance.now() - t0) / 1000;
        const event = {
          epoch,
          epochs: config.epochs,
          step: s + 1,
          steps: stepsPerEpoch,
          globalStep: state.step,
          loss,
          samplesPerSec: trainTrue.length / elapsed,
        };
        for (const c of callbacks) c.onStepEnd?.(event, state);
      }
      await hooks.afterEpoch?.(epoch, variables);
      const seconds = (performance.now() - t0) / 1000;
      const evaluation = await evaluateValidation();
      predictions = evaluation.predictions;
      report = classificationReport(data.val.y, predictions, data.classNames);
      const trainReport = classificationReport(trainTrue, trainPred, data.classNames);
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
        peakRssMB: 0,
        cpuPercent: 0,
      };
      state.history.push(log);
      state.epoch = epoch;
      for (const c of callbacks) await c.onEpochEnd?.(log, state);
      // A rank-local decision: every rank must follow the same one, or collectives stop matching.
      const stop = hooks.agreeToStop ? await hooks.agreeToStop(state.stopRequested) : state.stopRequested;
      if (stop) {
        stoppedEarly = true;
        break;
      }
    }
  } finally {
    for (const c of callbacks) c.onTrainEnd?.(state);
    classWeights?.dispose();
    optimizer.dispose();
  }
  if (!report) {
    const evaluation = await evaluateValidation();
    predictions = evaluation.predictions;
    report = classificationReport(data.val.y, predictions, data.classNames);
  }
  const ran = state.history.slice(resumedFromEpoch);
  const trainSeconds = ran.reduce((s, h) => s + h.seconds, 0);
  const stats = stepSeconds.length ? latencyStats(stepSeconds.map((s) => s * 1000)) : null;
  return {
    history: state.history,
    report,
    predictions,
    samplesPerSec: trainSeconds > 0 ? ran.reduce((sum, h) => sum + h.samplesPerSec * h.seconds, 0) / trainSeconds : 0,
    secondsPerEpoch: ran.length ? trainSeconds / ran.length : 0,
    stepSeconds,
    stepStats: stats ? { meanMs: stats.meanMs, p50Ms: stats.p50Ms, p95Ms: stats.p95Ms } : null,
    peakRssMB: Math.max(0, ...ran.map((h) => h.peakRssMB)),
    meanCpuPercent: ran.length ? ran.reduce((sum, h) => sum + h.cpuPercent, 0) / ran.length : 0,
    stoppedEarly,
    resumedFromEpoch,
    checkpointDir: null,
  };
}
