/**
 * `lstmCellStep` and `lstmCellStepGrad`: one LSTM time step's element-wise work as one kernel each
 * way on the cpu and wasm backends (./lstm-cell's loops on the tensors' own memory), where tfjs ops
 * take about fifteen kernels forward and thirty backward. They read a step straight out of the
 * time-major tensors, so no slice is made per step. Used by `models.lstmLastHidden`'s forward and
 * backward passes, which are not themselves differentiated.
 */
import * as tf from "@tensorflow/tfjs-core";
import { cpuKernelMemory, type KernelMemory, wasmKernelMemory } from "./kernel-memory";
import { lstmCellBackward, lstmCellForward } from "./lstm-cell";

const FORWARD = "EdgelabLstmCell";
const BACKWARD = "EdgelabLstmCellGrad";

function register(backendName: string, memory: (backend: unknown) => KernelMemory): void {
  if (tf.getKernel(FORWARD, backendName)) return;
  tf.registerKernel({
    kernelName: FORWARD,
    backendName,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { projected, recurrent, cellBefore } = inputs as unknown as Record<string, tf.TensorInfo>;
      const [, batch, width] = projected.shape;
      const units = width / 4;
      const m = memory(backend);
      const outs = [m.output([batch, width]), m.output([batch, units]), m.output([batch, units])];
      const [gates, cell, hidden] = outs.map((t) => m.view(t));
      const offset = (attrs as { step: number }).step * batch * width;
      lstmCellForward(
        { batch, units },
        m.view(projected),
        offset,
        m.view(recurrent),
        m.view(cellBefore),
        gates,
        cell,
        hidden,
      );
      return outs;
    },
  });
  tf.registerKernel({
    kernelName: BACKWARD,
    backendName,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { gates, cells, dHidden, dCell } = inputs as unknown as Record<string, tf.TensorInfo>;
      const [, batch, units] = cells.shape;
      const { step, stepBefore } = attrs as { step: number; stepBefore: number };
      const m = memory(backend);
      const outs = [m.output([batch, 4 * units]), m.output([batch, units])];
      const [dz, dCellBefore] = outs.map((t) => m.view(t));
      const cellSize = batch * units;
      lstmCellBackward(
        { batch, units },
        m.view(gates),
        step * 4 * cellSize,
        m.view(cells),
        step * cellSize,
        stepBefore < 0 ? null : stepBefore * cellSize,
        m.view(dHidden),
        m.view(dCell),
        dz,
        dCellBefore,
      );
      return outs;
    },
  });
}

register("cpu", cpuKernelMemory);
register("wasm", wasmKernelMemory);

/**
 * Time step `step` of `projected` [steps, batch, 4·units] (x·W + b) plus `recurrent` (h·R,
 * [batch, 4·units]), from cell state `cellBefore`: the activated gates [batch, 4·units], the new
 * cell state and the new hidden state ([batch, units] each).
 */
export function lstmCellStep(
  projected: tf.Tensor3D,
  step: number,
  recurrent: tf.Tensor2D,
  cellBefore: tf.Tensor2D,
): { gates: tf.Tensor2D; cell: tf.Tensor2D; hidden: tf.Tensor2D } {
  const [gates, cell, hidden] = tf
    .engine()
    .runKernel(FORWARD, { projected, recurrent, cellBefore }, { step } as unknown as tf.NamedAttrMap) as tf.Tensor2D[];
  return { gates, cell, hidden };
}

/**
 * The backward pass of {@link lstmCellStep} at time step `step` of the saved `gates`
 * [steps, batch, 4·units] and `cells` [steps, batch, units]; `stepBefore` is the step whose cell
 * state came in (−1: zero state). Returns dz [batch, 4·units] and the incoming cell state's gradient.
 */
export function lstmCellStepGrad(
  gates: tf.Tensor3D,
  cells: tf.Tensor3D,
  step: number,
  stepBefore: number,
  dHidden: tf.Tensor2D,
  dCell: tf.Tensor2D,
): { dz: tf.Tensor2D; dCellBefore: tf.Tensor2D } {
  const [dz, dCellBefore] = tf.engine().runKernel(BACKWARD, { gates, cells, dHidden, dCell }, {
    step,
    stepBefore,
  } as unknown as tf.NamedAttrMap) as tf.Tensor2D[];
  return { dz, dCellBefore };
}
