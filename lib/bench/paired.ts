/**
 * Paired comparison of alternating measurements: edgelab and a peer take turns, round after round,
 * so that the machine's drift and noise bursts hit both sides. The ratio is the median of the
 * per-round ratios; each side's speed is the median of its rounds.
 */
import { median } from "../metrics/latency";

export { median };

/** One round: each side's throughput (higher is better). */
export interface PairedRound {
  ours: number;
  peer: number;
}

/** The summary of alternating rounds. */
export interface PairedSummary {
  /** Median of our rounds. */
  ours: number;
  /** Median of the peer's rounds. */
  peer: number;
  /** Median of the per-round ratios ours ÷ peer. */
  ratio: number;
  /** Lowest and highest per-round ratio: how much noise the rounds saw. */
  ratioRange: [number, number];
  rounds: number;
}

/** Summarises alternating rounds; throws on none, or on a non-positive or non-finite value. */
export function summarizePaired(rounds: readonly PairedRound[]): PairedSummary {
  if (rounds.length === 0) throw new Error("no rounds to summarise");
  for (const r of rounds) {
    if (!(r.ours > 0 && r.peer > 0 && Number.isFinite(r.ours) && Number.isFinite(r.peer)))
      throw new Error(`round throughputs must be positive and finite, got ${r.ours} and ${r.peer}`);
  }
  const ratios = rounds.map((r) => r.ours / r.peer);
  return {
    ours: median(rounds.map((r) => r.ours)),
    peer: median(rounds.map((r) => r.peer)),
    ratio: median(ratios),
    ratioRange: [Math.min(...ratios), Math.max(...ratios)],
    rounds: rounds.length,
  };
}
