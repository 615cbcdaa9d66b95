/**
 * A 2-D convolution (NHWC, optional bias, no dilation) whose gradients are computed per input, on
 * demand. tfjs' `fused.conv2d` wraps its kernel in `customGrad`, which computes the input gradient
 * even where nothing needs it: at a network's first convolution the input is the image (ResNet-18
 * at 224×224, batch 16: a 50 ms data-gradient convolution in a 1.5 s step). Running the kernel
 * with a registered gradient instead lets tfjs' tape skip every gradient no variable depends on,
 * as PyTorch's autograd does.
 */
import * as tf from "@tensorflow/tfjs-core";

const KERNEL = "FusedConv2D";

/** The attributes {@link conv2dOp} gives the kernel. */
interface ConvAttrs {
  strides: [number, number];
  pad: number | "same" | "valid";
  dataFormat: "NHWC";
  dilations: [number, number];
  activation: string;
}

if (tf.getGradient(KERNEL) === undefined)
  tf.registerGradient({
    kernelName: KERNEL,
    inputsToSave: ["x", "filter"],
    gradFunc: (dy, saved, attrs) => {
      const [x, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
      const g = dy as tf.Tensor4D;
      const { strides, pad, dataFormat, dilations, activation } = attrs as unknown as ConvAttrs;
      if (activation !== "linear" || dilations.some((d) => d !== 1) || dataFormat !== "NHWC")
        throw new Error(
          `FusedConv2D gradient: only linear, undilated NHWC convolutions (got ${activation}, dilations ${dilations.join("×")}, ${dataFormat})`,
        );
      const common = { strides, pad, dataFormat, dimRoundingMode: undefined };
      return {
        x: () =>
          tf.engine().runKernel("Conv2DBackpropInput", { dy: g, filter }, {
            ...common,
            inputShape: x.shape,
          } as unknown as tf.NamedAttrMap) as tf.Tensor,
        filter: () =>
          tf.engine().runKernel("Conv2DBackpropFilter", { x, dy: g }, {
            ...common,
            filterShape: filter.shape,
          } as unknown as tf.NamedAttrMap) as tf.Tensor,
        bias: () => tf.sum(g, [0, 1, 2]),
      };
    },
  });

/**
 * `x ⋆ filter + bias` in NHWC with PyTorch's symmetric zero `pad` (or tfjs' "same"/"valid"),
 * differentiable; the backward pass computes only the gradients some variable needs.
 */
export function conv2dOp(
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  bias: tf.Tensor1D | undefined,
  strides: [number, number],
  pad: number | "same" | "valid",
): tf.Tensor4D {
  const attrs: ConvAttrs = { strides, pad, dataFormat: "NHWC", dilations: [1, 1], activation: "linear" };
  const inputs: tf.NamedTensorMap = bias === undefined ? { x, filter } : { x, filter, bias };
  return tf.engine().runKernel(KERNEL, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}
