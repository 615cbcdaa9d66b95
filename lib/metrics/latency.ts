/**
 * Latency and throughput statistics. Percentiles use linear interpolation between closest
 * ranks (NumPy's default `percentile` method), so numbers match a NumPy analysis.
 */
import { mean, standardDeviation } from "simple-statistics";

/** Summary of a set of latencies in milliseconds. */
export interface LatencyStats {
  count: number;
  meanMs: number;
  stdMs: number;
  minMs: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** The q-th percentile (0..100) of sorted values, linear interpolation (NumPy default). */
export function percentileSorted(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return NaN;
  if (q < 0 || q > 100) throw new Error(`percentile must be in 0..100, got ${q}`);
  const pos = (q / 100) * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** The median (the mean of the two middle values for an even count); throws on no values. */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error("median of no values");
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Summarises latencies (ms). */
export function latencyStats(samplesMs: ArrayLike<number>): LatencyStats {
  const values = Float64Array.from(samplesMs).sort();
  if (values.length === 0) throw new Error("latencyStats needs at least one sample");
  const arr = Array.from(values);
  return {
    count: values.length,
    meanMs: mean(arr),
    stdMs: values.length > 1 ? standardDeviation(arr) : 0,
    minMs: values[0],
    p50Ms: percentileSorted(values, 50),
    p95Ms: percentileSorted(values, 95),
    p99Ms: percentileSorted(values, 99),
    maxMs: values[values.length - 1],
  };
}

/** Items per second for `items` processed in `seconds`. */
export function throughput(items: number, seconds: number): number {
  if (!(seconds > 0)) throw new Error(`throughput needs a positive duration, got ${seconds}`);
  return items / seconds;
}
