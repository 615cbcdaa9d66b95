/** Evaluation: mean loss and predictions over a dataset, in batches, without gradients. */
import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import { argmaxRows } from "../metrics/classification";
import { batchTensors, type ArrayData } from "./batches";

/**
 * Runs the model over `data`, or over the samples `indices` names (predictions then follow their
 * order): mean cross-entropy and predicted classes.
 */
export function evaluate(
  model: tfl.LayersModel,
  data: ArrayData,
  classes: number,
  batchSize = 256,
  indices?: Int32Array,
): { loss: number; predictions: Int32Array } {
  const n = indices ? indices.length : data.y.length;
  const predictions = new Int32Array(n);
  let lossSum = 0;
  for (let start = 0; start < n; start += batchSize) {
    const end = Math.min(n, start + batchSize);
    const idx = indices ? indices.subarray(start, end) : Int32Array.from({ length: end - start }, (_, k) => start + k);
    const { xs, ys } = batchTensors(data, idx);
    const out = model.predict(xs) as tf.Tensor;
    const lossTensor = tf.tidy(() =>
      tf.losses.softmaxCrossEntropy(tf.oneHot(ys, classes), out, undefined, 0, tf.Reduction.SUM),
    );
    predictions.set(argmaxRows(out.dataSync(), classes), start);
    lossSum += lossTensor.dataSync()[0];
    tf.dispose([xs, ys, out, lossTensor]);
  }
  return { loss: n > 0 ? lossSum / n : NaN, predictions };
}
