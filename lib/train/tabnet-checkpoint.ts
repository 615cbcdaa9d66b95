/**
 * TabNet runs checkpoint and resume like the tfjs models: every variable (running statistics
 * included) under pytorch-tabnet's names, Adam's moments, the epoch and the history, in the same
 * checksummed checkpoint format (train/checkpoint). A resumed run continues bit for bit: the epoch
 * order depends only on (seed, epoch).
 */
import * as tf from "@tensorflow/tfjs-core";
import { TabNet, type TabNetConfig } from "../models/tabnet";
import { loadCheckpoint, restoreOptimizerExtraState, saveCheckpoint, type LoadedCheckpoint } from "./checkpoint";
import { tabNetOptimizer, type TabNetEpoch, type TabNetTrainConfig } from "./tabnet";

/** Settings a resumed TabNet run must share with its checkpoint (epochs may grow). */
const resumeKeys = ["batchSize", "learningRate", "lambdaSparse", "clipNorm", "seed"] as const;

type SavedTrainConfig = Pick<TabNetTrainConfig, (typeof resumeKeys)[number] | "epochs">;

/** Saves `model` and `optimizer` after `history.length` epochs under `dir` (keeps the newest 2). */
export async function saveTabNetCheckpoint(
  dir: string,
  model: TabNet,
  optimizer: tf.Optimizer,
  trainConfig: SavedTrainConfig,
  history: TabNetEpoch[],
): Promise<string> {
  const weights = [...model.namedVariables()].map(([name, tensor]) => ({ name, tensor: tensor as tf.Tensor }));
  const epoch = history.length;
  const saved = Object.fromEntries([...resumeKeys, "epochs"].map((k) => [k, trainConfig[k as keyof SavedTrainConfig]]));
  return saveCheckpoint(dir, weights, optimizer, {
    model: { name: "tabnet", config: model.config },
    epoch,
    step: epoch,
    rng: { seed: trainConfig.seed, epoch, step: epoch },
    trainConfig: saved,
    history,
    best: null,
  });
}

/** A TabNet checkpoint, rebuilt. */
export interface LoadedTabNet {
  model: TabNet;
  epoch: number;
  history: TabNetEpoch[];
  optimizer: { name: string; tensor: tf.Tensor }[];
  extra: Record<string, number>;
  trainConfig: Partial<SavedTrainConfig>;
  file: string;
}

/** Rebuilds the TabNet the latest checkpoint under `dir` holds (weights and statistics assigned). */
export function loadTabNetCheckpoint(dir: string): LoadedTabNet {
  return tabNetFromCheckpoint(loadCheckpoint(dir));
}

/** Rebuilds the TabNet a loaded checkpoint holds; takes ownership of its tensors. */
export function tabNetFromCheckpoint(ckpt: LoadedCheckpoint): LoadedTabNet {
  if (ckpt.state.model.name !== "tabnet") {
    tf.dispose([...ckpt.weights, ...ckpt.optimizer.map((o) => o.tensor)]);
    throw new Error(`${ckpt.dir}: checkpoint is for model ${ckpt.state.model.name}, not tabnet`);
  }
  const model = new TabNet(ckpt.state.model.config as TabNetConfig);
  const byName = new Map(ckpt.state.weights.map((e, i) => [e.name, ckpt.weights[i]]));
  try {
    for (const [name, v] of model.namedVariables()) {
      const t = byName.get(name);
      if (!t || t.shape.join() !== v.shape.join())
        throw new Error(`${ckpt.dir}: checkpoint has no tensor ${name} of shape [${v.shape.join(", ")}]`);
      v.assign(t);
    }
  } catch (err) {
    model.dispose();
    throw err;
  } finally {
    tf.dispose(ckpt.weights);
  }
  return {
    model,
    epoch: ckpt.state.epoch,
    history: ckpt.state.history as TabNetEpoch[],
    optimizer: ckpt.optimizer,
    extra: ckpt.state.optimizerExtra,
    trainConfig: ckpt.state.trainConfig as Partial<SavedTrainConfig>,
    file: ckpt.dir,
  };
}

/**
 * Loads a TabNet run's latest checkpoint to continue it with `trainConfig`: the model, an optimizer
 * with its state restored, the epochs done and the history. Refuses different hyperparameters.
 */
export async function resumeTabNet(
  dir: string,
  trainConfig: SavedTrainConfig,
): Promise<{ model: TabNet; resumeFrom: { optimizer: tf.Optimizer; epochs: number; history: TabNetEpoch[] } }> {
  const saved = loadTabNetCheckpoint(dir);
  const changed = resumeKeys
    .filter((k) => saved.trainConfig[k] !== undefined && saved.trainConfig[k] !== trainConfig[k])
    .map((k) => `${k} ${saved.trainConfig[k]} → ${trainConfig[k]}`);
  if (changed.length > 0) {
    saved.model.dispose();
    tf.dispose(saved.optimizer.map((o) => o.tensor));
    throw new Error(
      `${saved.file}: resuming with different hyperparameters (${changed.join("; ")}); only the number of epochs may change`,
    );
  }
  const optimizer = tabNetOptimizer(trainConfig.learningRate);
  await optimizer.setWeights(saved.optimizer);
  restoreOptimizerExtraState(optimizer, saved.extra);
  return { model: saved.model, resumeFrom: { optimizer, epochs: saved.epoch, history: saved.history } };
}
