/**
 * What one federated client does with its own data, shared by the simulator and the network
 * client: load the global parameters into the model, train a few local epochs with edgelab's
 * engine (FedProx's proximal term added to the gradients when μ > 0), and evaluate.
 */
import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import { fuse, unfuse } from "../buffers/fuse";
import { selectSamples, type ArrayData } from "../train/batches";
import { train } from "../train/engine";
import { evaluate } from "../train/evaluate";

/** Local training settings (a server may override them per round through the fit config). */
export interface LocalTraining {
  epochs: number;
  batchSize: number;
  learningRate: number;
  optimizer: "sgd" | "adam";
  /** FedProx's μ; 0 trains plain. */
  proximalMu: number;
  seed: number;
}

/** The model's weights as one flat buffer, in `getWeights()` order. */
export function flatWeights(model: tfl.LayersModel): Float32Array {
  return fuse(model.getWeights().map((w) => w.dataSync() as Float32Array));
}

/** The shapes of the model's weights, in `getWeights()` order. */
export function weightShapes(model: tfl.LayersModel): number[][] {
  return model.getWeights().map((w) => [...w.shape]);
}

/** Loads a flat buffer (as {@link flatWeights} lays it out) into the model. */
export function setFlatWeights(model: tfl.LayersModel, flat: Float32Array): void {
  const shapes = weightShapes(model);
  const parts = unfuse(
    flat,
    shapes.map((s) => s.reduce((a, b) => a * b, 1)),
  );
  const tensors = parts.map((p, i) => tf.tensor(p, shapes[i]));
  model.setWeights(tensors);
  tensors.forEach((t) => t.dispose());
}

/** FedProx: adds μ·(w − w_global) to each trainable variable's gradient. */
function proximalHook(
  model: tfl.LayersModel,
  mu: number,
): { gradients(grads: tf.NamedTensorMap): tf.NamedTensorMap; dispose(): void } {
  const anchors = new Map<string, tf.Tensor>();
  const variables = new Map<string, tf.Variable>();
  for (const w of model.trainableWeights) {
    const v = w.read() as tf.Variable;
    variables.set(v.name, v);
    anchors.set(v.name, tf.keep(v.clone()));
  }
  return {
    gradients: (grads) =>
      tf.tidy(() => {
        const out: tf.NamedTensorMap = {};
        for (const [name, g] of Object.entries(grads)) {
          const v = variables.get(name);
          const a = anchors.get(name);
          out[name] = v && a ? tf.keep(g.add(v.sub(a).mul(mu))) : g;
        }
        return out;
      }),
    dispose: () => anchors.forEach((t) => t.dispose()),
  };
}

/** Trains `model` from `global` on `local` and returns its new flat parameters and final training loss. */
export async function localFit(
  model: tfl.LayersModel,
  global: Float32Array,
  local: ArrayData,
  classNames: string[],
  settings: LocalTraining,
): Promise<{ parameters: Float32Array; numExamples: number; loss: number }> {
  setFlatWeights(model, global);
  const hook = settings.proximalMu > 0 ? proximalHook(model, settings.proximalMu) : null;
  let loss = Number.NaN;
  try {
    const run = await train(
      model,
      { train: local, val: selectSamples(local, [0]), classNames },
      {
        epochs: settings.epochs,
        batchSize: settings.batchSize,
        optimizer: settings.optimizer,
        learningRate: settings.learningRate,
        seed: settings.seed,
        outDir: null,
        progress: "none",
        ...(hook ? { sync: { gradients: hook.gradients } } : {}),
      },
    );
    loss = run.history.at(-1)?.trainLoss ?? Number.NaN;
  } finally {
    hook?.dispose();
  }
  return { parameters: flatWeights(model), numExamples: local.y.length, loss };
}

/** Loss and accuracy of `parameters` on `set`. */
export function localEvaluate(
  model: tfl.LayersModel,
  parameters: Float32Array,
  set: ArrayData,
  classes: number,
): { loss: number; accuracy: number; numExamples: number } {
  setFlatWeights(model, parameters);
  const { loss, predictions } = evaluate(model, set, classes);
  let correct = 0;
  predictions.forEach((p, i) => (correct += p === set.y[i] ? 1 : 0));
  return { loss, accuracy: correct / Math.max(1, predictions.length), numExamples: predictions.length };
}
