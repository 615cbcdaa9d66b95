/**
 * TabNet weights in pytorch-tabnet's state-dict layout: names as `network.state_dict()` gives
 * them (`tabnet.encoder.…`), linear weights [out, in]. Lets a model trained by pytorch-tabnet be
 * loaded here (and the reverse), and is the format edgelab saves TabNet runs in.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { TabNet } from "./tabnet";

/** Name → values, PyTorch layout (row-major, linear weights [out, in]). */
export type TabNetState = Record<string, ArrayLike<number>>;

function transpose(values: ArrayLike<number>, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = values[r * cols + c];
  return out;
}

/** The model's variables in PyTorch layout, keyed by pytorch-tabnet's names. */
export function tabNetState(model: TabNet): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {};
  for (const [name, v] of model.namedVariables()) {
    const values = v.dataSync() as Float32Array;
    out[name] = v.rank === 2 ? transpose(values, v.shape[0]!, v.shape[1]!) : Float32Array.from(values);
  }
  return out;
}

/**
 * Assigns every variable from `state` (names and layout of {@link tabNetState}; extra names such as
 * pytorch-tabnet's unused `tabnet.initial_bn.*`, `num_batches_tracked` or the duplicated shared
 * weights are ignored). Throws naming the first missing or wrongly sized tensor.
 */
export function loadTabNetState(model: TabNet, state: TabNetState, source = "TabNet state"): void {
  const updates: [tf.Variable, Float32Array][] = [];
  for (const [name, v] of model.namedVariables()) {
    const values = state[name];
    if (!values) throw new Error(`${source}: no tensor ${name}`);
    if (values.length !== v.size)
      throw new Error(
        `${source}: ${name} has ${values.length} values, the model needs ${v.size} (${v.shape.join("×")})`,
      );
    // PyTorch [out, in] → edgelab [in, out]
    updates.push([v, v.rank === 2 ? transpose(values, v.shape[1]!, v.shape[0]!) : Float32Array.from(values)]);
  }
  for (const [v, values] of updates) tf.tidy(() => v.assign(tf.tensor(values, v.shape)));
}
