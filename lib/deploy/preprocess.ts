/**
 * Preprocessing that travels inside an ONNX model's `metadata_props` (written by edgelab's
 * exporter and by colab/sentinelnet_colab.py): feature names, means and standard deviations for
 * z-scoring raw inputs, and the class names of the outputs. Pure.
 */
import { DataFormatError } from "../data/errors";

/** Metadata keys (all values are JSON except `edgelab.model`). */
export const metadataKeys = {
  model: "edgelab.model",
  config: "edgelab.config",
  featureNames: "edgelab.feature_names",
  featureMeans: "edgelab.feature_means",
  featureStds: "edgelab.feature_stds",
  labels: "edgelab.labels",
  synthetic: "edgelab.synthetic",
  producer: "edgelab.producer",
} as const;

/** What a model's metadata says about its inputs and outputs. */
export interface ModelPreprocessing {
  featureNames: string[] | null;
  /** z-score statistics; null when the model takes already-prepared input. */
  mean: Float32Array | null;
  std: Float32Array | null;
  labels: string[] | null;
}

function jsonArray(metadata: Record<string, string>, key: string, file: string): unknown[] | null {
  const text = metadata[key];
  if (text === undefined) return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new DataFormatError(file, `metadata ${key} is not valid JSON`);
  }
  if (!Array.isArray(value)) throw new DataFormatError(file, `metadata ${key} must be a JSON array`);
  return value;
}

/** Reads preprocessing from metadata; errors name `file`. */
export function preprocessingFromMetadata(metadata: Record<string, string>, file = "<model>"): ModelPreprocessing {
  const numbers = (key: string): Float32Array | null => {
    const a = jsonArray(metadata, key, file);
    if (a === null) return null;
    if (!a.every((v) => typeof v === "number" && Number.isFinite(v)))
      throw new DataFormatError(file, `metadata ${key} must hold finite numbers`);
    return Float32Array.from(a as number[]);
  };
  const strings = (key: string): string[] | null => {
    const a = jsonArray(metadata, key, file);
    if (a === null) return null;
    if (!a.every((v) => typeof v === "string")) throw new DataFormatError(file, `metadata ${key} must hold strings`);
    return a as string[];
  };
  const mean = numbers(metadataKeys.featureMeans);
  const std = numbers(metadataKeys.featureStds);
  if ((mean === null) !== (std === null))
    throw new DataFormatError(
      file,
      `metadata has only one of ${metadataKeys.featureMeans} and ${metadataKeys.featureStds}`,
    );
  if (mean && std && mean.length !== std.length)
    throw new DataFormatError(
      file,
      `metadata feature means (${mean.length}) and stds (${std.length}) differ in length`,
    );
  if (std?.some((s) => s <= 0))
    throw new DataFormatError(file, `metadata ${metadataKeys.featureStds} must be positive`);
  return { featureNames: strings(metadataKeys.featureNames), mean, std, labels: strings(metadataKeys.labels) };
}

/** z-scores rows of `features` (row-major, last dimension = features) into a new array. */
export function applyPreprocessing(p: ModelPreprocessing, features: Float32Array): Float32Array {
  if (!p.mean || !p.std) return features;
  const d = p.mean.length;
  if (features.length % d !== 0)
    throw new Error(`input of ${features.length} values is not a whole number of ${d}-feature rows`);
  const out = new Float32Array(features.length);
  for (let i = 0; i < features.length; i += d)
    for (let j = 0; j < d; j++) out[i + j] = (features[i + j] - p.mean[j]) / p.std[j];
  return out;
}

/** Metadata entries for a model with the given preprocessing (for exporters). */
export function preprocessingMetadata(p: {
  featureNames?: string[];
  mean?: ArrayLike<number>;
  std?: ArrayLike<number>;
  labels?: string[];
}): Record<string, string> {
  const out: Record<string, string> = {};
  if (p.featureNames) out[metadataKeys.featureNames] = JSON.stringify(p.featureNames);
  if (p.mean) out[metadataKeys.featureMeans] = JSON.stringify(Array.from(p.mean));
  if (p.std) out[metadataKeys.featureStds] = JSON.stringify(Array.from(p.std));
  if (p.labels) out[metadataKeys.labels] = JSON.stringify(p.labels);
  return out;
}
