/**
 * The few layers torchvision's models need that tfjs-layers lacks, each a thin tfjs-layers
 * `Layer` over differentiable tfjs ops (so gradients come from tfjs' autodiff):
 * PyTorch's hard-swish and hard-sigmoid (x·relu6(x+3)/6 and relu6(x+3)/6 — not Keras' 0.2x+0.5),
 * squeeze-and-excitation's spatial mean and channel scaling (single ops on edgelab's kernels),
 * ShuffleNet's channel split and shuffle,
 * EfficientNet's stochastic depth ("row" mode: whole samples of a residual branch dropped), and
 * PyTorch's `BatchNorm2d`, whose training mode runs on edgelab's two-pass kernels.
 */
import "../runtime/tfjs";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import type { TorchActivationKind } from "../kernels/activation";
import { hasActivationKernels, torchActivationOp } from "../kernels/activation-op";
import { batchNormTraining, hasBatchNormKernels } from "../kernels/batch-norm-op";
import { channelScale, hasChannelKernels, spatialMean } from "../kernels/channel-ops";
import { dropoutClock } from "./dropout";

export type { TorchActivationKind } from "../kernels/activation";

/**
 * `nn.ReLU`, `nn.ReLU6`, `nn.Hardswish`, `nn.Hardsigmoid` and `nn.SiLU` as single differentiable
 * ops that keep only their input for the backward pass (tfjs' composition keeps every
 * intermediate: four full-size tensors per activation, which is what exhausts the wasm heap at
 * batch 16 and 224²; its ReLU6 gradient runs broadcast comparisons that wasm makes slow). Where
 * edgelab's kernels are missing, ReLU and ReLU6 are tfjs' own. Gradients follow PyTorch's: ReLU
 * dy where x > 0, ReLU6 strictly inside (0, 6), hard-swish 0 below −3, 1 above 3, (2x + 3)/6 between; hard-sigmoid 1/6 strictly
 * inside (−3, 3); SiLU σ(x)(1 + x(1 − σ(x))).
 */
export function torchActivation(kind: TorchActivationKind, x: tf.Tensor): tf.Tensor {
  // edgelab's kernels (one loop per direction) where registered; tfjs' ops otherwise.
  if (hasActivationKernels() && x.dtype === "float32") return torchActivationOp(kind, x);
  if (kind === "relu") return tf.relu(x);
  if (kind === "relu6") return tf.relu6(x);
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const input = args[0] as tf.Tensor;
    (args[1] as tf.GradSaveFunc)([input]);
    const value = tf.tidy(() => {
      if (kind === "silu") return tf.mul(input, tf.sigmoid(input));
      const gate = tf.div(tf.relu6(tf.add(input, 3)), 6);
      return kind === "hardswish" ? tf.mul(input, gate) : gate;
    });
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.tidy(() => {
          const [v] = saved;
          if (kind === "silu") {
            const s = tf.sigmoid(v);
            return [tf.mul(dy, tf.mul(s, tf.add(1, tf.mul(v, tf.sub(1, s)))))];
          }
          const inside = tf.logicalAnd(tf.greater(v, -3), tf.less(v, 3));
          if (kind === "hardsigmoid") return [tf.mul(dy, tf.mul(tf.cast(inside, "float32"), 1 / 6))];
          const slope = tf.where(inside, tf.div(tf.add(tf.mul(v, 2), 3), 6), tf.cast(tf.greaterEqual(v, 3), "float32"));
          return [tf.mul(dy, slope)];
        }),
    };
  });
  return op(x);
}

/** {@link torchActivation} as a layer. */
export class TorchActivation extends tfl.layers.Layer {
  static readonly className = "TorchActivation";
  readonly kind: TorchActivationKind;

  constructor(args: { kind: TorchActivationKind; name?: string }) {
    super({ name: args.name });
    this.kind = args.kind;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return torchActivation(this.kind, single(inputs));
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape | tfl.Shape[] {
    return inputShape;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), kind: this.kind };
  }
}

/** `x · s` for x [N, H, W, C] and per-sample channel weights s [N, 1, 1, C] (squeeze-and-excitation). */
export class ChannelScale extends tfl.layers.Layer {
  static readonly className = "ChannelScale";

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const [x, s] = inputs as tf.Tensor[];
    if (hasChannelKernels() && x.dtype === "float32" && x.rank === 4 && s.rank === 4)
      return channelScale(x as tf.Tensor4D, s as tf.Tensor4D);
    return tf.mul(x, s);
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    return (inputShape as tfl.Shape[])[0];
  }
}

/** The mean over height and width of an NHWC tensor, as [N, 1, 1, C] (squeeze-and-excitation's squeeze). */
export class SpatialMean extends tfl.layers.Layer {
  static readonly className = "SpatialMean";

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = single(inputs);
    if (hasChannelKernels() && x.dtype === "float32" && x.rank === 4) return spatialMean(x as tf.Tensor4D);
    return tf.mean(x, [1, 2], true);
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const [n, , , c] = inputShape as tfl.Shape;
    return [n, 1, 1, c];
  }
}

/** Channels [start, start + size) of an NHWC tensor (`x.chunk(2, dim=1)` in ShuffleNetV2). */
export class ChannelSlice extends tfl.layers.Layer {
  static readonly className = "ChannelSlice";
  readonly start: number;
  readonly size: number;

  constructor(args: { start: number; size: number; name?: string }) {
    super({ name: args.name });
    this.start = args.start;
    this.size = args.size;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = single(inputs);
    return tf.slice(x, [0, 0, 0, this.start], [-1, -1, -1, this.size]);
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const shape = [...(inputShape as tfl.Shape)];
    shape[shape.length - 1] = this.size;
    return shape;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), start: this.start, size: this.size };
  }
}

