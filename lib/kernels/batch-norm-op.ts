/**
 * `batchNormTraining`: a differentiable tfjs op for batch normalisation in training mode, backed by
 * two kernels (forward; backward) registered on the cpu and wasm backends, which run the
 * two-pass loops of ./batch-norm on the tensors' own memory — on wasm, oneDNN's multi-threaded
 * batch norm instead when it is installed (~10× the SIMD loops on MobileNetV2's largest layers).
 * Returns the normalised tensor and the batch statistics (for the running averages). With
 * `groups` > 1 it is ghost batch norm: each run of rows/groups consecutive rows normalised on its
 * own statistics (TabNet's virtual batches), still two kernels in all.
 */
import * as tf from "@tensorflow/tfjs-core";
import { batchNormBackward, batchNormForward, jsBatchNormLoops, type BatchNormLoops } from "./batch-norm";
import { batchNormSimdLoops } from "./batch-norm-simd";
import { oneDnn, type DnnlBatchNorm } from "../native/onednn";
import { cpuKernelMemory, type KernelMemory, wasmKernelMemory } from "./kernel-memory";
import { activeWasmHeap } from "./wasm-heap";

const FORWARD = "EdgelabBatchNormTrain";
const BACKWARD = "EdgelabBatchNormTrainGrad";

/** The backend's memory plus the row loops for a channel count (call after making outputs, before views). */
interface Memory extends KernelMemory {
  loops(channels: number): BatchNormLoops;
  /** oneDNN's batch norm for rows × channels, where this backend can hand it its memory. */
  native(rows: number, channels: number, epsilon: number): DnnlBatchNorm | null;
}

let simdLoops: BatchNormLoops | Error | undefined;

/**
 * SIMD loops on the wasm heap when they load and serve this channel count, else the JS loops.
 * Call after making outputs, before taking views (preparing may grow the heap).
 */
export function wasmLoops(channels: number): BatchNormLoops {
  const heap = activeWasmHeap();
  if (heap) simdLoops ??= batchNormSimdLoops(heap);
  return simdLoops && !(simdLoops instanceof Error) && simdLoops.prepare?.(channels) ? simdLoops : jsBatchNormLoops;
}

const wasmMemory = (backend: unknown): Memory => ({
  ...wasmKernelMemory(backend),
  loops: wasmLoops,
  native: (rows, channels, epsilon) => oneDnn()?.batchNorm(rows, channels, epsilon) ?? null,
});
const cpuMemory = (backend: unknown): Memory => ({
  ...cpuKernelMemory(backend),
  loops: () => jsBatchNormLoops,
  native: () => null,
});

/** 1 / √(variance + ε) per channel. */
function inverseStd(variance: Float32Array, epsilon: number, out: Float32Array): void {
  for (let c = 0; c < variance.length; c++) out[c] = 1 / Math.sqrt(variance[c] + epsilon);
}

