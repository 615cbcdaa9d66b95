/**
 * The two non-tfjs-layers tabular models of the seed's comparison — TabNet (tfjs, own trainer) and
 * XGBoost (libxgboost) — trained through the same run interface as the neural models, so
 * `edgelab train --model tabnet|xgboost` prints the same summary keys. XGBoost's whole boosting
 * run is reported as one epoch.
 */
import { join } from "node:path";
import { argmaxRows, classificationReport } from "../metrics/classification";
import { ResourceSampler } from "../metrics/sampler";
import { TabNet, type TabNetConfig } from "../models/tabnet";
import { XGBoostClassifier, boosterParams, defaultXGBoostParams, type XGBoostParams } from "../models/xgboost";
import { writeFileAtomic } from "../report/atomic";
import { writeCsv } from "../report/table";
import type { EpochLog, TrainData, TrainResult } from "./config";
import { trainTabNet, defaultTabNetTrainConfig, type TabNetTrainConfig } from "./tabnet";
import { resumeTabNet, saveTabNetCheckpoint } from "./tabnet-checkpoint";
import { loadXGBoostCheckpoint, saveXGBoostCheckpoint } from "./xgboost-checkpoint";

/** Settings shared by both (each takes what applies). */
export interface TabularBaselineConfig {
  epochs: number;
  batchSize?: number;
  learningRate?: number;
  seed: number;
  /** Run folder: checkpoints/ (TabNet every epoch, XGBoost every tenth of its rounds), history.csv, xgboost.ubj. */
  outDir: string | null;
  /** Continue the run in `outDir` from its latest checkpoint (TabNet: epochs done; XGBoost: rounds boosted). */
  resume?: boolean;
  tabnet?: Partial<TabNetConfig>;
  xgboost?: Partial<XGBoostParams>;
}

/** A trained baseline: the engine-shaped result plus the model (caller disposes). */
export interface TabularBaselineRun {
  result: TrainResult;
  parameters: number;
  model: TabNet | XGBoostClassifier;
}

function crossEntropy(proba: Float32Array, labels: ArrayLike<number>, classes: number): number {
  let sum = 0;
  for (let i = 0; i < labels.length; i++) sum -= Math.log(Math.max(proba[i * classes + labels[i]], 1e-12));
  return sum / labels.length;
}

