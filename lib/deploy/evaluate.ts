/**
 * Accuracy of a deployed (ONNX) classifier on labelled raw inputs: the model's own metadata
 * preprocessing is applied, exactly as at inference on the device.
 */
import { argmaxRows, classificationReport, type ClassificationReport } from "../metrics/classification";
import type { DeployedModel } from "./session";

/** Runs `features` (rows × per-row shape) through `model` in batches and scores the argmax. */
export async function evaluateDeployed(
  model: DeployedModel,
  features: Float32Array,
  rowShape: number[],
  labels: ArrayLike<number>,
  classNames: readonly string[],
  batch = 256,
): Promise<ClassificationReport> {
  const rows = labels.length;
  const out = await model.runBatched(features, [rows, ...rowShape], batch);
  return classificationReport(labels, argmaxRows(out.data, out.shape[1]), classNames);
}
