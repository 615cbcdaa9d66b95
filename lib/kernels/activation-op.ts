/**
 * `torchActivationOp`: PyTorch's hard-swish, hard-sigmoid and SiLU as one differentiable tfjs op
 * backed by two kernels (forward; backward) on the cpu and wasm backends, which keep only the input
 * for the backward pass and run one loop per direction (SIMD on the wasm heap for the hard ones).
 */
import * as tf from "@tensorflow/tfjs-core";
import { activationBackward, activationForward, type TorchActivationKind } from "./activation";
import { activationKernels, type ActivationKernels } from "./activation-simd";
import { cpuKernelMemory, type KernelMemory, wasmKernelMemory } from "./kernel-memory";
import { activeWasmHeap } from "./wasm-heap";
import { oneDnn } from "../native/onednn";

const FORWARD = "EdgelabTorchActivation";
const BACKWARD = "EdgelabTorchActivationGrad";

let simd: ActivationKernels | Error | undefined;

/** The loops for one backend: SIMD on the wasm heap when they load, else JS. */
type Loops = Pick<ActivationKernels, "forward" | "backward">;
const jsLoops: Loops = {
  forward: (kind, x, y) => activationForward(kind, x, y),
  backward: (kind, x, dy, dx) => activationBackward(kind, x, dy, dx),
};
/**
 * SiLU on oneDNN when it is installed (its exp is vectorised and threaded; the JS loop took 2.6 s
 * per direction for EfficientNet-B0's 49 activations at 224², batch 16), else the loops below.
 */
const oneDnnSilu: Loops = {
  forward: (kind, x, y) => {
    const native = kind === "silu" ? oneDnn()?.silu(x.length) : null;
    if (native) native.forward(x, y);
    else wasmSimdLoops().forward(kind, x, y);
  },
  backward: (kind, x, dy, dx) => {
    const native = kind === "silu" ? oneDnn()?.silu(x.length) : null;
    if (native) native.backward(x, dy, dx);
    else wasmSimdLoops().backward(kind, x, dy, dx);
  },
};
function wasmSimdLoops(): Loops {
  const heap = activeWasmHeap();
  if (heap) simd ??= activationKernels(heap.memory);
  return simd && !(simd instanceof Error) ? simd : jsLoops;
}

function register(backendName: string, memory: (backend: unknown) => KernelMemory, loops: () => Loops): void {
  if (tf.getKernel(FORWARD, backendName)) return;
  tf.registerKernel({
    kernelName: FORWARD,
    backendName,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x } = inputs as unknown as Record<string, tf.TensorInfo>;
      const m = memory(backend);
      const y = m.output(x.shape);
      loops().forward((attrs as { kind: TorchActivationKind }).kind, m.view(x), m.view(y));
      return y;
    },
  });
  tf.registerKernel({
    kernelName: BACKWARD,
    backendName,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, dy } = inputs as unknown as Record<string, tf.TensorInfo>;
      const m = memory(backend);
      const dx = m.output(x.shape);
      loops().backward((attrs as { kind: TorchActivationKind }).kind, m.view(x), m.view(dy), m.view(dx));
      return dx;
    },
  });
}

register("cpu", cpuKernelMemory, () => jsLoops);
register("wasm", wasmKernelMemory, () => oneDnnSilu);

/**
 * tfjs' ReLU gradient is three kernels over the whole tensor (`Step`, `Cast`, `Multiply`); where
 * the active backend has edgelab's activation kernels it becomes one (dy where x > 0, the same
 * values). Every tfjs model's ReLU gets it, tfjs-layers' `activation: "relu"` included: tfjs only
 * fuses a convolution with its ReLU outside gradient scopes, so training runs them apart.
 */
const tfjsReluGradient = tf.getGradient("Relu");
if (tfjsReluGradient)
  tf.registerGradient({
    ...tfjsReluGradient,
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved;
      const g = dy as tf.Tensor;
      if (x.dtype === "float32" && g.dtype === "float32" && tf.getKernel(BACKWARD, tf.getBackend()))
        return {
          x: () =>
            tf.engine().runKernel(BACKWARD, { x, dy: g }, { kind: "relu" } as unknown as tf.NamedAttrMap) as tf.Tensor,
        };
      return tfjsReluGradient.gradFunc(dy, saved, attrs);
    },
  });

/** True when the active backend runs {@link torchActivationOp} with edgelab's kernels. */
export function hasActivationKernels(): boolean {
  return tf.getKernel(FORWARD, tf.getBackend()) !== undefined;
}

/** f(x) for a float32 tensor, differentiable; the backward pass keeps only x. */
export function torchActivationOp(kind: TorchActivationKind, x: tf.Tensor): tf.Tensor {
  const attrs = { kind } as unknown as tf.NamedAttrMap;
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const input = args[0] as tf.Tensor;
    (args[1] as tf.GradSaveFunc)([input]);
    return {
      value: tf.engine().runKernel(FORWARD, { x: input }, attrs) as tf.Tensor,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [
        tf.engine().runKernel(BACKWARD, { x: saved[0], dy }, attrs) as tf.Tensor,
      ],
    };
  });
  return op(x);
}
