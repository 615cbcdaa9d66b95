/**
 * The training engine's vocabulary: its typed config and defaults, what one epoch logs, what a run
 * returns, and the two plug-in points — synchronisation hooks (how ranks stay in step) and
 * callbacks (what observes a run: history file, checkpoints, progress, resources, early stopping).
 * Types only, plus the frozen defaults.
 */
import type * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import type { ClassificationReport } from "../metrics/classification";
import type { ArrayData } from "./batches";
import type { Schedule } from "./schedule";

/**
 * Plug-in points for synchronisation across ranks (see lib/parallel). Every hook is optional; without
 * them training is the single-process loop.
 */
export interface SyncHooks {
  /** Steps per epoch (default ceil(n / batchSize)). Must agree across ranks that synchronise per step. */
  stepsPerEpoch?(n: number, batchSize: number): number;
  /** The indices this rank trains on at step `s` of an epoch with sample order `order`. */
  batchIndices?(order: Int32Array, s: number, batchSize: number): Int32Array;
  /**
   * Transforms gradients before they are applied (e.g. averages them over ranks). `loss` is this
   * rank's loss on its `batch` samples, so a strategy can reduce it in the same collective. It may
   * return some of the tensors it was given; the trainer disposes the others.
   */
  gradients?(grads: tf.NamedTensorMap, batch: number, loss: number): tf.NamedTensorMap | Promise<tf.NamedTensorMap>;
  /** The step's loss as reported (e.g. the mean over ranks). */
  loss?(loss: number, batch: number): number | Promise<number>;
  /** After each optimiser step (e.g. local SGD averaging every k steps). */
  afterStep?(step: number, variables: tf.Variable[]): void | Promise<void>;
  /** After each epoch's last step, before evaluation (e.g. the paper's epoch-end weight averaging). */
  afterEpoch?(epoch: number, variables: tf.Variable[]): void | Promise<void>;
  /**
   * Evaluates the `n` validation samples in place of this rank alone (e.g. every rank a share,
   * combined so that every rank holds every prediction). `evaluateSamples` evaluates the given
   * samples on this rank: mean loss and predictions in their order.
   */
  evaluate?(
    n: number,
    evaluateSamples: (indices: Int32Array) => { loss: number; predictions: Int32Array },
  ): Promise<{ loss: number; predictions: Int32Array }>;
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
  /** More observers of the run, called after the built-in ones (see {@link TrainingCallback}). */
  callbacks?: TrainingCallback[];
}

/** Defaults: Adam, lr 1e-3, batch 32, 1 epoch, no class weights, no clipping. */
export const defaultTrainConfig: Readonly<Omit<TrainConfig, "onStep" | "onEpoch" | "sync" | "callbacks">> =
  Object.freeze({
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

/** What callbacks see of a run, and may change: a resume restores it, early stopping asks to stop. */
export interface TrainingState {
  readonly model: tfl.LayersModel;
  readonly optimizer: tf.Optimizer;
  readonly config: TrainConfig;
  readonly identity: ModelIdentity;
  /** Every epoch's log so far (a resumed run starts with its checkpoint's). */
  history: EpochLog[];
  /** The last completed epoch (0 before the first). */
  epoch: number;
  /** Optimiser steps taken. */
  step: number;
  /** Early stopping's memory (checkpointed, so a resumed run keeps its patience count). */
  best: { value: number; epoch: number; waited: number } | null;
  /** Set by a callback to end training after this epoch; distributed ranks agree on it first. */
  stopRequested: boolean;
}

/** One optimiser step, as observers see it. */
export interface StepEvent {
  epoch: number;
  epochs: number;
  /** Step within the epoch, from 1. */
  step: number;
  steps: number;
  /** Steps since the run began (resumed runs count on). */
  globalStep: number;
  /** The step's loss (over all ranks when distributed). */
  loss: number;
  /** Training throughput so far in this epoch. */
  samplesPerSec: number;
}

/**
 * An observer of a training run, in the manner of Keras callbacks and Lightning hooks: the loop
 * knows nothing of files, displays or early stopping; each of those is a callback. Callbacks run
 * in order; each hook may be omitted.
 */
export interface TrainingCallback {
  /** Before the first epoch: a checkpointer restores a resumed run here. */
  onTrainBegin?(state: TrainingState): void | Promise<void>;
  onEpochBegin?(epoch: number, state: TrainingState): void;
  onStepEnd?(event: StepEvent, state: TrainingState): void;
  /** After an epoch's evaluation, with its log (already in `state.history`; earlier callbacks may fill fields). */
  onEpochEnd?(log: EpochLog, state: TrainingState): void | Promise<void>;
  /** After the last epoch, also when training stopped early or failed. */
  onTrainEnd?(state: TrainingState): void;
}
