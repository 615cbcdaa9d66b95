/**
 * Cost models of measured epoch times, fitted by least squares, and judged by leave-one-out:
 * each configuration is predicted by the model fitted to all the others. Every model here is
 * linear in its parameters (a few named terms per epoch), so a fit is a small normal-equations
 * solve. The terms, per epoch, for np processes on `nodes` nodes:
 *   work        W / np        — the epoch's compute, divided over the ranks (W · samples / np when
 *                               runs say how many samples they trained on: W is then per sample)
 *   serial      E             — fixed per-epoch cost (root's evaluation, data loading from NFS)
 *   perRank     c · np        — cost that grows with the ranks (root gathering every model)
 *   perStep     c · steps     — per-step synchronisation when np > 1 (an allreduce every step)
 *   straggler   S / np from `slowFromNodes` nodes on, in place of W / np — the epoch waits for the
 *               slowest node; S / W is that node's slowdown
 * Pure functions.
 */

/** A measured configuration: processes, nodes, epochs and wall seconds. */
export interface TimedRun {
  np: number;
  nodes: number;
  epochs: number;
  seconds: number;
  /** Training samples per epoch, when runs differ in it (the paper's all train on CIFAR-10's 50,000). */
  samples?: number;
  /** Synchronised optimiser steps per epoch (for the per-step term). */
  steps?: number;
}

/** A cost model: named terms, each a function of the configuration (per epoch, before its coefficient). */
export interface CostModelSpec {
  name: string;
  terms: { name: string; feature: (run: TimedRun) => number }[];
}

/** The terms above. */
export const costTerms = {
  work: { name: "work W/np", feature: (r: TimedRun) => (r.samples ?? 1) / r.np },
  serial: { name: "serial E", feature: () => 1 },
  perRank: { name: "per rank c·np", feature: (r: TimedRun) => r.np },
  perStep: { name: "per-step sync c·steps (np > 1)", feature: (r: TimedRun) => (r.np > 1 ? (r.steps ?? 0) : 0) },
  /** W / np below `fromNodes` nodes, else 0 (pair with {@link costTerms.straggler}). */
  workBelow: (fromNodes: number) => ({
    name: `work W/np (< ${fromNodes} nodes)`,
    feature: (r: TimedRun) => (r.nodes < fromNodes ? 1 / r.np : 0),
  }),
  /** S / np from `fromNodes` nodes on: the slowest node's work. */
  straggler: (fromNodes: number) => ({
    name: `slowest node S/np (≥ ${fromNodes} nodes)`,
    feature: (r: TimedRun) => (r.nodes >= fromNodes ? 1 / r.np : 0),
  }),
};

/** A fitted model: coefficients by term, and its predictions. */
export interface FittedCostModel {
  name: string;
  coefficients: Record<string, number>;
  /** Seconds for a configuration. */
  predict(run: TimedRun): number;
  /** What each term contributes to a configuration (seconds). */
  contributions(run: TimedRun): Record<string, number>;
}

/** Least-squares fit of `spec` to `runs`' seconds. */
export function fitCostModel(spec: CostModelSpec, runs: readonly TimedRun[]): FittedCostModel {
  const k = spec.terms.length;
  if (runs.length < k) throw new Error(`${spec.name}: ${k} terms need at least ${k} runs, got ${runs.length}`);
  const ata = Array.from({ length: k }, () => new Float64Array(k));
  const atb = new Float64Array(k);
  for (const run of runs) {
    const row = spec.terms.map((t) => run.epochs * t.feature(run));
    for (let i = 0; i < k; i++) {
      atb[i] += row[i] * run.seconds;
      for (let j = 0; j < k; j++) ata[i][j] += row[i] * row[j];
    }
  }
  const beta = solve(ata, atb);
  const coefficients = Object.fromEntries(spec.terms.map((t, i) => [t.name, beta[i]]));
  const contributions = (run: TimedRun): Record<string, number> =>
    Object.fromEntries(spec.terms.map((t, i) => [t.name, run.epochs * beta[i] * t.feature(run)]));
  return {
    name: spec.name,
    coefficients,
    contributions,
    predict: (run) => Object.values(contributions(run)).reduce((a, b) => a + b, 0),
  };
}

/** Each run predicted by the model fitted to all the others: relative error (predicted / measured − 1). */
export function leaveOneOut(
  spec: CostModelSpec,
  runs: readonly TimedRun[],
): { run: TimedRun; predicted: number; error: number }[] {
  return runs.map((run, i) => {
    const model = fitCostModel(
      spec,
      runs.filter((_, j) => j !== i),
    );
    const predicted = model.predict(run);
    return { run, predicted, error: predicted / run.seconds - 1 };
  });
}

/** Solves the symmetric system A x = b by Gaussian elimination with partial pivoting. */
function solve(a: Float64Array[], b: Float64Array): number[] {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]]);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(m[r][col]) > Math.abs(m[pivot][col])) pivot = r;
    if (Math.abs(m[pivot][col]) < 1e-300) throw new Error("cost model: the terms are not independent on these runs");
    [m[col], m[pivot]] = [m[pivot], m[col]];
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const f = m[r][col] / m[col][col];
      for (let c = col; c <= n; c++) m[r][c] -= f * m[col][c];
    }
  }
  return m.map((row, i) => row[n] / row[i]);
}
