/**
 * How far apart several copies of one model are in weight space: the spread that epoch averaging
 * throws away when it replaces np independently trained models by their mean. Pure, float64.
 */

/** Spread of `buffers` (one flat parameter buffer per rank) around their element-wise mean. */
export interface WeightDivergence {
  /** Root mean square over ranks of ‖wᵣ − w̄‖₂. */
  rmsDistance: number;
  /** rmsDistance ÷ ‖w̄‖₂: 0 when the ranks agree; near 1 when the mean is as small as the disagreement. */
  relative: number;
  /** ‖w̄‖₂ ÷ the mean of ‖wᵣ‖₂: how much of the weights' length survives averaging (1 = all). */
  normKept: number;
}

/** The divergence of the ranks' models `buffers` (all the same length). */
export function weightDivergence(buffers: readonly Float32Array[]): WeightDivergence {
  const count = buffers.length;
  if (count === 0) throw new Error("weightDivergence needs at least one buffer");
  const n = buffers[0].length;
  for (const b of buffers)
    if (b.length !== n) throw new Error(`parameter buffers differ in length (${b.length} vs ${n})`);
  let meanSq = 0;
  let sqDist = 0;
  const norms = new Float64Array(count);
  for (let i = 0; i < n; i++) {
    let m = 0;
    for (let r = 0; r < count; r++) m += buffers[r][i];
    m /= count;
    meanSq += m * m;
    for (let r = 0; r < count; r++) {
      const v = buffers[r][i];
      sqDist += (v - m) ** 2;
      norms[r] += v * v;
    }
  }
  const rmsDistance = Math.sqrt(sqDist / count);
  const meanNorm = Math.sqrt(meanSq);
  const rankNorm = norms.reduce((a, b) => a + Math.sqrt(b), 0) / count;
  return {
    rmsDistance,
    relative: meanNorm > 0 ? rmsDistance / meanNorm : 0,
    normKept: rankNorm > 0 ? meanNorm / rankNorm : 1,
  };
}
