/**
 * Multiply-accumulates of a tfjs-layers model's forward pass per sample, counted the way
 * torchvision reports its models' "GFLOPS" (convolutions and fully connected layers; batch norm,
 * activations, pooling and additions are left out), and the floating-point work of a training
 * step. Pure over the model's layer shapes.
 */
import type * as tfl from "@tensorflow/tfjs-layers";

/** One layer's share. */
export interface LayerMacs {
  name: string;
  className: string;
  macs: number;
}

type Shape = (number | null)[];

/** Per-sample multiply-accumulates of each convolution (Conv1D, Conv2D, DepthwiseConv2D and their Torch… forms) and Dense layer (others count 0). */
export function layerMacs(model: tfl.LayersModel): LayerMacs[] {
  return model.layers.map((layer) => {
    const className = layer.getClassName();
    const out = layer.outputShape as Shape;
    const kernel = layer.weights[0]?.shape ?? [];
    const positions = out.slice(1, -1).reduce<number>((a, b) => a * (b ?? 0), 1);
    // Kernels are [k…, in, out], a depthwise one [kh, kw, in, multiplier], Dense [in, out]: at each
    // output position every kernel element is one multiply-accumulate.
    const counted = ["Conv1D", "Conv2D", "DepthwiseConv2D", "TorchConv2D", "TorchDepthwiseConv2D", "Dense"].includes(
      className,
    );
    const macs = counted ? positions * kernel.reduce<number>((a, b) => a * (b ?? 0), 1) : 0;
    return { name: layer.name, className, macs };
  });
}

/** Forward multiply-accumulates per sample (torchvision's "GFLOPS" figure × 1e9). */
export function forwardMacs(model: tfl.LayersModel): number {
  return layerMacs(model).reduce((a, l) => a + l.macs, 0);
}

/**
 * Floating-point operations of one training step per sample: forward plus the two backward
 * products (input and weight gradients), 3 × 2 × MACs — the usual estimate, which over-counts by
 * the first layer's unneeded input gradient. With `trainable` (layer names) only those layers'
 * weight gradients count, and input gradients only from the first trainable layer on.
 */
export function trainingFlops(model: tfl.LayersModel, trainable?: ReadonlySet<string>): number {
  const layers = layerMacs(model);
  if (!trainable) return 6 * layers.reduce((a, l) => a + l.macs, 0);
  const first = layers.findIndex((l) => trainable.has(l.name));
  return layers.reduce((a, l, i) => {
    const weightGrad = trainable.has(l.name) ? l.macs : 0;
    const inputGrad = first >= 0 && i > first ? l.macs : 0;
    return a + 2 * (l.macs + weightGrad + inputGrad);
  }, 0);
}
