/**
 * Label-aware sharding: stratified (each rank gets every class in proportion) and Dirichlet(α)
 * non-IID (each class split across ranks by proportions drawn from Dir(α): small α → each rank
 * sees few classes, as in federated learning across devices).
 */
import { Rng } from "../random/rng";
import { indicesByClass } from "../data/split";
import { checkRank } from "./strided";

/** All ranks' stratified shards: class by class, samples dealt round-robin after a seeded shuffle. */
export function stratifiedShards(labels: ArrayLike<number>, world: number, seed = 0): Int32Array[] {
  checkRank(world, 0);
  const rng = new Rng(seed);
  const shards: number[][] = Array.from({ length: world }, () => []);
  let next = 0; // continue dealing where the last class stopped, so sizes stay balanced
  for (const [, idx] of [...indicesByClass(labels).entries()].sort((a, b) => a[0] - b[0])) {
    rng.shuffle(idx);
    for (const i of idx) {
      shards[next].push(i);
      next = (next + 1) % world;
    }
  }
  return shards.map((s) => Int32Array.from(s).sort());
}

/**
 * All ranks' Dirichlet(α) non-IID shards. Every sample goes to exactly one rank.
 * @param alpha concentration; 0.1 is highly skewed, 100 is near-IID.
 */
export function dirichletShards(labels: ArrayLike<number>, world: number, alpha: number, seed = 0): Int32Array[] {
  checkRank(world, 0);
  if (!(alpha > 0)) throw new Error(`Dirichlet alpha must be > 0, got ${alpha}`);
  const rng = new Rng(seed);
  const shards: number[][] = Array.from({ length: world }, () => []);
  for (const [, idx] of [...indicesByClass(labels).entries()].sort((a, b) => a[0] - b[0])) {
    rng.shuffle(idx);
    const draws = Array.from({ length: world }, () => rng.gamma(alpha));
    const total = draws.reduce((a, b) => a + b, 0) || 1;
    let start = 0;
    let cumulative = 0;
    for (let r = 0; r < world; r++) {
      cumulative += draws[r] / total;
      const end = r === world - 1 ? idx.length : Math.round(cumulative * idx.length);
      for (let k = start; k < end; k++) shards[r].push(idx[k]);
      start = Math.max(start, end);
    }
  }
  return shards.map((s) => Int32Array.from(s).sort());
}
