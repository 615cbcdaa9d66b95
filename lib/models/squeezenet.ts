/**
 * SqueezeNet v1.1 (Iandola et al. 2016) adapted to 32×32 inputs, as the paper trained it on
 * CIFAR-10: conv 3×3/2 (64) → maxpool 3/2 → fire2, fire3 → maxpool → fire4, fire5 → maxpool →
 * fire6–fire9 → dropout 0.5 → conv 1×1 (classes) → ReLU → global average pooling → logits.
 * A fire module is squeeze 1×1 (s) → ReLU → [expand 1×1 (e), expand 3×3 (e)] concatenated.
 * 727,626 parameters at 10 classes (≈ 0.73 M, as the paper reports).
 * With 32×32 inputs the maps are 16 → 7 → 3 → 1 pixels wide.
 */
import "../runtime/tfjs";
import * as tfl from "@tensorflow/tfjs-layers";
import { StepDropout } from "./dropout";
import { layerSeed } from "./mlp";

/** SqueezeNet hyperparameters. */
export interface SqueezeNetConfig {
  /** [height, width, channels]. */
  inputShape: number[];
  classes: number;
  /** Dropout before the classifier conv (0.5 in the original). */
  dropout: number;
  /**
   * The ReLU after the classifier conv (v1.1 has it). Without it the logits are the pooled conv
   * outputs and can be negative: no classifier unit can die (seed 003's collapse, notebook 04).
   */
  classifierRelu: boolean;
  /**
   * Kernel initialiser: `glorot` (Keras' default, which the paper's keras-squeezenet used) or `he`
   * (He et al. 2015, uniform; torchvision's SqueezeNet). With glorot the signal halves at every
   * fire module: conv10's outputs start near 2e-5 at 32×32 (notebook 04).
   */
  init: "glorot" | "he";
  seed: number;
}

/** Defaults: CIFAR-10 shape, 10 classes. */
export const defaultSqueezeNetConfig: Readonly<SqueezeNetConfig> = Object.freeze({
  inputShape: [32, 32, 3],
  classes: 10,
  dropout: 0.5,
  classifierRelu: true,
  init: "glorot",
  seed: 0,
});

/** Fire modules of v1.1: [squeeze, expand] filters. */
const fires: [number, number][] = [
  [16, 64],
  [16, 64],
  [32, 128],
  [32, 128],
  [48, 192],
  [48, 192],
  [64, 256],
  [64, 256],
];

/** Builds SqueezeNet v1.1 for small images (outputs logits). */
export function buildSqueezeNet(overrides: Partial<SqueezeNetConfig> = {}): tfl.LayersModel {
  const config: SqueezeNetConfig = { ...defaultSqueezeNetConfig, ...overrides };
  // conv1 ('same', stride 2) then three 3×3/2 'valid' max-pools: a map below 3×3 before a pool vanishes.
  let side = Math.ceil(Math.min(config.inputShape[0], config.inputShape[1]) / 2);
  for (let pool = 0; pool < 3; pool++) side = Math.floor((side - 3) / 2) + 1;
  if (side < 1) {
    throw new Error(
      `SqueezeNet v1.1 needs inputs of at least 29×29 (got ${config.inputShape[0]}×${config.inputShape[1]}): the third max-pool would get an empty map; pad the images (dataset fashion-mnist-32)`,
    );
  }
  let seedIndex = 0;
  const init = (): ReturnType<typeof tfl.initializers.glorotUniform> => {
    const seed = layerSeed(config.seed, seedIndex++);
    return config.init === "he" ? tfl.initializers.heUniform({ seed }) : tfl.initializers.glorotUniform({ seed });
  };
  const conv = (filters: number, kernel: number, name: string, strides = 1, relu = true): tfl.layers.Layer =>
    tfl.layers.conv2d({
      filters,
      kernelSize: kernel,
      strides,
      padding: "same",
      activation: relu ? "relu" : "linear",
      kernelInitializer: init(),
      name,
    });
  const input = tfl.input({ shape: config.inputShape, name: "image" });
  let x = conv(64, 3, "conv1", 2).apply(input) as tfl.SymbolicTensor;
  x = tfl.layers.maxPooling2d({ poolSize: 3, strides: 2, name: "pool1" }).apply(x) as tfl.SymbolicTensor;
  fires.forEach(([squeeze, expand], i) => {
    const id = `fire${i + 2}`;
    const s = conv(squeeze, 1, `${id}_squeeze`).apply(x) as tfl.SymbolicTensor;
    const e1 = conv(expand, 1, `${id}_expand1x1`).apply(s) as tfl.SymbolicTensor;
    const e3 = conv(expand, 3, `${id}_expand3x3`).apply(s) as tfl.SymbolicTensor;
    x = tfl.layers.concatenate({ axis: -1, name: `${id}_concat` }).apply([e1, e3]) as tfl.SymbolicTensor;
    if (i === 1 || i === 3)
      x = tfl.layers
        .maxPooling2d({ poolSize: 3, strides: 2, name: `pool${i === 1 ? 3 : 5}` })
        .apply(x) as tfl.SymbolicTensor;
  });
  if (config.dropout > 0)
    x = new StepDropout({ rate: config.dropout, seed: layerSeed(config.seed, 500), name: "drop9" }).apply(
      x,
    ) as tfl.SymbolicTensor;
  x = conv(config.classes, 1, "conv10", 1, config.classifierRelu).apply(x) as tfl.SymbolicTensor;
  const logits = tfl.layers.globalAveragePooling2d({ name: "gap" }).apply(x) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: logits, name: "squeezenet_v1_1" });
}
