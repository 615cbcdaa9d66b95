/**
 * One LSTM direction over a whole sequence as a single differentiable op that returns the last
 * hidden state. tfjs-layers' LSTM runs every time step as about fifteen taped ops and keeps each
 * one's output for the backward pass; this op keeps only the activated gates, the cell state and
 * the incoming hidden state per step (6 × units floats per sample and step) and runs
 * backpropagation through time itself. The input projection of all time steps is one matrix
 * product, and so are the weight gradients; each step's element-wise work is one kernel each way
 * (`kernels/lstm-cell-op`, on the cpu and wasm backends).
 *
 * Gate order and maths are tfjs' (and Keras'): z = x·W + h·R + b split into input, forget, cell
 * and output gates; c' = σ(f)·c + σ(i)·tanh(g); h' = σ(o)·tanh(c').
 */
import * as tf from "@tensorflow/tfjs-core";
import { lstmCellStep, lstmCellStepGrad } from "../kernels/lstm-cell-op";

/** What the forward pass keeps for the backward pass, stacked in time order (time-major). */
interface Saved {
  /** Activated gates [steps, batch, 4·units]. */
  gates: tf.Tensor3D;
  /** Cell state after each step [steps, batch, units]. */
  cells: tf.Tensor3D;
  /** Hidden state entering each step [steps, batch, units]. */
  hiddenIn: tf.Tensor3D;
}

/**
 * The last hidden state [batch, units] of an LSTM with sigmoid gates and tanh activations run over
 * `x` [batch, steps, features] from zero state; with `goBackwards` the steps run last to first
 * (the backward half of a bidirectional LSTM). `kernel` is [features, 4·units], `recurrent`
 * [units, 4·units], `bias` [4·units]. Differentiable with respect to all four.
 */
export function lstmLastHidden(
  x: tf.Tensor3D,
  kernel: tf.Tensor2D,
  recurrent: tf.Tensor2D,
  bias: tf.Tensor1D,
  goBackwards: boolean,
): tf.Tensor2D {
  const [, steps, features] = x.shape;
  const units = recurrent.shape[0];
  if (kernel.shape[0] !== features || kernel.shape[1] !== 4 * units || recurrent.shape[1] !== 4 * units)
    throw new Error(
      `lstmLastHidden: kernel ${JSON.stringify(kernel.shape)} and recurrent ${JSON.stringify(recurrent.shape)} do not fit ${features} features and ${units} units`,
    );
  if (steps < 1) throw new Error("lstmLastHidden: the sequence has no time steps");
  // Step s reads time step order[s].
  const order = Array.from({ length: steps }, (_, s) => (goBackwards ? steps - 1 - s : s));
  // Outside a gradient scope (prediction, evaluation) nothing is kept for a backward pass.
  if (!recordingGradients()) return forward(x, kernel, recurrent, bias, order, units, false).value;

  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xIn, w, r, b] = args as [tf.Tensor3D, tf.Tensor2D, tf.Tensor2D, tf.Tensor1D];
    const save = args[4] as tf.GradSaveFunc;
    const { value, saved } = forward(xIn, w, r, b, order, units, true);
    if (!saved) throw new Error("lstmLastHidden: the forward pass kept nothing for the backward pass");
    save([xIn, w, r, saved.gates, saved.cells, saved.hiddenIn]);
    tf.dispose([saved.gates, saved.cells, saved.hiddenIn]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, kept: tf.Tensor[]) => {
        const [xs, ws, rs, gates, cells, hiddenIn] = kept as [
          tf.Tensor3D,
          tf.Tensor2D,
          tf.Tensor2D,
          tf.Tensor3D,
          tf.Tensor3D,
          tf.Tensor3D,
        ];
        return backward(dy as tf.Tensor2D, xs, ws, rs, { gates, cells, hiddenIn }, order);
      },
    };
  });
  return op(x, kernel, recurrent, bias) as tf.Tensor2D;
}

interface EngineState {
  state?: { gradientDepth?: number };
}

/** Whether tfjs is recording operations for gradients (inside `tf.grad`, `variableGrads`, `minimize`). */
function recordingGradients(): boolean {
  const depth = (tf.engine() as unknown as EngineState).state?.gradientDepth;
  // An engine without the field: assume recording, which is always correct.
  return depth === undefined || depth > 0;
}

