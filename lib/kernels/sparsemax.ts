/**
 * Sparsemax over the rows of a row-major matrix, forward and backward, as plain loops: the maths
 * behind edgelab's `EdgelabSparsemax` kernels. tfjs composes sparsemax from a full sort (`TopK`),
 * a cumulative sum and a dozen element-wise kernels, and its gradient from six more; TabNet runs it
 * once per decision step. Here the threshold τ comes from Michelot's projection (1986): take
 * τ = (Σ_S z − 1)/|S| over the current set S, drop the values not above it, repeat until S stops
 * shrinking — the same τ as the sorted closed form, in a few linear passes, sums in float64. Pure.
 */

/** p = max(z − τ, 0) per row of `n` finite values, τ such that each row of p sums to 1. */
export function sparsemaxRows(z: Float32Array, n: number, p: Float32Array): void {
  const kept = new Float64Array(n); // the current set S, compacted to its front
  for (let o = 0; o < z.length; o += n) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += kept[i] = z[o + i];
    let count = n;
    let tau = (sum - 1) / count;
    for (;;) {
      let next = 0;
      sum = 0;
      // Branch-free: which values stay is data-dependent, and mispredicted branches took half the time.
      for (let i = 0; i < count; i++) {
        const v = kept[i];
        const stays = +(v > tau);
        kept[next] = v;
        next += stays;
        sum += v * stays;
      }
      if (next === count) break;
      count = next;
      tau = (sum - 1) / count;
    }
    for (let i = 0; i < n; i++) p[o + i] = Math.max(z[o + i] - tau, 0);
  }
}

/**
 * The gradient through sparsemax per row: dz = s ⊙ (dy − Σ_S dy / |S|), s the support (p > 0) —
 * its Jacobian on the support is I − 11ᵀ/|S|.
 */
export function sparsemaxGradRows(dy: Float32Array, p: Float32Array, n: number, dz: Float32Array): void {
  for (let o = 0; o < p.length; o += n) {
    let support = 0;
    let sum = 0;
    for (let i = 0; i < n; i++)
      if (p[o + i] > 0) {
        support++;
        sum += dy[o + i];
      }
    const mean = support > 0 ? sum / support : 0;
    for (let i = 0; i < n; i++) dz[o + i] = p[o + i] > 0 ? dy[o + i] - mean : 0;
  }
}
