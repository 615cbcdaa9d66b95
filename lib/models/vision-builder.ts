/**
 * Builds torchvision-shaped networks with tfjs-layers: every layer that holds weights is named by
 * its module path in torchvision's `state_dict` (`layer1.0.conv1`, `features.3.block.1.0`), so a
 * torchvision checkpoint maps onto the model by name. Convolutions pad the way PyTorch does —
 * symmetrically, inside the kernel (./torch-conv) — because tfjs' "same" padding at stride 2 pads
 * only the bottom and right and would shift every window.
 */
import "../runtime/tfjs";
import * as tfl from "@tensorflow/tfjs-layers";
import { StepDropout } from "./dropout";
import { TorchConv2D, TorchDepthwiseConv2D } from "./torch-conv";
import { layerSeed } from "./mlp";
import { BatchNorm2d, ChannelScale, SpatialMean, StochasticDepth, TorchActivation } from "./vision-layers";

/** What every vision model is built from. */
export interface VisionShape {
  /** [height, width, channels] (NHWC). */
  inputShape: number[];
  classes: number;
  seed: number;
}

/** Activations used by the zoo. */
export type Activation = "relu" | "relu6" | "hardswish" | "hardsigmoid" | "silu" | "sigmoid" | "none";

/** A convolution as torchvision declares it. */
export interface ConvSpec {
  filters: number;
  kernel: number;
  stride?: number;
  /** Zero padding on each side (torch's `padding`); default (kernel − 1) / 2. */
  padding?: number;
  /** Depthwise (groups = channels, as every grouped convolution in the zoo is). */
  depthwise?: boolean;
  bias?: boolean;
}

/** Batch-norm settings in PyTorch's terms (momentum = weight of the new batch statistic). */
export interface BatchNormSpec {
  epsilon: number;
  momentum: number;
}

/** How a family initialises its classifier (torchvision differs per family). */
export type DenseInit = "normal-0.01" | "torch-default" | "uniform-fan-out";

type T = tfl.SymbolicTensor;

/** Layer-by-layer builder shared by the zoo's families. */
export class VisionBuilder {
  private seedIndex = 0;

  constructor(
    readonly seed: number,
    readonly norm: BatchNormSpec,
  ) {}

  private nextSeed(): number {
    return layerSeed(this.seed, this.seedIndex++);
  }

  /** A convolution named `name` (He-normal, fan out: torchvision's `kaiming_normal_(mode="fan_out")`). */
  conv(x: T, name: string, spec: ConvSpec): T {
    const stride = spec.stride ?? 1;
    const padding = spec.padding ?? (spec.kernel - 1) / 2;
    // tfjs' "same" is PyTorch's padding at stride 1; anything else pads inside the kernel.
    const same = stride === 1 && padding * 2 === spec.kernel - 1;
    const common = {
      kernelSize: spec.kernel,
      strides: stride,
      padding: same ? ("same" as const) : ("valid" as const),
      useBias: spec.bias ?? false,
      name,
    };
    const torchPadding = same ? 0 : padding;
    const init = fanOut(this.nextSeed());
    const depthwise = { ...common, depthMultiplier: 1, depthwiseInitializer: init };
    const dense = { ...common, filters: spec.filters, kernelInitializer: init };
    const layer = !same
      ? spec.depthwise
        ? new TorchDepthwiseConv2D({ ...depthwise, torchPadding })
        : new TorchConv2D({ ...dense, torchPadding })
      : spec.depthwise
        ? tfl.layers.depthwiseConv2d(depthwise)
        : tfl.layers.conv2d(dense);
    return layer.apply(x) as T;
  }

  /** Zero padding: `before` rows/columns top and left, `before + extra` bottom and right. */
  pad(x: T, before: number, extra: number, name: string): T {
    return tfl.layers
      .zeroPadding2d({
        padding: [
          [before, before + extra],
          [before, before + extra],
        ],
        name,
      })
      .apply(x) as T;
  }

  /** `nn.BatchNorm2d` with PyTorch's momentum semantics and unbiased running variance. */
  bn(x: T, name: string): T {
    return new BatchNorm2d({ epsilon: this.norm.epsilon, momentum: this.norm.momentum, name }).apply(x) as T;
  }

  /** An activation (none: `x` itself). */
  act(x: T, kind: Activation): T {
    if (kind === "none") return x;
    if (kind === "relu" || kind === "relu6" || kind === "hardswish" || kind === "hardsigmoid" || kind === "silu")
      return new TorchActivation({ kind }).apply(x) as T;
    return tfl.layers.activation({ activation: kind }).apply(x) as T;
  }

