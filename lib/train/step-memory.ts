/**
 * How large a batch fits in memory. A training step's peak tensor memory is a line in the batch:
 * weights, gradients and optimizer state, plus activations and their gradients per sample. Two
 * measured steps give the line; a memory bound (the wasm heap's 4 GiB by default) gives the
 * largest batch. The measurement is tfjs' own count of tensor bytes (`tf.profile`'s peak), which
 * leaves out the allocator's overhead and the kernels' scratch: hence the headroom.
 */
import * as tf from "@tensorflow/tfjs-core";

/** The wasm backend's heap cannot grow past 4 GiB (32-bit addresses). */
export const wasmHeapLimitBytes = 4 * 2 ** 30;

/** Share of the bound a step may plan to use; the rest is the allocator's and the kernels'. */
export const defaultHeadroom = 0.9;

/** Tensor bytes at one point of a step as a line in the batch: `fixedBytes + perSampleBytes × batch`. */
export interface MemoryLine {
  fixedBytes: number;
  perSampleBytes: number;
}

/**
 * A training step's tensor memory. The step's peak does not move along one line: at small batches
 * it may sit where fixed-size tensors meet (a large classifier's gradients), at large batches where
 * activations do. Every kernel of the step leaves the live bytes at a line of its own, so the peak
 * at any batch is the highest of those lines; {@link lines} keeps the ones that can be highest.
 */
export interface StepMemory {
  lines: MemoryLine[];
  /** The two batches measured. */
  measuredAt: [number, number];
  /** Peak bytes measured at those batches. */
  peakBytes: [number, number];
}

/** The lines no other line lies above at every batch (higher or equal in both terms). */
function upperLines(lines: MemoryLine[]): MemoryLine[] {
  const sorted = [...lines].sort((p, q) => q.fixedBytes - p.fixedBytes || q.perSampleBytes - p.perSampleBytes);
  const kept: MemoryLine[] = [];
  let steepest = -Infinity;
  for (const line of sorted)
    if (line.perSampleBytes > steepest) {
      kept.push(line);
      steepest = line.perSampleBytes;
    }
  return kept;
}

/**
 * Measures `step(batch)` — one complete training step at that batch, its tensors disposed when it
 * returns — at two batches. The live tensor bytes after each kernel give one line per kernel
 * (the two runs execute the same kernels in the same order); when they do not, the two peaks give
 * a single line.
 */
export async function measureStepMemory(
  step: (batch: number) => void | Promise<void>,
  batches: [number, number] = [2, 4],
): Promise<StepMemory> {
  const [a, b] = batches;
  if (!(Number.isInteger(a) && Number.isInteger(b) && a >= 1 && b > a))
    throw new Error(`step memory: need two increasing positive batches, got ${a} and ${b}`);
  const runs: { peak: number; snapshots: number[] }[] = [];
  for (const batch of batches) {
    const info = await tf.profile(async () => {
      await step(batch);
    });
    runs.push({ peak: info.peakBytes, snapshots: info.kernels.map((k) => k.totalBytesSnapshot) });
  }
  const line = (atA: number, atB: number): MemoryLine => {
    const perSampleBytes = Math.max(0, (atB - atA) / (b - a));
    return { fixedBytes: Math.max(0, atA - perSampleBytes * a), perSampleBytes };
  };
  const [first, second] = runs;
  const aligned = first.snapshots.length > 0 && first.snapshots.length === second.snapshots.length;
  return {
    lines: aligned
      ? upperLines(first.snapshots.map((v, i) => line(v, second.snapshots[i])))
      : [line(first.peak, second.peak)],
    measuredAt: [a, b],
    peakBytes: [first.peak, second.peak],
  };
}

/** The line that sets the peak at `batch`. */
export function bindingLine(memory: StepMemory, batch: number): MemoryLine {
  const at = (l: MemoryLine): number => l.fixedBytes + l.perSampleBytes * batch;
  return memory.lines.reduce((best, l) => (at(l) > at(best) ? l : best));
}

/** Predicted peak tensor bytes of a step at `batch`. */
export function stepBytes(memory: StepMemory, batch: number): number {
  const l = bindingLine(memory, batch);
  return l.fixedBytes + l.perSampleBytes * batch;
}

/**
 * The largest batch whose predicted step fits in `headroom × limitBytes` (0 when not even one
 * sample does).
 */
export function largestBatch(memory: StepMemory, limitBytes = wasmHeapLimitBytes, headroom = defaultHeadroom): number {
  const room = headroom * limitBytes;
  let largest = Number.MAX_SAFE_INTEGER;
  for (const l of memory.lines) {
    if (l.fixedBytes + l.perSampleBytes > room) return 0;
    if (l.perSampleBytes > 0) largest = Math.min(largest, Math.floor((room - l.fixedBytes) / l.perSampleBytes));
  }
  return largest;
}
