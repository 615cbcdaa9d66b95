/**
 * One LSTM time step's element-wise work, forward and backward, as single loops (the matrix
 * products stay with the GEMM). Gate order is tfjs' and Keras': input, forget, cell, output, each
 * `units` wide within a row of 4·units. Pure: arrays and offsets in, arrays out.
 */

const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));

/** Where one step's rows live: `batch` rows of `units` (cell) or 4·`units` (gates). */
export interface LstmStep {
  batch: number;
  units: number;
}

/**
 * From pre-activations z = `projected`[offset…] + `recurrent` (both [batch, 4·units]) and the
 * previous cell state: the activated gates, the new cell state and the new hidden state.
 */
export function lstmCellForward(
  s: LstmStep,
  projected: Float32Array,
  projectedOffset: number,
  recurrent: Float32Array,
  cellBefore: Float32Array,
  gates: Float32Array,
  cell: Float32Array,
  hidden: Float32Array,
): void {
  const { batch, units } = s;
  for (let b = 0; b < batch; b++) {
    const row = b * 4 * units;
    const p = projectedOffset + row;
    for (let j = 0; j < units; j++) {
      const i = sigmoid(projected[p + j] + recurrent[row + j]);
      const f = sigmoid(projected[p + units + j] + recurrent[row + units + j]);
      const g = Math.tanh(projected[p + 2 * units + j] + recurrent[row + 2 * units + j]);
      const o = sigmoid(projected[p + 3 * units + j] + recurrent[row + 3 * units + j]);
      gates[row + j] = i;
      gates[row + units + j] = f;
      gates[row + 2 * units + j] = g;
      gates[row + 3 * units + j] = o;
      const c = Math.fround(f * cellBefore[b * units + j] + i * g);
      cell[b * units + j] = c;
      hidden[b * units + j] = o * Math.tanh(c);
    }
  }
}

/**
 * Backpropagates one step: from the saved gates and cell states (at `gatesOffset`, `cellOffset`;
 * `cellBeforeOffset` null for the first step, whose previous cell state is zero) and the incoming
 * gradients of the hidden and cell state, the pre-activation gradient dz [batch, 4·units] and the
 * previous cell state's gradient.
 */
export function lstmCellBackward(
  s: LstmStep,
  gates: Float32Array,
  gatesOffset: number,
  cells: Float32Array,
  cellOffset: number,
  cellBeforeOffset: number | null,
  dHidden: Float32Array,
  dCell: Float32Array,
  dz: Float32Array,
  dCellBefore: Float32Array,
): void {
  const { batch, units } = s;
  for (let b = 0; b < batch; b++) {
    const row = b * 4 * units;
    const g0 = gatesOffset + row;
    for (let j = 0; j < units; j++) {
      const k = b * units + j;
      const i = gates[g0 + j];
      const f = gates[g0 + units + j];
      const g = gates[g0 + 2 * units + j];
      const o = gates[g0 + 3 * units + j];
      const tanhCell = Math.tanh(cells[cellOffset + k]);
      const before = cellBeforeOffset === null ? 0 : cells[cellBeforeOffset + k];
      const dh = dHidden[k];
      const dc = dCell[k] + dh * o * (1 - tanhCell * tanhCell);
      dz[row + j] = dc * g * i * (1 - i);
      dz[row + units + j] = dc * before * f * (1 - f);
      dz[row + 2 * units + j] = dc * i * (1 - g * g);
      dz[row + 3 * units + j] = dh * tanhCell * o * (1 - o);
      dCellBefore[k] = dc * f;
    }
  }
}
