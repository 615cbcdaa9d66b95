/**
 * Feature standardisation (z-scores) whose statistics travel with the model: fit on the training
 * rows only, save as JSON (or ONNX metadata), apply identically at inference.
 */

/** Per-feature mean and standard deviation. */
export interface Standardizer {
  featureNames: string[];
  mean: number[];
  /** Standard deviation; features with zero spread get 1 so they map to 0. */
  std: number[];
}

/**
 * Fits mean/std over a row-major float32 matrix (`rows` × `featureNames.length`), optionally
 * over a subset of row indices. Uses Welford's update in float64.
 */
export function fitStandardizer(features: Float32Array, featureNames: string[], rows?: ArrayLike<number>): Standardizer {
  const d = featureNames.length;
  const n = rows ? rows.length : features.length / d;
  if (n === 0) throw new Error("cannot fit a standardizer on zero rows");
  const mean = new Float64Array(d);
  const m2 = new Float64Array(d);
  for (let k = 0; k < n; k++) {
    const base = (rows ? rows[k] : k) * d;
    for (let j = 0; j < d; j++) {
      const x = features[base + j];
      const delta = x - mean[j];
      mean[j] += delta / (k + 1);
      m2[j] += delta * (x - mean[j]);
    }
  }
  const std = Array.from(m2, (v) => {
    const s = Math.sqrt(v / n);
    return s > 1e-12 && Number.isFinite(s) ? s : 1;
  });
  return { featureNames: [...featureNames], mean: Array.from(mean), std };
}

/** Applies a standardizer, returning a new matrix (or writing into `out`). */
export function applyStandardizer(s: Standardizer, features: Float32Array, out = new Float32Array(features.length)): Float32Array {
  const d = s.mean.length;
  if (features.length % d !== 0) throw new Error(`feature matrix length ${features.length} is not a multiple of ${d} features`);
  const inv = s.std.map((v) => 1 / v);
  for (let i = 0; i < features.length; i += d) {
    for (let j = 0; j < d; j++) out[i + j] = (features[i + j] - s.mean[j]) * inv[j];
  }
  return out;
}

/** Fits on `train` only and applies to both: the statistics never see the test rows. */
export function standardizeSplit<T extends { features: Float32Array; featureNames: string[] }>(train: T, test: T): { train: T; test: T; standardizer: Standardizer } {
  const standardizer = fitStandardizer(train.features, train.featureNames);
  return { train: { ...train, features: applyStandardizer(standardizer, train.features) }, test: { ...test, features: applyStandardizer(standardizer, test.features) }, standardizer };
}

/** Validates a parsed JSON object as a standardizer. */
export function parseStandardizer(value: unknown, source = "standardizer"): Standardizer {
  const v = value as Partial<Standardizer>;
  if (!v || !Array.isArray(v.mean) || !Array.isArray(v.std) || !Array.isArray(v.featureNames) || v.mean.length !== v.std.length || v.mean.length !== v.featureNames.length) {
    throw new Error(`${source}: not a standardizer (needs featureNames, mean and std arrays of equal length)`);
  }
  return { featureNames: v.featureNames.map(String), mean: v.mean.map(Number), std: v.std.map(Number) };
}
