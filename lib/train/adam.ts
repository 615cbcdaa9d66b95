/**
 * Adam for edgelab's training loops: tfjs' `AdamOptimizer` (same state, names, checkpoints and
 * results) whose update runs as one fused wasm SIMD kernel per variable on the wasm backend
 * instead of ~12 separate tfjs ops. On other backends, or where wasm SIMD is missing, it is
 * exactly tfjs' Adam.
 */
import * as tf from "@tensorflow/tfjs-core";
import { adamKernel } from "../kernels/adam-simd";
import { activeWasmHeap } from "../kernels/wasm-heap";
import { perMemory } from "../kernels/wasm-module";

/** tfjs' private Adam state, which the fused path reads and updates as tfjs would. */
interface AdamState {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: ({ originalName: string; variable: tf.Variable } | undefined)[];
  accumulatedSecondMoment: ({ originalName: string; variable: tf.Variable } | undefined)[];
}

const kernelFor = perMemory(adamKernel);

/** Why the fused update is not used on the active backend, or null when it is. */
export function fusedAdamUnavailable(): string | null {
  const heap = activeWasmHeap();
  if (!heap) return `backend ${tf.getBackend()} is not tfjs' wasm backend`;
  const kernel = kernelFor(heap.memory);
  return kernel instanceof Error ? `the wasm SIMD Adam kernel did not load: ${kernel.message}` : null;
}

/** tfjs' Adam with a fused update on the wasm backend (bit-identical results). */
export class FusedAdamOptimizer extends tf.AdamOptimizer {
  override applyGradients(variableGradients: Parameters<tf.Optimizer["applyGradients"]>[0]): void {
    const heap = activeWasmHeap();
    const kernel = heap ? kernelFor(heap.memory) : null;
    if (!heap || !kernel || kernel instanceof Error) {
      super.applyGradients(variableGradients as Parameters<tf.AdamOptimizer["applyGradients"]>[0]);
      return;
    }
    const state = this as unknown as AdamState;
    const entries = Array.isArray(variableGradients)
      ? variableGradients.map((v) => [v.name, v.tensor] as const)
      : Object.entries(variableGradients);
    const accBeta1 = state.accBeta1.dataSync()[0];
    const accBeta2 = state.accBeta2.dataSync()[0];
    const scalars = {
      beta1: state.beta1,
      beta2: state.beta2,
      epsilon: state.epsilon,
      learningRate: state.learningRate,
      // tfjs computes 1 − β^t as a float32 op.
      oneMinusAccBeta1: Math.fround(1 - accBeta1),
      oneMinusAccBeta2: Math.fround(1 - accBeta2),
    };
    const registered = tf.engine().registeredVariables;
    entries.forEach(([name, gradient], i) => {
      const value = registered[name];
      if (!value) throw new Error(`Adam: no variable named ${name}`);
      const moment = (slot: "m" | "v"): tf.Variable => {
        const list = slot === "m" ? state.accumulatedFirstMoment : state.accumulatedSecondMoment;
        list[i] ??= { originalName: `${name}/${slot}`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
        return list[i]!.variable;
      };
      const m = moment("m");
      const v = moment("v");
      if (gradient == null) return;
      if (value.dtype !== "float32" || gradient.dtype !== "float32" || gradient.size !== value.size) {
        throw new Error(
          `Adam: gradient for ${name} is ${gradient.dtype} ${JSON.stringify(gradient.shape)}, variable is ${value.dtype} ${JSON.stringify(value.shape)}`,
        );
      }
      // Fresh outputs, then assign: nothing that shares the old buffers sees them change.
      const [outW, outM, outV] = [heap.allocate(value.shape), heap.allocate(value.shape), heap.allocate(value.shape)];
      kernel(
        {
          w: heap.offset(value),
          g: heap.offset(gradient),
          m: heap.offset(m),
          v: heap.offset(v),
          outW: heap.offset(outW),
          outM: heap.offset(outM),
          outV: heap.offset(outV),
        },
        value.size,
        scalars,
      );
      m.assign(outM);
      v.assign(outV);
      value.assign(outW);
      tf.dispose([outW, outM, outV]);
    });
    tf.tidy(() => {
      state.accBeta1.assign(tf.mul(state.accBeta1, state.beta1));
      state.accBeta2.assign(tf.mul(state.accBeta2, state.beta2));
    });
    this.incrementIterations();
  }
}

/**
 * Adam with tfjs' defaults (β1 0.9, β2 0.999, ε = the backend's epsilon, 1e-7 for float32);
 * pass `epsilon` 1e-8 for PyTorch's.
 * @example const optimizer = adam(5e-4)
 */
export function adam(learningRate: number, beta1 = 0.9, beta2 = 0.999, epsilon?: number): FusedAdamOptimizer {
  return new FusedAdamOptimizer(learningRate, beta1, beta2, epsilon);
}
