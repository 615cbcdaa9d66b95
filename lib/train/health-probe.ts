/**
 * Measures a classifier's health (see `metrics.classifierHealth`) on a dataset: runs the model
 * once per batch and reads both one inner layer's outputs and the logits, without gradients.
 * As a training callback it records the health after every epoch, and before the first.
 */
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { classifierHealth, type ClassifierHealth } from "../metrics/classifier-health";
import { batchTensors, type ArrayData } from "./batches";
import type { TrainingCallback } from "./config";

/** The health of `model` on `data`, probing the outputs of the layer named `layer` (e.g. SqueezeNet's `conv10`). */
export function probeClassifierHealth(
  model: tfl.LayersModel,
  layer: string,
  data: ArrayData,
  batchSize = 256,
): ClassifierHealth {
  const n = data.y.length;
  const probe = tfl.model({
    inputs: model.inputs,
    outputs: [model.getLayer(layer).output as tfl.SymbolicTensor, ...model.outputs],
  });
  const parts: { acts: Float32Array; logits: Float32Array }[] = [];
  for (let start = 0; start < n; start += batchSize) {
    const idx = Int32Array.from({ length: Math.min(batchSize, n - start) }, (_, k) => start + k);
    const { xs, ys } = batchTensors(data, idx);
    const [acts, logits] = probe.predict(xs) as tf.Tensor[];
    parts.push({ acts: acts.dataSync() as Float32Array, logits: logits.dataSync() as Float32Array });
    tf.dispose([xs, ys, acts, logits]);
  }
  const join = (key: "acts" | "logits"): Float32Array => {
    const out = new Float32Array(parts.reduce((s, p) => s + p[key].length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p[key], at);
      at += p[key].length;
    }
    return out;
  };
  return classifierHealth(join("acts"), join("logits"), n);
}

/** A callback that hands `record(epoch, health)` the model's health before training (epoch 0) and after every epoch. */
export function classifierHealthCallback(
  layer: string,
  data: ArrayData,
  record: (epoch: number, health: ClassifierHealth) => void,
): TrainingCallback {
  return {
    onTrainBegin: (state) => record(state.epoch, probeClassifierHealth(state.model, layer, data)),
    onEpochEnd: (log, state) => record(log.epoch, probeClassifierHealth(state.model, layer, data)),
  };
}