function register(backendName: string, memory: (backend: unknown) => Memory): void {
  if (tf.getKernel(FORWARD, backendName)) return;
  tf.registerKernel({
    kernelName: FORWARD,
    backendName,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, gamma, beta } = inputs as unknown as Record<string, tf.TensorInfo>;
      const { epsilon, groups } = attrs as { epsilon: number; groups: number };
      const m = memory(backend);
      const C = gamma.shape[0];
      const stats = groups > 1 ? [groups, C] : [C];
      const outs = [m.output(x.shape), m.output(stats), m.output(stats), m.output(stats)];
      const native = m.native(rows(x.shape) / groups, C, epsilon);
      const loops = native ? jsBatchNormLoops : m.loops(C);
      const [y, mean, variance, invStd] = outs.map((t) => m.view(t));
      const [xs, g, b] = [m.view(x), m.view(gamma), m.view(beta)];
      for (const [[at, end], [from, to]] of groupViews(xs.length / groups, C, groups)) {
        const [mu, v, inv] = [mean, variance, invStd].map((a) => a.subarray(from, to));
        if (native) {
          native.forward(xs.subarray(at, end), g, b, y.subarray(at, end), mu, v);
          inverseStd(v, epsilon, inv);
        } else batchNormForward(xs.subarray(at, end), g, b, epsilon, y.subarray(at, end), mu, v, inv, loops);
      }
      return outs;
    },
  });
  tf.registerKernel({
    kernelName: BACKWARD,
    backendName,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { dy, x, gamma, mean, variance, invStd } = inputs as unknown as Record<string, tf.TensorInfo>;
      const { epsilon, groups } = attrs as { epsilon: number; groups: number };
      const m = memory(backend);
      const C = gamma.shape[0];
      const outs = [m.output(x.shape), m.output(gamma.shape), m.output(gamma.shape)];
      const native = m.native(rows(x.shape) / groups, C, epsilon);
      const loops = native ? jsBatchNormLoops : m.loops(C);
      const [dx, dGamma, dBeta] = outs.map((t) => m.view(t));
      const [dys, xs, g, mu, v, inv] = [dy, x, gamma, mean, variance, invStd].map((t) => m.view(t));
      // γ and β serve every group: their gradients are the groups' sums.
      const [partGamma, partBeta] = groups === 1 ? [dGamma, dBeta] : [new Float32Array(C), new Float32Array(C)];
      if (groups > 1) {
        dGamma.fill(0);
        dBeta.fill(0);
      }
      for (const [[at, end], [from, to]] of groupViews(xs.length / groups, C, groups)) {
        const [dyg, xg, dxg] = [dys, xs, dx].map((a) => a.subarray(at, end));
        if (native) native.backward(dyg, xg, g, mu.subarray(from, to), v.subarray(from, to), dxg, partGamma, partBeta);
        else
          batchNormBackward(dyg, xg, g, mu.subarray(from, to), inv.subarray(from, to), dxg, partGamma, partBeta, loops);
        if (groups > 1)
          for (let c = 0; c < C; c++) {
            dGamma[c] += partGamma[c];
            dBeta[c] += partBeta[c];
          }
      }
      return outs;
    },
  });
}

/** Per group: [start, end) of its values (`size` each) and of its statistics (C each). */
function groupViews(size: number, C: number, groups: number): [[number, number], [number, number]][] {
  return Array.from({ length: groups }, (_, k) => [
    [k * size, (k + 1) * size],
    [k * C, (k + 1) * C],
  ]);
}

/** The rows of a tensor normalised over its last axis. */
function rows(shape: number[]): number {
  return shape.slice(0, -1).reduce((a, b) => a * b, 1);
}

register("cpu", cpuMemory);
register("wasm", wasmMemory);

/** True when the active backend runs {@link batchNormTraining} with edgelab's kernels. */
export function hasBatchNormKernels(): boolean {
  return tf.getKernel(FORWARD, tf.getBackend()) !== undefined;
}

/**
 * Batch norm in training mode over the last axis: returns y and the batch mean and biased
 * variance. Differentiable with respect to x, gamma and beta. The statistics are kept (outside
 * any tidy): the caller disposes them. With `groups` > 1 (which must divide the rows), ghost batch
 * norm: each run of rows/groups consecutive rows on its own statistics, returned as [groups, C].
 */
export function batchNormTraining(
  x: tf.Tensor,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  epsilon: number,
  groups = 1,
): { y: tf.Tensor; mean: tf.Tensor; variance: tf.Tensor } {
  const n = rows(x.shape);
  if (!Number.isInteger(groups) || groups < 1 || n % groups !== 0)
    throw new Error(`batchNormTraining: ${groups} groups do not divide ${n} rows`);
  const attrs = { epsilon, groups } as unknown as tf.NamedAttrMap;
  let stats: tf.Tensor[] = [];
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xs, g, b] = args as tf.Tensor[];
    const save = args[3] as tf.GradSaveFunc;
    const [y, mean, variance, invStd] = tf
      .engine()
      .runKernel(FORWARD, { x: xs, gamma: g, beta: b }, attrs) as tf.Tensor[];
    stats = [tf.keep(mean), tf.keep(variance)]; // outlive the op's scope; the caller disposes them
    save([xs, g, mean, variance, invStd]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, sg, smean, svar, sinv] = saved;
        return tf
          .engine()
          .runKernel(
            BACKWARD,
            { dy, x: sx, gamma: sg, mean: smean, variance: svar, invStd: sinv },
            attrs,
          ) as tf.Tensor[];
      },
    };
  });
  const y = op(x, gamma, beta);
  return { y, mean: stats[0], variance: stats[1] };
}
