/**
 * Epoch-time projection: from steps measured on a subset, how long an epoch over a full dataset
 * takes, as a range (10th–90th percentile of the measured step times) rather than one number.
 */
import { percentileSorted } from "../metrics/latency";

/** A projected epoch. */
export interface EpochProjection {
  targetSamples: number;
  batchSize: number;
  steps: number;
  /** Seconds per epoch: optimistic (p10 step), typical (median), pessimistic (p90). */
  seconds: { low: number; mid: number; high: number };
  samplesPerSec: number;
  /** Steps the projection is based on. */
  measuredSteps: number;
}

/**
 * Projects seconds per epoch at `targetSamples` from measured step times (seconds) at `batchSize`.
 * The first `warmupSteps` measurements (JIT, allocation) are discarded when enough remain.
 * @example projectEpoch(stepSeconds, 32, 2_830_743) // the seed's full CICIDS2017 epoch
 */
export function projectEpoch(
  stepSeconds: readonly number[],
  batchSize: number,
  targetSamples: number,
  warmupSteps = 2,
): EpochProjection {
  const usable = stepSeconds.length > warmupSteps + 3 ? stepSeconds.slice(warmupSteps) : [...stepSeconds];
  if (usable.length === 0) throw new Error("projectEpoch needs at least one measured step");
  const sorted = Float64Array.from(usable).sort();
  const steps = Math.ceil(targetSamples / batchSize);
  const mid = percentileSorted(sorted, 50);
  return {
    targetSamples,
    batchSize,
    steps,
    seconds: {
      low: steps * percentileSorted(sorted, 10),
      mid: steps * mid,
      high: steps * percentileSorted(sorted, 90),
    },
    samplesPerSec: batchSize / mid,
    measuredSteps: usable.length,
  };
}

/** Seconds as "2 h 05 min", "4.2 min" or "38 s". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return String(seconds);
  if (seconds >= 3600)
    return `${Math.floor(seconds / 3600)} h ${String(Math.round((seconds % 3600) / 60)).padStart(2, "0")} min`;
  if (seconds >= 120) return `${(seconds / 60).toFixed(1)} min`;
  return `${seconds.toFixed(seconds < 10 ? 2 : 0)} s`;
}