  /** torchvision's `Conv2dNormActivation`: conv `prefix.0`, batch norm `prefix.1`, activation. */
  convBnAct(x: T, prefix: string, spec: ConvSpec, activation: Activation): T {
    return this.act(this.bn(this.conv(x, `${prefix}.0`, spec), `${prefix}.1`), activation);
  }

  /** Squeeze-and-excitation (`prefix.fc1`, `prefix.fc2`, both 1×1 convs with bias). */
  squeezeExcite(x: T, prefix: string, squeeze: number, inner: Activation, gate: Activation): T {
    const channels = x.shape[3] as number;
    let s = new SpatialMean({}).apply(x) as T;
    s = this.act(this.conv(s, `${prefix}.fc1`, { filters: squeeze, kernel: 1, bias: true }), inner);
    s = this.act(this.conv(s, `${prefix}.fc2`, { filters: channels, kernel: 1, bias: true }), gate);
    return new ChannelScale({}).apply([x, s]) as T;
  }

  /** `nn.MaxPool2d(kernel, stride, padding, ceil_mode)` on non-negative inputs (after a ReLU). */
  maxPool(x: T, kernel: number, stride: number, padding: number, ceilMode: boolean, name: string): T {
    const side = x.shape[1] as number;
    const span = side + 2 * padding - kernel;
    const extra = ceilMode && span % stride !== 0 ? stride - (span % stride) : 0;
    // Zero padding stands in for −∞ because the input is non-negative (it follows a ReLU).
    const input = padding > 0 || extra > 0 ? this.pad(x, padding, extra, `${name}.pad`) : x;
    return tfl.layers.maxPooling2d({ poolSize: kernel, strides: stride, padding: "valid", name }).apply(input) as T;
  }

  /** `x.mean([2, 3])` / `AdaptiveAvgPool2d(1)` + flatten. */
  globalPool(x: T): T {
    return tfl.layers.globalAveragePooling2d({}).apply(x) as T;
  }

  /** `nn.Dropout(rate)`, reproducible per step. */
  dropout(x: T, rate: number, name: string): T {
    return new StepDropout({ rate, seed: this.nextSeed(), name }).apply(x) as T;
  }

  /** `nn.Linear` named `name`. */
  dense(x: T, name: string, units: number, init: DenseInit): T {
    const fanIn = x.shape[x.shape.length - 1] as number;
    const seed = this.nextSeed();
    const bound = init === "uniform-fan-out" ? 1 / Math.sqrt(units) : 1 / Math.sqrt(fanIn);
    const kernelInitializer =
      init === "normal-0.01"
        ? tfl.initializers.randomNormal({ mean: 0, stddev: 0.01, seed })
        : tfl.initializers.randomUniform({ minval: -bound, maxval: bound, seed });
    const biasInitializer =
      init === "torch-default"
        ? tfl.initializers.randomUniform({ minval: -bound, maxval: bound, seed: this.nextSeed() })
        : tfl.initializers.zeros();
    return tfl.layers.dense({ units, kernelInitializer, biasInitializer, name }).apply(x) as T;
  }

  /** `a + b`. */
  add(a: T, b: T): T {
    return tfl.layers.add({}).apply([a, b]) as T;
  }

  /** A residual branch dropped per sample with probability `p` in training (EfficientNet). */
  stochasticDepth(x: T, p: number, name: string): T {
    return p > 0 ? (new StochasticDepth({ p, seed: this.nextSeed(), name }).apply(x) as T) : x;
  }

  /** Concatenation along channels. */
  concat(parts: T[]): T {
    return tfl.layers.concatenate({ axis: -1 }).apply(parts) as T;
  }
}

/** He-normal with fan out (tfjs computes a depthwise kernel's fan out as kh·kw, as torch does). */
function fanOut(seed: number): ReturnType<typeof tfl.initializers.varianceScaling> {
  return tfl.initializers.varianceScaling({ scale: 2, mode: "fanOut", distribution: "normal", seed });
}

/**
 * torchvision's `_make_divisible`: `v` rounded to a multiple of `divisor`, never below `divisor`
 * and never more than 10 % below `v`.
 */
export function makeDivisible(v: number, divisor = 8): number {
  const rounded = Math.max(divisor, Math.floor((v + divisor / 2) / divisor) * divisor);
  return rounded < 0.9 * v ? rounded + divisor : rounded;
}
