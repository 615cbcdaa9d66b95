/**
 * Strong-scaling metrics: speedup and parallel efficiency against a chosen baseline (the paper
 * uses np = 2: E(np) = S(np) / (np / 2)), and the Karp–Flatt experimentally determined serial
 * fraction e = (1/S − 1/p) / (1 − 1/p), with p the process count relative to the baseline.
 */

/** One measured run: process count and wall time. */
export interface ScalingPoint {
  np: number;
  seconds: number;
}

/** A scaling row with the derived metrics. */
export interface ScalingRow extends ScalingPoint {
  speedup: number;
  /** Fraction (1 = 100 %). */
  efficiency: number;
  /** Karp–Flatt serial fraction; null at the baseline (p = 1). */
  karpFlatt: number | null;
}

/** Speedup T_base / T. */
export function speedup(baseSeconds: number, seconds: number): number {
  return baseSeconds / seconds;
}

/** Efficiency S / (np / npBase). */
export function efficiency(s: number, np: number, npBase: number): number {
  return s / (np / npBase);
}

/** Karp–Flatt serial fraction for speedup `s` on `p` (relative) processors; null when p ≤ 1. */
export function karpFlatt(s: number, p: number): number | null {
  if (p <= 1) return null;
  return (1 / s - 1 / p) / (1 - 1 / p);
}

/**
 * Derives speedup, efficiency and Karp–Flatt for each point against the baseline `npBase`
 * (default: the smallest np measured).
 * @example scalingTable([{np: 2, seconds: 5003}, {np: 4, seconds: 2535.56}]) // S4 ≈ 1.973, E4 ≈ 0.987
 */
export function scalingTable(points: readonly ScalingPoint[], npBase?: number): ScalingRow[] {
  if (points.length === 0) return [];
  const baseNp = npBase ?? Math.min(...points.map((p) => p.np));
  const base = points.find((p) => p.np === baseNp);
  if (!base) throw new Error(`no measurement at the baseline np = ${baseNp}`);
  return [...points]
    .sort((a, b) => a.np - b.np)
    .map((p) => {
      const s = speedup(base.seconds, p.seconds);
      return { ...p, speedup: s, efficiency: efficiency(s, p.np, baseNp), karpFlatt: karpFlatt(s, p.np / baseNp) };
    });
}