/** The time-major input projection x·W + b [steps, batch, 4·units]. */
function projectInputs(x: tf.Tensor3D, w: tf.Tensor2D, b: tf.Tensor1D): tf.Tensor3D {
  const [batch, steps, features] = x.shape;
  return tf.tidy(() => {
    const timeMajor = tf.reshape(tf.transpose(x, [1, 0, 2]), [steps * batch, features]);
    return tf.reshape(tf.add(tf.matMul(timeMajor, w), b), [steps, batch, w.shape[1]]);
  });
}

/** Runs the steps; with `keep`, stacks what the backward pass needs, else frees each step's tensors at once. */
function forward(
  x: tf.Tensor3D,
  w: tf.Tensor2D,
  r: tf.Tensor2D,
  b: tf.Tensor1D,
  order: number[],
  units: number,
  keep: boolean,
): { value: tf.Tensor2D; saved: Saved | null } {
  const batch = x.shape[0];
  const projected = projectInputs(x, w, b);
  const steps = order.length;
  // Indexed by time step, whichever way the steps run.
  const gates = new Array<tf.Tensor2D>(steps);
  const cells = new Array<tf.Tensor2D>(steps);
  const hiddenIn = new Array<tf.Tensor2D>(steps);
  let h: tf.Tensor2D = tf.zeros([batch, units]);
  let c: tf.Tensor2D = tf.zeros([batch, units]);
  for (const [s, t] of order.entries()) {
    const fromHidden = tf.matMul(h, r) as tf.Tensor2D;
    const next = lstmCellStep(projected, t, fromHidden, c);
    fromHidden.dispose();
    if (keep) {
      hiddenIn[t] = h;
      gates[t] = next.gates;
      cells[t] = next.cell;
      if (s === 0) c.dispose();
    } else tf.dispose([h, c, next.gates]);
    h = next.hidden;
    c = next.cell;
  }
  projected.dispose();
  if (!keep) {
    c.dispose();
    return { value: h, saved: null };
  }
  const saved = {
    gates: tf.stack(gates) as tf.Tensor3D,
    cells: tf.stack(cells) as tf.Tensor3D,
    hiddenIn: tf.stack(hiddenIn) as tf.Tensor3D,
  };
  tf.dispose([...gates, ...cells, ...hiddenIn]);
  return { value: h, saved };
}

function backward(
  dy: tf.Tensor2D,
  x: tf.Tensor3D,
  w: tf.Tensor2D,
  r: tf.Tensor2D,
  saved: Saved,
  order: number[],
): tf.Tensor[] {
  const [batch, steps, features] = x.shape;
  const units = r.shape[0];
  // Indexed by time step, as the saved tensors are.
  const dz = new Array<tf.Tensor2D>(steps);
  let dh: tf.Tensor2D = tf.clone(dy);
  let dc: tf.Tensor2D = tf.zeros([batch, units]);
  for (let s = steps - 1; s >= 0; s--) {
    const t = order[s];
    const step = lstmCellStepGrad(saved.gates, saved.cells, t, s > 0 ? order[s - 1] : -1, dh, dc);
    dh.dispose();
    dc.dispose();
    dz[t] = step.dz;
    dh = tf.matMul(step.dz, r, false, true) as tf.Tensor2D;
    dc = step.dCellBefore;
  }
  dh.dispose();
  dc.dispose();
  return tf.tidy(() => {
    const dzTime = tf.reshape(tf.stack(dz), [steps * batch, 4 * units]);
    tf.dispose(dz);
    const xTime = tf.reshape(tf.transpose(x, [1, 0, 2]), [steps * batch, features]);
    const dx = tf.transpose(tf.reshape(tf.matMul(dzTime, w, false, true), [steps, batch, features]), [1, 0, 2]);
    const dw = tf.matMul(xTime, dzTime, true, false);
    const dr = tf.matMul(tf.reshape(saved.hiddenIn, [steps * batch, units]), dzTime, true, false);
    const db = tf.sum(dzTime, 0);
    return [dx, dw, dr, db];
  });
}
