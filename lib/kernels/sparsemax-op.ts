/**
 * `sparsemaxOp`: sparsemax over the last axis as a differentiable tfjs op of two kernels (forward;
 * backward) registered on the cpu and wasm backends, running ./sparsemax's loops on the tensors'
 * own memory — one kernel each way instead of tfjs' ~14 forward and ~6 backward.
 */
import * as tf from "@tensorflow/tfjs-core";
import { cpuKernelMemory, type KernelMemory, wasmKernelMemory } from "./kernel-memory";
import { sparsemaxGradRows, sparsemaxRows } from "./sparsemax";

const FORWARD = "EdgelabSparsemax";
const BACKWARD = "EdgelabSparsemaxGrad";

function register(backendName: string, memory: (backend: unknown) => KernelMemory): void {
  if (tf.getKernel(FORWARD, backendName)) return;
  tf.registerKernel({
    kernelName: FORWARD,
    backendName,
    kernelFunc: ({ inputs, backend }) => {
      const { z } = inputs as unknown as Record<string, tf.TensorInfo>;
      const m = memory(backend);
      const out = m.output(z.shape);
      sparsemaxRows(m.view(z), z.shape[z.shape.length - 1], m.view(out));
      return out;
    },
  });
  tf.registerKernel({
    kernelName: BACKWARD,
    backendName,
    kernelFunc: ({ inputs, backend }) => {
      const { dy, p } = inputs as unknown as Record<string, tf.TensorInfo>;
      const m = memory(backend);
      const out = m.output(p.shape);
      sparsemaxGradRows(m.view(dy), m.view(p), p.shape[p.shape.length - 1], m.view(out));
      return out;
    },
  });
}

register("cpu", cpuKernelMemory);
register("wasm", wasmKernelMemory);

/** True when the active backend runs {@link sparsemaxOp} with edgelab's kernels. */
export function hasSparsemaxKernels(): boolean {
  return tf.getKernel(FORWARD, tf.getBackend()) !== undefined;
}

/** Sparsemax over the last axis of a float32 tensor, differentiable. */
export const sparsemaxOp: (z: tf.Tensor) => tf.Tensor = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const z = args[0] as tf.Tensor;
  const save = args[1] as tf.GradSaveFunc;
  const p = tf.engine().runKernel(FORWARD, { z }) as tf.Tensor;
  save([p]);
  return {
    value: p,
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.engine().runKernel(BACKWARD, { dy, p: saved[0] }) as tf.Tensor,
  };
}) as (z: tf.Tensor) => tf.Tensor;
