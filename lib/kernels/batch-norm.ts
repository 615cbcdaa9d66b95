/**
 * Batch normalisation in training mode over NHWC data (channels last), forward and backward, in
 * two passes each. tfjs composes the same from about twenty element-wise and reduction kernels
 * (moments, a tile of the statistics, products and sums for each gradient); here each pass reads
 * the activations once. Sums accumulate in float64 per channel; the variance is the biased batch
 * variance (what normalises), computed from deviations about the mean. The passes over the rows
 * are a {@link BatchNormLoops} plug-in: these JS loops are the reference; `batch-norm-simd.ts`
 * runs the same arithmetic on the wasm heap.
 */

/** The passes over the rows ([rows, C] row-major); per-channel sums accumulate into float64 arrays. */
export interface BatchNormLoops {
  /** Called with the channel count before the caller takes its views; false = these loops cannot serve it. */
  prepare?(channels: number): boolean;
  /** acc[c] += Σ_r x[r, c]. */
  columnSums(x: Float32Array, acc: Float64Array): void;
  /** acc[c] += Σ_r (x[r, c] − mean[c])². */
  squaredDeviations(x: Float32Array, mean: Float32Array, acc: Float64Array): void;
  /** sumDy[c] += Σ_r dy; sumDyDev[c] += Σ_r dy · (x − mean[c]). */
  gradientSums(
    dy: Float32Array,
    x: Float32Array,
    mean: Float32Array,
    sumDy: Float64Array,
    sumDyDev: Float64Array,
  ): void;
  /** y = x · scale[c] + shift[c]. */
  affine(x: Float32Array, scale: Float32Array, shift: Float32Array, y: Float32Array): void;
  /** dx = a[c] · (dy − x · b[c] − k[c]). */
  gradientAffine(
    dy: Float32Array,
    x: Float32Array,
    a: Float32Array,
    b: Float32Array,
    k: Float32Array,
    dx: Float32Array,
  ): void;
}

/** The JS loops (float64 arithmetic, one rounding to float32 per output). */
export const jsBatchNormLoops: BatchNormLoops = {
  columnSums(x, acc) {
    const C = acc.length;
    for (let o = 0; o < x.length; o += C) for (let c = 0; c < C; c++) acc[c] += x[o + c];
  },
  squaredDeviations(x, mean, acc) {
    const C = acc.length;
    for (let o = 0; o < x.length; o += C)
      for (let c = 0; c < C; c++) {
        const d = x[o + c] - mean[c];
        acc[c] += d * d;
      }
  },
  gradientSums(dy, x, mean, sumDy, sumDyDev) {
    const C = mean.length;
    for (let o = 0; o < x.length; o += C)
      for (let c = 0; c < C; c++) {
        const g = dy[o + c];
        sumDy[c] += g;
        sumDyDev[c] += g * (x[o + c] - mean[c]);
      }
  },
  affine(x, scale, shift, y) {
    const C = scale.length;
    for (let o = 0; o < x.length; o += C) for (let c = 0; c < C; c++) y[o + c] = x[o + c] * scale[c] + shift[c];
  },
  gradientAffine(dy, x, a, b, k, dx) {
    const C = a.length;
    for (let o = 0; o < x.length; o += C)
      for (let c = 0; c < C; c++) dx[o + c] = a[c] * (dy[o + c] - x[o + c] * b[c] - k[c]);
  },
};

/** y = (x − mean) · invStd · gamma + beta per channel; writes the batch mean, biased variance and invStd. */
export function batchNormForward(
  x: Float32Array,
  gamma: Float32Array,
  beta: Float32Array,
  epsilon: number,
  y: Float32Array,
  mean: Float32Array,
  variance: Float32Array,
  invStd: Float32Array,
  loops: BatchNormLoops = jsBatchNormLoops,
): void {
  const C = gamma.length;
  const rows = x.length / C;
  const sum = new Float64Array(C);
  loops.columnSums(x, sum);
  for (let c = 0; c < C; c++) mean[c] = sum[c] / rows;
  sum.fill(0);
  loops.squaredDeviations(x, mean, sum);
  const scale = new Float32Array(C);
  const shift = new Float32Array(C);
  for (let c = 0; c < C; c++) {
    variance[c] = sum[c] / rows;
    invStd[c] = 1 / Math.sqrt(variance[c] + epsilon);
    scale[c] = invStd[c] * gamma[c];
    shift[c] = beta[c] - mean[c] * scale[c];
  }
  loops.affine(x, scale, shift, y);
}

/**
 * Gradients of {@link batchNormForward}: dβ = Σ dy, dγ = Σ dy · x̂ and
 * dx = γ · invStd · (dy − dβ / n − x̂ · dγ / n), with x̂ = (x − mean) · invStd.
 */
export function batchNormBackward(
  dy: Float32Array,
  x: Float32Array,
  gamma: Float32Array,
  mean: Float32Array,
  invStd: Float32Array,
  dx: Float32Array,
  dGamma: Float32Array,
  dBeta: Float32Array,
  loops: BatchNormLoops = jsBatchNormLoops,
): void {
  const C = gamma.length;
  const rows = x.length / C;
  const sumDy = new Float64Array(C);
  const sumDyXhat = new Float64Array(C);
  loops.gradientSums(dy, x, mean, sumDy, sumDyXhat);
  const a = new Float32Array(C); // γ · invStd
  const b = new Float32Array(C); // coefficient of x̂ · invStd … folded below
  const k = new Float32Array(C);
  for (let c = 0; c < C; c++) {
    dBeta[c] = sumDy[c];
    dGamma[c] = sumDyXhat[c] * invStd[c];
    a[c] = gamma[c] * invStd[c];
    // dx = a · (dy − dβ/n − (x − mean) · invStd² · Σdy(x − mean)/n)
    b[c] = (invStd[c] * invStd[c] * sumDyXhat[c]) / rows;
    k[c] = sumDy[c] / rows - mean[c] * b[c];
  }
  loops.gradientAffine(dy, x, a, b, k, dx);
}