/**
 * ShuffleNet's channel shuffle in NHWC: channel `g · (C/groups) + j` moves to `j · groups + g`,
 * as `view(N, groups, C/groups, H, W).transpose(1, 2)` does in NCHW.
 */
export class ChannelShuffle extends tfl.layers.Layer {
  static readonly className = "ChannelShuffle";
  readonly groups: number;

  constructor(args: { groups: number; name?: string }) {
    super({ name: args.name });
    this.groups = args.groups;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = single(inputs) as tf.Tensor4D;
    const [n, h, w, c] = x.shape;
    return tf.tidy(() =>
      tf.reshape(tf.transpose(tf.reshape(x, [n * h * w, this.groups, c / this.groups]), [0, 2, 1]), [n, h, w, c]),
    );
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape | tfl.Shape[] {
    return inputShape;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), groups: this.groups };
  }
}

/**
 * Stochastic depth, "row" mode: in training each sample's residual branch is kept with
 * probability 1 − p and scaled by 1 / (1 − p); identity at inference. Masks are keyed on
 * (seed, training step) through the engine's {@link dropoutClock}, so runs are reproducible.
 */
export class StochasticDepth extends tfl.layers.Layer {
  static readonly className = "StochasticDepth";
  readonly p: number;
  readonly seed: number;

  constructor(args: { p: number; seed: number; name?: string }) {
    super({ name: args.name });
    if (!(args.p >= 0 && args.p < 1)) throw new Error(`stochastic depth probability must be in [0, 1), got ${args.p}`);
    this.p = args.p;
    this.seed = args.seed;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }): tf.Tensor {
    const x = single(inputs);
    if (!kwargs.training || this.p === 0) return x;
    return tf.tidy(() => {
      const survival = 1 - this.p;
      const draw = tf.randomUniform(
        [x.shape[0] ?? 1, 1, 1, 1],
        0,
        1,
        "float32",
        this.seed * 1_000_003 + dropoutClock.step,
      );
      return tf.mul(x, tf.div(tf.floor(tf.add(draw, survival)), survival));
    });
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape | tfl.Shape[] {
    return inputShape;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), p: this.p, seed: this.seed };
  }
}

/**
 * `nn.BatchNorm2d` over the channel (last) axis. Training mode normalises with the batch's
 * statistics through edgelab's fused kernels (two passes forward, two backward, instead of tfjs'
 * ~20 kernels) and updates the running statistics as PyTorch does: with the new batch weighted by
 * `momentum` and the variance unbiased. Inference uses the running statistics. Weights are named
 * as Keras' batch norm names them (gamma, beta, moving_mean, moving_variance).
 */
export class BatchNorm2d extends tfl.layers.Layer {
  static readonly className = "BatchNorm2d";
  readonly epsilon: number;
  readonly momentum: number;
  private gamma!: tfl.LayerVariable;
  private beta!: tfl.LayerVariable;
  private movingMean!: tfl.LayerVariable;
  private movingVariance!: tfl.LayerVariable;

  constructor(args: { epsilon: number; momentum: number; name?: string }) {
    super({ name: args.name });
    this.epsilon = args.epsilon;
    this.momentum = args.momentum;
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const shape = inputShape as tfl.Shape;
    const channels = shape[shape.length - 1] as number;
    this.gamma = this.addWeight("gamma", [channels], "float32", tfl.initializers.ones(), undefined, true);
    this.beta = this.addWeight("beta", [channels], "float32", tfl.initializers.zeros(), undefined, true);
    this.movingMean = this.addWeight("moving_mean", [channels], "float32", tfl.initializers.zeros(), undefined, false);
    this.movingVariance = this.addWeight(
      "moving_variance",
      [channels],
      "float32",
      tfl.initializers.ones(),
      undefined,
      false,
    );
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }): tf.Tensor {
    const x = single(inputs);
    return tf.tidy(() => {
      const gamma = this.gamma.read() as tf.Tensor1D;
      const beta = this.beta.read() as tf.Tensor1D;
      if (!kwargs.training)
        return tf.batchNorm(x, this.movingMean.read(), this.movingVariance.read(), beta, gamma, this.epsilon);
      let y: tf.Tensor;
      let mean: tf.Tensor;
      let variance: tf.Tensor;
      if (hasBatchNormKernels()) ({ y, mean, variance } = batchNormTraining(x, gamma, beta, this.epsilon));
      else {
        const axes = x.shape.map((_, i) => i).slice(0, -1);
        ({ mean, variance } = tf.moments(x, axes));
        y = tf.batchNorm(x, mean, variance, beta, gamma, this.epsilon);
      }
      const n = x.size / (x.shape[x.shape.length - 1] as number);
      const m = this.momentum;
      const update = (v: tfl.LayerVariable, batch: tf.Tensor): void => {
        v.write(tf.add(tf.mul(v.read(), 1 - m), tf.mul(batch, m)));
      };
      update(this.movingMean, mean);
      update(this.movingVariance, n > 1 ? tf.mul(variance, n / (n - 1)) : variance);
      tf.dispose([mean, variance]);
      return y;
    });
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape | tfl.Shape[] {
    return inputShape;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), epsilon: this.epsilon, momentum: this.momentum };
  }
}

function single(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
  return Array.isArray(inputs) ? inputs[0] : inputs;
}

for (const layer of [
  TorchActivation,
  ChannelScale,
  SpatialMean,
  ChannelSlice,
  ChannelShuffle,
  StochasticDepth,
  BatchNorm2d,
])
  tf.serialization.registerClass(layer);
