/**
 * Export parity: a tfjs model and its ONNX export, fed the same raw inputs (the deployed model's
 * metadata preprocessing applied to both), must agree — the bar is 1e-4 absolute.
 */
import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import { applyPreprocessing } from "./preprocess";
import type { DeployedModel } from "./session";

/** Max absolute difference between tfjs and onnxruntime outputs, and the rows compared. */
export interface ParityResult {
  rows: number;
  maxAbsDiff: number;
  ok: boolean;
}

/** Compares `model` (tfjs) with `deployed` (its ONNX export) on raw `inputs` of `shape`. */
export async function exportParity(
  model: tfl.LayersModel,
  deployed: DeployedModel,
  inputs: Float32Array,
  shape: number[],
  tolerance = 1e-4,
): Promise<ParityResult> {
  const onnxOut = (await deployed.run(inputs, shape)).data;
  const prepared = applyPreprocessing(deployed.preprocessing, inputs);
  const tfOut = tf.tidy(() => (model.predict(tf.tensor(prepared, shape)) as tf.Tensor).dataSync() as Float32Array);
  let maxAbsDiff = 0;
  for (let i = 0; i < tfOut.length; i++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs(tfOut[i] - onnxOut[i]));
  return { rows: shape[0], maxAbsDiff, ok: maxAbsDiff <= tolerance };
}
