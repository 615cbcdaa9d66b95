/**
 * One LSTM direction over a whole sequence as a single differentiable op that returns the last
 * hidden state. tfjs-layers' LSTM runs every time step as about fifteen taped ops and keeps each
 * one's output for the backward pass; this op keeps only the activated gates, the cell state and
 * the incoming hidden state per step (6 × units floats per sample and step) and runs
 * backpropagation through time itself. The input projection of all time steps is one matrix
 * product, and so are the weight gradients.
 *
 * Gate order and maths are tfjs' (and Keras'): z = x·W + h·R + b split into input, forget, cell
 * and output gates; c' = σ(f)·c + σ(i)·tanh(g); h' = σ(o)·tanh(c').
 */
import * as tf from "@tensorflow/tfjs-core";

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

  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xIn, w, r, b] = args as [tf.Tensor3D, tf.Tensor2D, tf.Tensor2D, tf.Tensor1D];
    const save = args[4] as tf.GradSaveFunc;
    const { value, saved } = forward(xIn, w, r, b, order, units);
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

/** The time-major input projection x·W + b [steps, batch, 4·units]. */
function projectInputs(x: tf.Tensor3D, w: tf.Tensor2D, b: tf.Tensor1D): tf.Tensor3D {
  const [batch, steps, features] = x.shape;
  return tf.tidy(() => {
    const timeMajor = tf.reshape(tf.transpose(x, [1, 0, 2]), [steps * batch, features]);
    return tf.reshape(tf.add(tf.matMul(timeMajor, w), b), [steps, batch, w.shape[1]]);
  });
}

/** Row `t` of a time-major tensor, as [batch, width]. */
function stepOf(t: tf.Tensor3D, index: number): tf.Tensor2D {
  const [, batch, width] = t.shape;
  return tf.reshape(tf.slice(t, [index, 0, 0], [1, batch, width]), [batch, width]);
}

function forward(
  x: tf.Tensor3D,
  w: tf.Tensor2D,
  r: tf.Tensor2D,
  b: tf.Tensor1D,
  order: number[],
  units: number,
): { value: tf.Tensor2D; saved: Saved } {
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
    hiddenIn[t] = h;
    const next = tf.tidy(() => {
      const z = tf.add(stepOf(projected, t), tf.matMul(h, r));
      const [zi, zf, zg, zo] = tf.split(z, 4, 1);
      const i = tf.sigmoid(zi);
      const f = tf.sigmoid(zf);
      const g = tf.tanh(zg);
      const o = tf.sigmoid(zo);
      const cell = tf.add(tf.mul(f, c), tf.mul(i, g)) as tf.Tensor2D;
      return { gate: tf.concat([i, f, g, o], 1) as tf.Tensor2D, cell, hidden: tf.mul(o, tf.tanh(cell)) as tf.Tensor2D };
    });
    if (s === 0) c.dispose();
    gates[t] = next.gate;
    cells[t] = next.cell;
    h = next.hidden;
    c = next.cell;
  }
  projected.dispose();
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
    const step = tf.tidy(() => {
      const [i, f, g, o] = tf.split(stepOf(saved.gates, t), 4, 1);
      const cell = stepOf(saved.cells, t);
      const cellBefore = s > 0 ? stepOf(saved.cells, order[s - 1]) : tf.zerosLike(cell);
      const tanhCell = tf.tanh(cell);
      const dcTotal = tf.add(dc, tf.mul(tf.mul(dh, o), tf.sub(1, tf.square(tanhCell))));
      const sigmoidGrad = (a: tf.Tensor, da: tf.Tensor): tf.Tensor => tf.mul(da, tf.mul(a, tf.sub(1, a)));
      const dzStep = tf.concat(
        [
          sigmoidGrad(i, tf.mul(dcTotal, g)),
          sigmoidGrad(f, tf.mul(dcTotal, cellBefore)),
          tf.mul(tf.mul(dcTotal, i), tf.sub(1, tf.square(g))),
          sigmoidGrad(o, tf.mul(dh, tanhCell)),
        ],
        1,
      ) as tf.Tensor2D;
      return {
        dzStep,
        dh: tf.matMul(dzStep, r, false, true) as tf.Tensor2D,
        dc: tf.mul(dcTotal, f) as tf.Tensor2D,
      };
    });
    dh.dispose();
    dc.dispose();
    dz[t] = step.dzStep;
    dh = step.dh;
    dc = step.dc;
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
