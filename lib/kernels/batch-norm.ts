/**
 * Batch normalisation in training mode over NHWC data (channels last), forward and backward, in
 * two passes each. tfjs composes the same from about twenty element-wise and reduction kernels
 * (moments, a tile of the statistics, products and sums for each gradient); here each pass reads
 * the activations once. Sums accumulate in float64 per channel; the variance is the biased batch
 * variance (what normalises), computed from deviations about the mean.
 */

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
): void {
  const C = gamma.length;
  const rows = x.length / C;
  const sum = new Float64Array(C);
  for (let o = 0; o < x.length; o += C) for (let c = 0; c < C; c++) sum[c] += x[o + c];
  for (let c = 0; c < C; c++) mean[c] = sum[c] / rows;
  sum.fill(0);
  for (let o = 0; o < x.length; o += C)
    for (let c = 0; c < C; c++) {
      const d = x[o + c] - mean[c];
      sum[c] += d * d;
    }
  const scale = new Float32Array(C);
  const shift = new Float32Array(C);
  for (let c = 0; c < C; c++) {
    variance[c] = sum[c] / rows;
    invStd[c] = 1 / Math.sqrt(variance[c] + epsilon);
    scale[c] = invStd[c] * gamma[c];
    shift[c] = beta[c] - mean[c] * scale[c];
  }
  for (let o = 0; o < x.length; o += C) for (let c = 0; c < C; c++) y[o + c] = x[o + c] * scale[c] + shift[c];
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
): void {
  const C = gamma.length;
  const rows = x.length / C;
  const sumDy = new Float64Array(C);
  const sumDyXhat = new Float64Array(C);
  for (let o = 0; o < x.length; o += C)
    for (let c = 0; c < C; c++) {
      const g = dy[o + c];
      sumDy[c] += g;
      sumDyXhat[c] += g * (x[o + c] - mean[c]);
    }
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
  for (let o = 0; o < x.length; o += C)
    for (let c = 0; c < C; c++) dx[o + c] = a[c] * (dy[o + c] - x[o + c] * b[c] - k[c]);
}
