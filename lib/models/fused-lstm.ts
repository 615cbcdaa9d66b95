/**
 * `FusedLSTM`: tfjs-layers' LSTM with the same weights, configuration and maths, which runs
 * {@link lstmLastHidden} when only the last hidden state is needed (the case of SentinelNet's
 * BiLSTM) and tfjs' own step loop otherwise (sequences or states returned, masks, dropout,
 * stateful use, other activations). Wrapped in `Bidirectional`, both directions are fused.
 */
import "../runtime/tfjs";
import * as tf from "@tensorflow/tfjs-core";
// Loading tfjs-layers registers its LSTM class, which FusedLSTM extends.
import * as tfl from "@tensorflow/tfjs-layers";
import type { LSTM, LSTMCell, LSTMLayerArgs } from "@tensorflow/tfjs-layers/dist/layers/recurrent";
import { lstmLastHidden } from "./lstm-sequence";

/**
 * The LSTM class tfjs-layers registered. Taken from the registry, not a deep import: the package's
 * entry point is a bundle, and a second copy of the class would fail its `instanceof` checks.
 */
const LstmBase = tf.serialization.SerializationMap.getMap().classNameMap.LSTM[0] as unknown as typeof LSTM;

type Kwargs = Record<string, unknown> | undefined;

/** An LSTM layer whose last-state-only case is one fused op (see the module comment). */
export class FusedLSTM extends LstmBase {
  static override className = "FusedLSTM";

  /** True when this call needs nothing beyond the last hidden state from zero state. */
  private fusable(kwargs: Kwargs): boolean {
    const cell = this.cell as LSTMCell;
    return (
      !this.returnSequences &&
      !this.returnState &&
      !this.stateful &&
      kwargs?.mask == null &&
      kwargs?.initialState == null &&
      cell.useBias &&
      !(cell.dropout > 0) &&
      !(cell.recurrentDropout > 0) &&
      cell.activation.getClassName() === "tanh" &&
      cell.recurrentActivation.getClassName() === "sigmoid"
    );
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor | tf.Tensor[] {
    if (!this.fusable(kwargs)) return super.call(inputs, kwargs ?? {});
    const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor3D;
    const cell = this.cell as LSTMCell;
    return lstmLastHidden(
      x,
      cell.kernel.read() as tf.Tensor2D,
      cell.recurrentKernel.read() as tf.Tensor2D,
      cell.bias.read() as tf.Tensor1D,
      this.goBackwards,
    );
  }
}
tf.serialization.registerClass(FusedLSTM);

/** A {@link FusedLSTM} layer, configured like `tfl.layers.lstm`. */
export function fusedLstm(args: LSTMLayerArgs): tfl.RNN {
  return new FusedLSTM(args);
}
