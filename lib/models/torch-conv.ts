/**
 * Convolutions with PyTorch's symmetric zero padding as a number (`torchPadding`), passed to the
 * convolution kernels themselves. tfjs-layers offers only "same" and "valid", and "same" pads
 * bottom and right alone at stride 2, so the zoo used to put a `ZeroPadding2D` before every such
 * convolution: a slightly larger copy of the input per layer, kept for the backward pass, plus a
 * slice of its gradient — and, because each copy is a little larger than the tensor before it,
 * holes in the wasm heap that no later tensor fits. Same weights, names and maths as
 * tfjs-layers' `Conv2D` and `DepthwiseConv2D` (which these extend); the dense convolution's
 * backward pass skips the input gradient where nothing needs it (a network's first layer).
 */
import "../runtime/tfjs";
import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import { conv2dOp } from "../kernels/conv-op";
import type { Conv2D, ConvLayerArgs } from "@tensorflow/tfjs-layers/dist/layers/convolutional";
import type {
  DepthwiseConv2D,
  DepthwiseConv2DLayerArgs,
} from "@tensorflow/tfjs-layers/dist/layers/convolutional_depthwise";

/**
 * tfjs-layers' registered classes (not deep imports: the package's entry point is a bundle, and a
 * second copy of a class would fail its `instanceof` checks).
 */
const registered = tf.serialization.SerializationMap.getMap().classNameMap;
const Conv2DBase = registered.Conv2D[0] as unknown as typeof Conv2D;
const DepthwiseBase = registered.DepthwiseConv2D[0] as unknown as typeof DepthwiseConv2D;

type Shape = (number | null)[];
type Kwargs = Record<string, unknown>;

/** The input shape grown by the padding on both sides: a valid convolution on it gives the output shape. */
function padded(shape: Shape | Shape[], p: number): Shape {
  const s = (Array.isArray(shape[0]) ? shape[0] : shape) as Shape;
  return s.map((d, i) => ((i === 1 || i === 2) && d !== null ? d + 2 * p : d));
}

function one(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor4D {
  return (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
}

/** Args of {@link TorchConv2D}: tfjs' Conv2D args plus the padding on each side. */
export type TorchConv2DArgs = ConvLayerArgs & { torchPadding: number };

/** `nn.Conv2d(…, padding=p)` without groups, NHWC. */
export class TorchConv2D extends Conv2DBase {
  static override className = "TorchConv2D";
  readonly torchPadding: number;

  constructor(args: TorchConv2DArgs) {
    super({ ...args, padding: "valid" });
    this.torchPadding = args.torchPadding;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const x = one(inputs);
      const filter = this.kernel.read() as tf.Tensor4D;
      const bias = this.bias?.read() as tf.Tensor1D | undefined;
      const strides = this.strides as [number, number];
      const dilations = this.dilationRate as [number, number];
      const y = dilations.every((d) => d === 1)
        ? conv2dOp(x, filter, bias, strides, this.torchPadding)
        : tf.fused.conv2d({ x, filter, strides, pad: this.torchPadding, dataFormat: "NHWC", dilations, bias });
      return this.activation.apply(y);
    });
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape | Shape[] {
    return super.computeOutputShape(padded(inputShape, this.torchPadding));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), torchPadding: this.torchPadding };
  }
}
tf.serialization.registerClass(TorchConv2D);

/** Args of {@link TorchDepthwiseConv2D}: tfjs' DepthwiseConv2D args plus the padding on each side. */
export type TorchDepthwiseConv2DArgs = DepthwiseConv2DLayerArgs & { torchPadding: number };

/** `nn.Conv2d(c, c, …, groups=c, padding=p)`, NHWC. */
export class TorchDepthwiseConv2D extends DepthwiseBase {
  static override className = "TorchDepthwiseConv2D";
  readonly torchPadding: number;

  constructor(args: TorchDepthwiseConv2DArgs) {
    super({ ...args, padding: "valid" });
    this.torchPadding = args.torchPadding;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      let y: tf.Tensor = tf.depthwiseConv2d(
        one(inputs),
        // Private in tfjs-layers' typings, built by the base class.
        (this as unknown as { depthwiseKernel: tfl.LayerVariable }).depthwiseKernel.read() as tf.Tensor4D,
        this.strides as [number, number],
        this.torchPadding,
        "NHWC",
      );
      if (this.bias) y = tf.add(y, this.bias.read());
      return this.activation.apply(y);
    });
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape | Shape[] {
    return super.computeOutputShape(padded(inputShape, this.torchPadding));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), torchPadding: this.torchPadding };
  }
}
tf.serialization.registerClass(TorchDepthwiseConv2D);
