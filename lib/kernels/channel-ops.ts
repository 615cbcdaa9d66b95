/**
 * Squeeze-and-excitation's two tensor ops as single differentiable ops on NHWC tensors, backed by
 * kernels on the cpu and wasm backends that run the per-channel row loops of `batch-norm.ts` (SIMD
 * on the wasm heap):
 * - `spatialMean(x)`: the mean over height and width, [N, H, W, C] → [N, 1, 1, C] (global average
 *   pooling); its gradient writes dy / (H·W) to every position of one row and copies that row.
 * - `channelScale(x, s)`: x · s for s [N, 1, 1, C]; gradients dx = dy · s and ds = Σ over H, W of dy · x.
 * tfjs composes these from a transposing `Mean`, a broadcast `Multiply`, and, for the gradients, a
 * ones tensor the size of x, a broadcast `Multiply`, a `RealDiv` and a transposing `Sum`: about a
 * fifth of an EfficientNet-B0 training step at 224².
 */
import * as tf from "@tensorflow/tfjs-core";
import { jsBatchNormLoops, type BatchNormLoops } from "./batch-norm";
import { wasmLoops } from "./batch-norm-op";
import { cpuKernelMemory, type KernelMemory, wasmKernelMemory } from "./kernel-memory";

const MEAN = "EdgelabSpatialMean";
const MEAN_GRAD = "EdgelabSpatialMeanGrad";
const SCALE = "EdgelabChannelScale";
const SCALE_GRAD = "EdgelabChannelScaleGrad";

interface Memory extends KernelMemory {
  /** Row loops for a channel count (call after making outputs, before views). */
  loops(channels: number): BatchNormLoops;
}

/** [N, H, W, C] as images, positions per image and channels. */
function dims(shape: number[]): [number, number, number] {
  if (shape.length !== 4) throw new Error(`expected an NHWC tensor, got shape [${shape.join(", ")}]`);
  return [shape[0], shape[1] * shape[2], shape[3]];
}

function register(backendName: string, memory: (backend: unknown) => Memory): void {
  if (tf.getKernel(MEAN, backendName)) return;
  const kernel = (kernelName: string, kernelFunc: tf.KernelFunc): void =>
    void tf.registerKernel({ kernelName, backendName, kernelFunc });

  kernel(MEAN, ({ inputs, backend }) => {
    const { x } = inputs as unknown as Record<string, tf.TensorInfo>;
    const [n, positions, c] = dims(x.shape);
    const m = memory(backend);
    const out = m.output([n, 1, 1, c]);
    const loops = m.loops(c);
    const [xs, ys] = [m.view(x), m.view(out)];
    const acc = new Float64Array(c);
    for (let b = 0; b < n; b++) {
      acc.fill(0);
      loops.columnSums(xs.subarray(b * positions * c, (b + 1) * positions * c), acc);
      for (let k = 0; k < c; k++) ys[b * c + k] = acc[k] / positions;
    }
    return out;
  });

  kernel(MEAN_GRAD, ({ inputs, backend, attrs }) => {
    const { dy } = inputs as unknown as Record<string, tf.TensorInfo>;
    const shape = (attrs as unknown as { shape: number[] }).shape;
    const [n, positions, c] = dims(shape);
    const m = memory(backend);
    const out = m.output(shape);
    const [dys, dx] = [m.view(dy), m.view(out)];
    for (let b = 0; b < n; b++) {
      const image = dx.subarray(b * positions * c, (b + 1) * positions * c);
      for (let k = 0; k < c; k++) image[k] = dys[b * c + k] / positions;
      // one row, then doubling copies of what is written
      for (let filled = c; filled < image.length; filled *= 2)
        image.copyWithin(filled, 0, Math.min(filled, image.length - filled));
    }
    return out;
  });

  kernel(SCALE, ({ inputs, backend }) => {
    const { x, s } = inputs as unknown as Record<string, tf.TensorInfo>;
    const [n, positions, c] = dims(x.shape);
    const m = memory(backend);
    const out = m.output(x.shape);
    const loops = m.loops(c);
    const [xs, ss, ys] = [m.view(x), m.view(s), m.view(out)];
    const zeros = new Float32Array(c);
    for (let b = 0; b < n; b++) {
      const rows = [b * positions * c, (b + 1) * positions * c] as const;
      loops.affine(xs.subarray(...rows), ss.subarray(b * c, (b + 1) * c), zeros, ys.subarray(...rows));
    }
    return out;
  });

  kernel(SCALE_GRAD, ({ inputs, backend }) => {
    const { dy, x, s } = inputs as unknown as Record<string, tf.TensorInfo>;
    const [n, positions, c] = dims(x.shape);
    const m = memory(backend);
    const outs = [m.output(x.shape), m.output(s.shape)];
    const loops = m.loops(c);
    const [dys, xs, ss, dx, ds] = [m.view(dy), m.view(x), m.view(s), m.view(outs[0]), m.view(outs[1])];
    const zeros = new Float32Array(c);
    const [unused, acc] = [new Float64Array(c), new Float64Array(c)];
    for (let b = 0; b < n; b++) {
      const rows = [b * positions * c, (b + 1) * positions * c] as const;
      const [dyRows, xRows] = [dys.subarray(...rows), xs.subarray(...rows)];
      loops.affine(dyRows, ss.subarray(b * c, (b + 1) * c), zeros, dx.subarray(...rows));
      acc.fill(0);
      loops.gradientSums(dyRows, xRows, zeros, unused, acc);
      for (let k = 0; k < c; k++) ds[b * c + k] = acc[k];
    }
    return outs;
  });
}

register("cpu", (backend) => ({ ...cpuKernelMemory(backend), loops: () => jsBatchNormLoops }));
register("wasm", (backend) => ({ ...wasmKernelMemory(backend), loops: wasmLoops }));

/** True when the active backend runs these ops with edgelab's kernels. */
export function hasChannelKernels(): boolean {
  return tf.getKernel(MEAN, tf.getBackend()) !== undefined;
}

/** Mean over height and width of an NHWC float32 tensor, keeping them as 1 × 1; differentiable. */
export function spatialMean(x: tf.Tensor4D): tf.Tensor4D {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const input = args[0] as tf.Tensor4D;
    return {
      value: tf.engine().runKernel(MEAN, { x: input }) as tf.Tensor4D,
      gradFunc: (dy: tf.Tensor) =>
        tf.engine().runKernel(MEAN_GRAD, { dy }, { shape: input.shape } as unknown as tf.NamedAttrMap) as tf.Tensor,
    };
  });
  return op(x) as tf.Tensor4D;
}

/** x · s for x [N, H, W, C] and s [N, 1, 1, C], float32; differentiable in both. */
export function channelScale(x: tf.Tensor4D, s: tf.Tensor4D): tf.Tensor4D {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [input, scale] = args as tf.Tensor[];
    (args[2] as tf.GradSaveFunc)([input, scale]);
    return {
      value: tf.engine().runKernel(SCALE, { x: input, s: scale }) as tf.Tensor4D,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.engine().runKernel(SCALE_GRAD, { dy, x: saved[0], s: saved[1] }) as tf.Tensor[],
    };
  });
  return op(x, s) as tf.Tensor4D;
}
