/**
 * SGD with momentum for edgelab's training loops: tfjs' `MomentumOptimizer` (same state, names,
 * checkpoints and results) whose update runs as one fused wasm SIMD kernel per variable on the
 * wasm backend instead of four tfjs ops. Momentum 0 is seed 001's plain SGD. On other backends,
 * with Nesterov momentum, or where wasm SIMD is missing, it is exactly tfjs' optimizer.
 */
import * as tf from "@tensorflow/tfjs-core";
import { momentumKernel } from "../kernels/momentum-simd";
import { activeWasmHeap } from "../kernels/wasm-heap";
import { perMemory } from "../kernels/wasm-module";

/** tfjs' private momentum state, which the fused path reads and updates as tfjs would. */
interface MomentumState {
  learningRate: number;
  momentum: number;
  useNesterov: boolean;
  accumulations: ({ originalName: string; variable: tf.Variable } | undefined)[];
}

const kernelFor = perMemory(momentumKernel);

/** tfjs' SGD with momentum, with a fused update on the wasm backend (bit-identical results). */
export class FusedMomentumOptimizer extends tf.MomentumOptimizer {
  override applyGradients(variableGradients: Parameters<tf.Optimizer["applyGradients"]>[0]): void {
    const heap = activeWasmHeap();
    const kernel = heap ? kernelFor(heap.memory) : null;
    const state = this as unknown as MomentumState;
    if (!heap || !kernel || kernel instanceof Error || state.useNesterov) {
      super.applyGradients(variableGradients as Parameters<tf.MomentumOptimizer["applyGradients"]>[0]);
      return;
    }
    const entries = Array.isArray(variableGradients)
      ? variableGradients.map((v) => [v.name, v.tensor] as const)
      : Object.entries(variableGradients);
    const registered = tf.engine().registeredVariables;
    entries.forEach(([name, gradient], i) => {
      const value = registered[name];
      if (!value) throw new Error(`SGD: no variable named ${name}`);
      state.accumulations[i] ??= {
        originalName: `${name}/momentum`,
        variable: tf.tidy(() => tf.zerosLike(value).variable(false)),
      };
      const accumulation = state.accumulations[i]!.variable;
      if (gradient == null) return;
      if (value.dtype !== "float32" || gradient.dtype !== "float32" || gradient.size !== value.size) {
        throw new Error(
          `SGD: gradient for ${name} is ${gradient.dtype} ${JSON.stringify(gradient.shape)}, variable is ${value.dtype} ${JSON.stringify(value.shape)}`,
        );
      }
      // Fresh outputs, then assign: nothing that shares the old buffers sees them change.
      const [outW, outAcc] = [heap.allocate(value.shape), heap.allocate(value.shape)];
      kernel(
        {
          w: heap.offset(value),
          g: heap.offset(gradient),
          acc: heap.offset(accumulation),
          outW: heap.offset(outW),
          outAcc: heap.offset(outAcc),
        },
        value.size,
        state.momentum,
        state.learningRate,
      );
      accumulation.assign(outAcc);
      value.assign(outW);
      tf.dispose([outW, outAcc]);
    });
    this.incrementIterations();
  }

  /** tfjs' `MomentumOptimizer.dispose` leaves the −lr scalar behind; this one disposes it too. */
  override dispose(): void {
    super.dispose();
    (this as unknown as { c?: tf.Scalar }).c?.dispose();
  }
}

/**
 * SGD with momentum (0: plain SGD), tfjs' semantics: acc ← momentum · acc + g, w ← w − lr · acc.
 * @example const optimizer = sgd(0.1) // seed 001's optimizer
 */
export function sgd(learningRate: number, momentum = 0): FusedMomentumOptimizer {
  return new FusedMomentumOptimizer(learningRate, momentum);
}
