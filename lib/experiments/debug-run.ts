/**
 * The seed's Pi-side debug run as one call: for each model, a forward-pass check on a batch of the
 * debug subset, a short training run measuring seconds per epoch and peak memory, and the
 * projection of one epoch over the full dataset (2,830,743 CICIDS2017 flows by default).
 */
import "../runtime/tfjs";
import * as tf from "@tensorflow/tfjs-core";
import { cicidsFullRows } from "../data/cicids-schema";
import { buildModel, modelEntry, parameterCount } from "../models";
import { trainingBackend, useBackend, type BackendName } from "../runtime/backends";
import type { ArrayData } from "../train/batches";
import { train } from "../train/engine";
import { projectEpoch, type EpochProjection } from "../train/projection";

/** What the debug run measures. */
export interface DebugRunConfig {
  models: string[];
  train: ArrayData;
  val: ArrayData;
  classNames: string[];
  epochs: number;
  batchSize: number;
  /** Dataset size to project an epoch to. */
  targetSamples: number;
  seed: number;
}

/** Defaults: 1 epoch, batch 16, projected to the full CICIDS2017 release. */
export const defaultDebugRunConfig = Object.freeze({
  epochs: 1,
  batchSize: 16,
  targetSamples: cicidsFullRows,
  seed: 0,
});

/** One model's row of the debug-run table. */
export interface DebugRunRow {
  model: string;
  parameters: number;
  backend: BackendName;
  backendNote: string | null;
  /** The forward pass returned finite logits of shape [batch, classes]. */
  forwardOk: boolean;
  outputShape: string;
  secondsPerEpoch: number;
  samplesPerSec: number;
  meanStepMs: number;
  trainLoss: number;
  /** Peak RSS sampled while this model trained (MB). */
  peakRssMB: number;
  projection: EpochProjection;
}

/** Runs the debug protocol for every model in turn. */
export async function piDebugRun(
  overrides: Partial<DebugRunConfig> & Pick<DebugRunConfig, "models" | "train" | "val" | "classNames">,
): Promise<DebugRunRow[]> {
  const config: DebugRunConfig = { ...defaultDebugRunConfig, ...overrides };
  const rows: DebugRunRow[] = [];
  for (const name of config.models) {
    const entry = modelEntry(name);
    const { backend, reason } = await trainingBackend(entry.trainingKernels);
    await useBackend(backend);
    const model = buildModel(name, {
      inputShape: config.train.sampleShape,
      classes: config.classNames.length,
      seed: config.seed,
    });
    const probe = Math.min(8, config.train.y.length);
    const size = config.train.sampleShape.reduce((a, b) => a * b, 1);
    const out = tf.tidy(
      () =>
        model.predict(
          tf.tensor(config.train.x.subarray(0, probe * size), [probe, ...config.train.sampleShape]),
        ) as tf.Tensor,
    );
    const values = out.dataSync();
    const forwardOk =
      out.shape[0] === probe && out.shape[1] === config.classNames.length && values.every((v) => Number.isFinite(v));
    const outputShape = `[${out.shape.join(", ")}]`;
    out.dispose();
    const result = await train(
      model,
      { train: config.train, val: config.val, classNames: config.classNames },
      { epochs: config.epochs, batchSize: config.batchSize, seed: config.seed, progress: "auto" },
    );
    rows.push({
      model: name,
      parameters: parameterCount(model),
      backend,
      backendNote: reason,
      forwardOk,
      outputShape,
      secondsPerEpoch: result.secondsPerEpoch,
      samplesPerSec: result.samplesPerSec,
      meanStepMs: result.stepStats?.meanMs ?? NaN,
      trainLoss: result.history[result.history.length - 1]?.trainLoss ?? NaN,
      peakRssMB: result.peakRssMB,
      projection: projectEpoch(result.stepSeconds, config.batchSize, config.targetSamples),
    });
    model.dispose();
  }
  return rows;
}

/** The seed's projection table ("Pi 5 Training Feasibility Notes"), for side-by-side display. */
export const seedEpochEstimates: readonly {
  model: string;
  params: string;
  dataset: string;
  estimate: string;
  platform: string;
}[] = [
  { model: "CNN+BiLSTM", params: "2-5M", dataset: "100 samples (debug)", estimate: "~30 sec", platform: "Pi 5" },
  { model: "CNN+BiLSTM", params: "2-5M", dataset: "2.8M flows (full)", estimate: "2-4 hours", platform: "Pi 5" },
  { model: "CNN+BiLSTM", params: "2-5M", dataset: "2.8M flows (full)", estimate: "~5-10 min", platform: "Colab T4" },
  { model: "TabNet", params: "1-5M", dataset: "2.8M flows (full)", estimate: "30-60 min", platform: "Pi 5" },
];
