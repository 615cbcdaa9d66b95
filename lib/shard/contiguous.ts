/** Contiguous and shuffled sharding: balanced blocks (sizes differ by at most one). */
import { permutation } from "../random/rng";
import { checkRank } from "./strided";

/** Rank `rank`'s contiguous block of `n` samples; the first `n mod world` ranks get one extra. */
export function contiguousShard(n: number, world: number, rank: number): Int32Array {
  checkRank(world, rank);
  const base = Math.floor(n / world);
  const extra = n % world;
  const start = rank * base + Math.min(rank, extra);
  const size = base + (rank < extra ? 1 : 0);
  return Int32Array.from({ length: size }, (_, k) => start + k);
}

/** A seeded permutation cut into balanced blocks: every rank must use the same seed. */
export function shuffledShard(n: number, world: number, rank: number, seed: number): Int32Array {
  const perm = permutation(n, seed);
  const block = contiguousShard(n, world, rank);
  return block.length === 0 ? block : perm.slice(block[0], block[0] + block.length);
}
