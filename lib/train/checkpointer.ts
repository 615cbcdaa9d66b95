/**
 * Checkpoints as a training callback: after every epoch every weight, the optimiser's state, the
 * step, the history and early stopping's memory go to `dir` (checksummed, the last `keep` kept);
 * at the start a resumed run is restored from the latest one, so it ends with exactly the weights
 * of an uninterrupted run. Refuses a checkpoint of another model or other hyperparameters.
 */
import * as tf from "@tensorflow/tfjs-core";
import { loadCheckpoint, restoreOptimizerExtraState, saveCheckpoint } from "./checkpoint";
import type { EpochLog, TrainConfig, TrainingCallback } from "./config";

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

/** Where checkpoints go, how many are kept, and which one (if any) to resume from. */
export interface CheckpointerConfig {
  /** Folder written after every epoch; null writes nothing (e.g. a non-root rank). */
  dir: string | null;
  keep: number;
  /** Checkpoint folder to restore before training, or null for a fresh run. */
  resumeFrom: string | null;
}

/** The checkpointing callback. */
export function checkpointer(config: CheckpointerConfig): TrainingCallback {
  return {
    async onTrainBegin(state) {
      if (!config.resumeFrom) return;
      const { model, optimizer, identity } = state;
      const ckpt = loadCheckpoint(config.resumeFrom);
      if (
        ckpt.state.model.name !== identity.name ||
        JSON.stringify(ckpt.state.model.config) !== JSON.stringify(identity.config)
      ) {
        throw new Error(
          `${ckpt.dir}: checkpoint is for model ${ckpt.state.model.name} ${JSON.stringify(ckpt.state.model.config)}, not ${identity.name} ${JSON.stringify(identity.config)}`,
        );
      }
      const changed = changedHyperparameters(ckpt.state.trainConfig as Partial<TrainConfig>, state.config);
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
      state.history = ckpt.state.history as EpochLog[];
      state.epoch = ckpt.state.epoch;
      state.step = ckpt.state.step;
      state.best = ckpt.state.best;
    },
    async onEpochEnd(log, state) {
      if (!config.dir) return;
      const { model, optimizer, identity, step, history, best } = state;
      const trainConfig = {
        ...state.config,
        onStep: undefined,
        onEpoch: undefined,
        sync: undefined,
        callbacks: undefined,
      };
      await saveCheckpoint(
        config.dir,
        // Every weight, not only the trainable ones: non-trainable state (e.g. batch-norm
        // statistics) must survive a resume too, and setWeights() restores them all.
        model.weights.map((w) => ({ name: w.name, tensor: w.read() })),
        optimizer,
        {
          model: identity,
          epoch: log.epoch,
          step,
          rng: { seed: state.config.seed, epoch: log.epoch, step },
          trainConfig,
          history,
          best,
        },
        config.keep,
      );
    },
  };
}