/** Trains `name` on standardised tabular arrays and evaluates on `data.val`. */
export async function trainTabularBaseline(
  name: "tabnet" | "xgboost",
  data: TrainData,
  config: TabularBaselineConfig,
): Promise<TabularBaselineRun> {
  const d = data.train.sampleShape.reduce((a, b) => a * b, 1);
  const classes = data.classNames.length;
  const sampler = new ResourceSampler(500).start();
  const history: EpochLog[] = [];
  let model: TabNet | XGBoostClassifier;
  let parameters: number;
  let proba: Float32Array;
  let resumedFromEpoch = 0;
  if (name === "tabnet") {
    const trainConfig: TabNetTrainConfig = {
      ...defaultTabNetTrainConfig,
      epochs: config.epochs,
      seed: config.seed,
      ...(config.batchSize ? { batchSize: config.batchSize } : {}),
      ...(config.learningRate ? { learningRate: config.learningRate } : {}),
    };
    const checkpointDir = config.outDir ? join(config.outDir, "checkpoints") : null;
    if (config.resume && !checkpointDir) throw new Error("resuming a TabNet run needs its run folder");
    const resumed = config.resume && checkpointDir ? await resumeTabNet(checkpointDir, trainConfig) : null;
    const tabnet = resumed?.model ?? new TabNet({ features: d, classes, seed: config.seed, ...config.tabnet });
    if (tabnet.config.features !== d || tabnet.config.classes !== classes)
      throw new Error(
        `${checkpointDir}: checkpoint is for ${tabnet.config.features} features and ${tabnet.config.classes} classes, the data has ${d} and ${classes}`,
      );
    const run = await trainTabNet(
      tabnet,
      { features: data.train.x, labels: data.train.y },
      {
        ...trainConfig,
        ...(resumed ? { resumeFrom: resumed.resumeFrom } : {}),
        onEpoch: async (_row, sofar, optimizer) => {
          if (!checkpointDir || !config.outDir) return;
          writeCsv(join(config.outDir, "history.csv"), sofar);
          await saveTabNetCheckpoint(checkpointDir, tabnet, optimizer, trainConfig, sofar);
        },
      },
    );
    resumed?.resumeFrom.optimizer.dispose();
    proba = tabnet.predictProba(data.val.x);
    const trainPred = argmaxRows(tabnet.predictProba(data.train.x), classes);
    const trainReport = classificationReport(data.train.y, trainPred, data.classNames);
    run.history.forEach((h, i) => {
      const last = i === run.history.length - 1;
      const valReport = last ? classificationReport(data.val.y, argmaxRows(proba, classes), data.classNames) : null;
      history.push({
        epoch: h.epoch,
        trainLoss: h.loss,
        trainAccuracy: last ? trainReport.accuracy : NaN,
        trainMacroF1: last ? trainReport.macro.f1 : NaN,
        valLoss: last ? crossEntropy(proba, data.val.y, classes) : NaN,
        valAccuracy: valReport?.accuracy ?? NaN,
        valMacroF1: valReport?.macro.f1 ?? NaN,
        learningRate: trainConfig.learningRate,
        seconds: h.seconds,
        samplesPerSec: h.samplesPerSec,
        meanStepSeconds: h.seconds / Math.max(1, Math.floor(data.train.y.length / trainConfig.batchSize)),
        peakRssMB: NaN,
        cpuPercent: NaN,
      });
    });
    parameters = tabnet.parameterCount;
    model = tabnet;
    resumedFromEpoch = resumed?.resumeFrom.epochs ?? 0;
  } else {
    const params: XGBoostParams = {
      ...defaultXGBoostParams,
      seed: config.seed,
      ...(config.learningRate ? { eta: config.learningRate } : {}),
      ...config.xgboost,
    };
    const t0 = performance.now();
    const checkpointDir = config.outDir ? join(config.outDir, "checkpoints") : null;
    const asPassed = boosterParams(params, classes);
    const resumed = config.resume && checkpointDir ? loadXGBoostCheckpoint(checkpointDir, asPassed) : null;
    resumedFromEpoch = resumed ? 1 : 0;
    // a checkpoint every tenth of the rounds (and at the end)
    const every = Math.max(1, Math.round(params.rounds / 10));
    const booster = XGBoostClassifier.train(
      data.train.x,
      data.train.y,
      d,
      classes,
      params,
      (round, save) => {
        if (checkpointDir && (round % every === 0 || round === params.rounds))
          saveXGBoostCheckpoint(checkpointDir, save(), round, asPassed);
      },
      resumed?.model,
    );
    const seconds = (performance.now() - t0) / 1000;
    proba = booster.predictProba(data.val.x);
    const trainReport = classificationReport(
      data.train.y,
      argmaxRows(booster.predictProba(data.train.x), classes),
      data.classNames,
    );
    const valReport = classificationReport(data.val.y, argmaxRows(proba, classes), data.classNames);
    history.push({
      epoch: 1,
      trainLoss: NaN,
      trainAccuracy: trainReport.accuracy,
      trainMacroF1: trainReport.macro.f1,
      valLoss: crossEntropy(proba, data.val.y, classes),
      valAccuracy: valReport.accuracy,
      valMacroF1: valReport.macro.f1,
      learningRate: params.eta,
      seconds,
      samplesPerSec: data.train.y.length / seconds,
      meanStepSeconds: seconds / params.rounds,
      peakRssMB: NaN,
      cpuPercent: NaN,
    });
    const saved = booster.save("ubj");
    parameters = saved.byteLength; // trees have no parameter count; the serialised size stands in
    if (config.outDir) writeFileAtomic(join(config.outDir, "xgboost.ubj"), saved);
    model = booster;
  }
  const resources = sampler.stop();
  const predictions = argmaxRows(proba, classes);
  const secondsTotal = history.reduce((s, h) => s + h.seconds, 0);
  const result: TrainResult = {
    history,
    report: classificationReport(data.val.y, predictions, data.classNames),
    predictions,
    samplesPerSec: (data.train.y.length * history.length) / Math.max(secondsTotal, 1e-9),
    secondsPerEpoch: secondsTotal / history.length,
    stepSeconds: [],
    stepStats: null,
    peakRssMB: resources.peakRssMB,
    meanCpuPercent: resources.meanCpuPercent,
    stoppedEarly: false,
    resumedFromEpoch,
    checkpointDir: config.outDir ? join(config.outDir, "checkpoints") : null,
  };
  return { result, parameters, model };
}
