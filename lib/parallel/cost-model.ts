/**
 * A cluster cost model for data-parallel training: compute time from a per-node throughput (measured
 * here, or given, e.g. the paper's Pi 4) plus an α–β network model (latency α per message,
 * bandwidth β) over the nodes; ranks on one node talk through shared memory, taken as free.
 *   allreduce (ring):   2(N−1)·α + 2(N−1)/N · S/β   per step
 *   epoch averaging:    gather (N−1)·(α + S/β) at the root + binomial bcast ⌈log2 N⌉·(α + S/β), per epoch
 * with N nodes and S the model size in bytes. Pure functions.
 */
import { synchronisation, type SyncStrategy } from "./strategies";

/** The machine and network. */
export interface ClusterModel {
  /** Training throughput of one node with all its ranks (samples/s). */
  nodeSamplesPerSec: number;
  ranksPerNode: number;
  /** Per-message latency (s); 1 GbE + MPI ≈ 50 µs. */
  alphaSeconds: number;
  /** Link bandwidth (bytes/s); 1 GbE = 125e6. */
  betaBytesPerSec: number;
}

/** 1 GbE defaults with the paper's Pi 4 throughput (19.92 img/s per node, Table 1, batch 24). */
export const gigabitPi4Cluster: Readonly<ClusterModel> = Object.freeze({
  nodeSamplesPerSec: 19.92,
  ranksPerNode: 2,
  alphaSeconds: 50e-6,
  betaBytesPerSec: 125e6,
});

/** The workload. */
export interface Workload {
  samples: number;
  epochs: number;
  /** Model size in bytes (parameters × 4 for float32). */
  modelBytes: number;
  batchPerRank: number;
  sync: SyncStrategy;
}

/** A projected configuration. */
export interface ProjectedRow {
  np: number;
  nodes: number;
  computeSeconds: number;
  communicationSeconds: number;
  totalSeconds: number;
  speedup: number;
  efficiency: number;
}

/** Seconds one ring allreduce of `bytes` takes over `nodes` nodes. */
export function ringAllreduceSeconds(bytes: number, nodes: number, m: ClusterModel): number {
  if (nodes <= 1) return 0;
  return 2 * (nodes - 1) * m.alphaSeconds + ((2 * (nodes - 1)) / nodes) * (bytes / m.betaBytesPerSec);
}

/** Seconds the paper's gather-to-root + broadcast of `bytes` takes over `nodes` nodes. */
export function gatherBcastSeconds(bytes: number, nodes: number, m: ClusterModel): number {
  if (nodes <= 1) return 0;
  const message = m.alphaSeconds + bytes / m.betaBytesPerSec;
  return (nodes - 1) * message + Math.ceil(Math.log2(nodes)) * message;
}

/**
 * Projects wall time, speedup and efficiency for each np (speedup against the first np given, and
 * efficiency relative to it, as the paper's np = 2 baseline).
 */
export function projectScaling(nps: readonly number[], w: Workload, m: ClusterModel): ProjectedRow[] {
  const rows = nps.map((np) => {
    const nodes = Math.ceil(np / m.ranksPerNode);
    const perRankRate = m.nodeSamplesPerSec / m.ranksPerNode;
    const computeSeconds = (w.epochs * (w.samples / np)) / perRankRate;
    const perEpoch = synchronisation(w.sync).communication(w.samples, w.batchPerRank, np);
    const communicationSeconds =
      w.epochs *
      (perEpoch.allreduces * ringAllreduceSeconds(w.modelBytes, nodes, m) +
        perEpoch.gatherBcasts * gatherBcastSeconds(w.modelBytes, nodes, m));
    return { np, nodes, computeSeconds, communicationSeconds, totalSeconds: computeSeconds + communicationSeconds };
  });
  const base = rows[0];
  return rows.map((r) => {
    const speedup = base.totalSeconds / r.totalSeconds;
    return { ...r, speedup, efficiency: speedup / (r.np / base.np) };
  });
}
