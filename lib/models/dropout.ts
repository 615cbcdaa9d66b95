/**
 * Dropout whose masks are reproducible and change every step. tfjs' own seeded dropout draws the
 * same mask on every call, and its unseeded one uses Math.random (irreproducible, so a resumed
 * run could not match an uninterrupted one). Here the mask seed is (layer seed, training step),
 * with the step advanced by the training engine through a shared {@link DropoutClock}.
 */
import "../runtime/tfjs";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";

/** The training step that dropout masks are keyed on; the engine sets it before each step. */
export class DropoutClock {
  step = 0;
}

/** The clock every model built in this process shares (the engine drives it). */
export const dropoutClock = new DropoutClock();

interface StepDropoutArgs {
  rate: number;
  seed: number;
  name?: string;
}

/** Dropout keyed on (seed, step): see the module comment. */
export class StepDropout extends tfl.layers.Layer {
  static readonly className = "StepDropout";
  private readonly rate: number;
  private readonly seed: number;

  constructor(args: StepDropoutArgs) {
    super({ name: args.name });
    if (!(args.rate >= 0 && args.rate < 1)) throw new Error(`dropout rate must be in [0, 1), got ${args.rate}`);
    this.rate = args.rate;
    this.seed = args.seed;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    if (!kwargs.training || this.rate === 0) return x;
    return tf.tidy(() => tf.dropout(x, this.rate, undefined, `${this.seed}:${dropoutClock.step}`));
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape | tfl.Shape[] {
    return inputShape;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), rate: this.rate, seed: this.seed };
  }
}
tf.serialization.registerClass(StepDropout);
