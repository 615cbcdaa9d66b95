/**
 * The training engine: one `train(model, data, config)` used by notebooks, the CLI and the
 * distributed trainer. It runs the pure loop (loop.ts) with the usual callbacks that the config
 * asks for — resource sampling, progress, early stopping, history.csv, checkpoints and resume —
 * and hands back the run's result. A resumed run ends with exactly the weights of an
 * uninterrupted one on the same backend.
 */
import type * as tfl from "@tensorflow/tfjs-layers";
import { join } from "node:path";
import { hasCheckpoint } from "./checkpoint";
import { checkpointer } from "./checkpointer";
import {
  defaultTrainConfig,
  type ModelIdentity,
  type TrainConfig,
  type TrainData,
  type TrainingCallback,
  type TrainResult,
} from "./config";
import { earlyStopping } from "./early-stopping";
import { historyCsv } from "./history-writer";
import { trainLoop } from "./loop";
import { autoProgress, progressCallback } from "./progress";
import { resourceUsage } from "./resources";

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
  const checkpointDir = config.outDir ? join(config.outDir, "checkpoints") : null;
  const resumeFrom =
    typeof config.resume === "string"
      ? config.resume
      : config.resume && checkpointDir && hasCheckpoint(checkpointDir)
        ? checkpointDir
        : null;
  const usage = resourceUsage();
  // The order matters: resources fill the log before anyone reads it; early stopping updates its
  // memory before the checkpoint saves it.
  const callbacks: TrainingCallback[] = [
    usage,
    ...(config.progress === "auto" ? [progressCallback(autoProgress())] : []),
    {
      onStepEnd: (e) => config.onStep?.(e.globalStep, e.loss),
      onEpochEnd: (log) => config.onEpoch?.(log),
    },
    ...(config.earlyStopping ? [earlyStopping(config.earlyStopping)] : []),
    ...(config.outDir ? [historyCsv(config.outDir)] : []),
    checkpointer({ dir: checkpointDir, keep: config.keepCheckpoints, resumeFrom }),
    ...(config.callbacks ?? []),
  ];
  const result = await trainLoop(model, data, config, identity, callbacks);
  const run = usage.run();
  return {
    ...result,
    peakRssMB: Math.max(run?.peakRssMB ?? 0, result.peakRssMB),
    meanCpuPercent: run?.meanCpuPercent ?? result.meanCpuPercent,
    checkpointDir,
  };
}
