/**
 * The vision model zoo: torchvision's architectures (seed 001's on-device training benchmark and
 * seed 002's layer-split models), each with the layers a finetune trains — the classifier head
 * (MobileNetV3: also the 1×1 "conv head" before it), as the seed's benchmark freezes them.
 */
import type * as tfl from "@tensorflow/tfjs-layers";
import { buildEfficientNetB0 } from "./efficientnet";
import { buildMnasNet } from "./mnasnet";
import { buildMobileNetV2 } from "./mobilenet-v2";
import { parameterCount } from "./mlp";
import { buildMobileNetV3 } from "./mobilenet-v3";
import { buildResNet18 } from "./resnet";
import { buildShuffleNetV2 } from "./shufflenet-v2";
import { buildSqueezeNet11 } from "./squeezenet-1-1";
import type { VisionShape } from "./vision-builder";

/** One zoo model. */
export interface VisionModel {
  /** torchvision's builder (`torchvision.models.<name>`) and its arguments. */
  torchvision: string;
  /** timm's name, as seed 001's table uses it (null where the seed has no row). */
  timm: string | null;
  /** Parameters at 224×224 / 1000 classes (equal to torchvision's). */
  parameters: number;
  /**
   * ImageNet-1K top-1 accuracy (%) of torchvision's IMAGENET1K_V1 weights, as torchvision publishes
   * it (`weights.meta`); null where torchvision has no weights (MobileNetV2 ×0.5).
   */
  imagenetTop1: number | null;
  /** Layers (by torchvision module path) trained when finetuning; every other layer is frozen. */
  head: string[];
  build: (shape: VisionShape) => tfl.LayersModel;
}

/** The zoo by edgelab name. */
export const visionZoo: Record<string, VisionModel> = {
  resnet18: {
    torchvision: "resnet18()",
    timm: "resnet18",
    parameters: 11_689_512,
    imagenetTop1: 69.758,
    head: ["fc"],
    build: buildResNet18,
  },
  mobilenet_v2: {
    torchvision: "mobilenet_v2()",
    timm: "mobilenetv2_100",
    parameters: 3_504_872,
    imagenetTop1: 71.878,
    head: ["classifier.1"],
    build: (shape) => buildMobileNetV2(shape, 1),
  },
  mobilenet_v2_050: {
    torchvision: "mobilenet_v2(width_mult=0.5)",
    timm: "mobilenetv2_050",
    parameters: 1_968_680,
    imagenetTop1: null,
    head: ["classifier.1"],
    build: (shape) => buildMobileNetV2(shape, 0.5),
  },
  mobilenet_v3_small: {
    torchvision: "mobilenet_v3_small()",
    timm: "mobilenetv3_small_100",
    parameters: 2_542_856,
    imagenetTop1: 67.668,
    head: ["classifier.0", "classifier.3"],
    build: (shape) => buildMobileNetV3(shape, "small"),
  },
  mobilenet_v3_large: {
    torchvision: "mobilenet_v3_large()",
    timm: "mobilenetv3_large_100",
    parameters: 5_483_032,
    imagenetTop1: 74.042,
    head: ["classifier.0", "classifier.3"],
    build: (shape) => buildMobileNetV3(shape, "large"),
  },
  efficientnet_b0: {
    torchvision: "efficientnet_b0()",
    timm: "efficientnet_b0",
    parameters: 5_288_548,
    imagenetTop1: 77.692,
    head: ["classifier.1"],
    build: buildEfficientNetB0,
  },
  mnasnet1_0: {
    torchvision: "mnasnet1_0()",
    timm: "mnasnet_100",
    parameters: 4_383_312,
    imagenetTop1: 73.456,
    head: ["classifier.1"],
    build: buildMnasNet,
  },
  squeezenet1_1: {
    torchvision: "squeezenet1_1()",
    timm: null,
    parameters: 1_235_496,
    imagenetTop1: 58.178,
    head: ["classifier.1"],
    build: buildSqueezeNet11,
  },
  shufflenet_v2_x0_5: {
    torchvision: "shufflenet_v2_x0_5()",
    timm: null,
    parameters: 1_366_792,
    imagenetTop1: 60.552,
    head: ["fc"],
    build: buildShuffleNetV2,
  },
};

/**
 * Freezes every layer of `model` except those named in `head` (a finetune): frozen layers' weights
 * leave `model.trainableWeights`, so the optimizer never sees them and autodiff computes no
 * weight gradients for them. Batch norms keep normalising with batch statistics in training, as
 * PyTorch's `requires_grad_(False)` leaves them. Returns the trainable parameter count.
 */
export function freezeAllBut(model: tfl.LayersModel, head: readonly string[]): number {
  const missing = head.filter((name) => !model.layers.some((l) => l.name === name));
  if (missing.length > 0) throw new Error(`${model.name} has no layer ${missing.join(", ")} to finetune`);
  for (const layer of model.layers) layer.trainable = head.includes(layer.name);
  return parameterCount(model);
}
