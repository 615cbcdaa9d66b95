/**
 * `batchNormTraining`: a differentiable tfjs op for batch normalisation in training mode, backed by
 * two kernels (forward; backward) registered on the cpu and wasm backends, which run the
 * two-pass loops of ./batch-norm on the tensors' own memory — on wasm, oneDNN's multi-threaded
 * batch norm instead when it is installed (~10× the SIMD loops on MobileNetV2's largest layers). Returns the normalised tensor and the
 * batch statistics (for the running averages).
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
      const { epsilon } = attrs as { epsilon: number };
      const m = memory(backend);
      const channels = [gamma.shape[0]];
      const outs = [m.output(x.shape), m.output(channels), m.output(channels), m.output(channels)];
      const native = m.native(rows(x.shape), channels[0], epsilon);
      const loops = native ? jsBatchNormLoops : m.loops(channels[0]);
      const [y, mean, variance, invStd] = outs.map((t) => m.view(t));
      if (native) {
        native.forward(m.view(x), m.view(gamma), m.view(beta), y, mean, variance);
        inverseStd(variance, epsilon, invStd);
      } else batchNormForward(m.view(x), m.view(gamma), m.view(beta), epsilon, y, mean, variance, invStd, loops);
      return outs;
    },
  });
  tf.registerKernel({
    kernelName: BACKWARD,
    backendName,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { dy, x, gamma, mean, variance, invStd } = inputs as unknown as Record<string, tf.TensorInfo>;
      const m = memory(backend);
      const outs = [m.output(x.shape), m.output(gamma.shape), m.output(gamma.shape)];
      const native = m.native(rows(x.shape), gamma.shape[0], (attrs as { epsilon: number }).epsilon);
      const loops = native ? jsBatchNormLoops : m.loops(gamma.shape[0]);
      const [dx, dGamma, dBeta] = outs.map((t) => m.view(t));
      if (native)
        native.backward(m.view(dy), m.view(x), m.view(gamma), m.view(mean), m.view(variance), dx, dGamma, dBeta);
      else
        batchNormBackward(m.view(dy), m.view(x), m.view(gamma), m.view(mean), m.view(invStd), dx, dGamma, dBeta, loops);
      return outs;
    },
  });
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
 * any tidy): the caller disposes them.
 */
export function batchNormTraining(
  x: tf.Tensor,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  epsilon: number,
): { y: tf.Tensor; mean: tf.Tensor1D; variance: tf.Tensor1D } {
  let stats: tf.Tensor[] = [];
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xs, g, b] = args as tf.Tensor[];
    const save = args[3] as tf.GradSaveFunc;
    const [y, mean, variance, invStd] = tf.engine().runKernel(FORWARD, { x: xs, gamma: g, beta: b }, {
      epsilon,
    } as unknown as tf.NamedAttrMap) as tf.Tensor[];
    stats = [tf.keep(mean), tf.keep(variance)]; // outlive the op's scope; the caller disposes them
    save([xs, g, mean, variance, invStd]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, sg, smean, svar, sinv] = saved;
        return tf.engine().runKernel(BACKWARD, { dy, x: sx, gamma: sg, mean: smean, variance: svar, invStd: sinv }, {
          epsilon,
        } as unknown as tf.NamedAttrMap) as tf.Tensor[];
      },
    };
  });
  const y = op(x, gamma, beta);
  return { y, mean: stats[0] as tf.Tensor1D, variance: stats[1] as tf.Tensor1D };
}
