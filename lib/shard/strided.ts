/** The paper's deterministic strided sharding: rank r of N gets { i | i mod N = r }. */

/** Indices of rank `rank` among `world` ranks over `n` samples. */
export function stridedShard(n: number, world: number, rank: number): Int32Array {
  checkRank(world, rank);
  const out = new Int32Array(Math.max(0, Math.ceil((n - rank) / world)));
  for (let k = 0, i = rank; i < n; i += world, k++) out[k] = i;
  return out;
}

/** Throws unless 0 ≤ rank < world and world ≥ 1 are integers. */
export function checkRank(world: number, rank: number): void {
  if (!Number.isInteger(world) || world < 1) throw new Error(`world size must be a positive integer, got ${world}`);
  if (!Number.isInteger(rank) || rank < 0 || rank >= world)
    throw new Error(`rank must be in 0..${world - 1}, got ${rank}`);
}
