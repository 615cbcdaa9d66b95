/**
 * MobileNetV3-Small and -Large (Howard et al. 2019) as torchvision builds them: conv 3×3/2 (16,
 * hard-swish) → inverted residual blocks with optional squeeze-and-excitation (hard-sigmoid gate)
 * and ReLU or hard-swish → conv 1×1 (6 × last block's channels) → global average pool → linear
 * (1024 / 1280) → hard-swish → dropout 0.2 → linear. 2,542,856 (small) and 5,483,032 (large)
 * parameters at 224×224 / 1000 classes. Batch norm: ε 0.001, momentum 0.01.
 */
import * as tfl from "@tensorflow/tfjs-layers";
import { type Activation, makeDivisible, VisionBuilder, type VisionShape } from "./vision-builder";

/** [kernel, expanded channels, out channels, squeeze-excite, activation, stride], the paper's Tables 1–2. */
type Block = [number, number, number, boolean, Activation, number];

const large: Block[] = [
  [3, 16, 16, false, "relu", 1],
  [3, 64, 24, false, "relu", 2],
  [3, 72, 24, false, "relu", 1],
  [5, 72, 40, true, "relu", 2],
  [5, 120, 40, true, "relu", 1],
  [5, 120, 40, true, "relu", 1],
  [3, 240, 80, false, "hardswish", 2],
  [3, 200, 80, false, "hardswish", 1],
  [3, 184, 80, false, "hardswish", 1],
  [3, 184, 80, false, "hardswish", 1],
  [3, 480, 112, true, "hardswish", 1],
  [3, 672, 112, true, "hardswish", 1],
  [5, 672, 160, true, "hardswish", 2],
  [5, 960, 160, true, "hardswish", 1],
  [5, 960, 160, true, "hardswish", 1],
];

const small: Block[] = [
  [3, 16, 16, true, "relu", 2],
  [3, 72, 24, false, "relu", 2],
  [3, 88, 24, false, "relu", 1],
  [5, 96, 40, true, "hardswish", 2],
  [5, 240, 40, true, "hardswish", 1],
  [5, 240, 40, true, "hardswish", 1],
  [5, 120, 48, true, "hardswish", 1],
  [5, 144, 48, true, "hardswish", 1],
  [5, 288, 96, true, "hardswish", 2],
  [5, 576, 96, true, "hardswish", 1],
  [5, 576, 96, true, "hardswish", 1],
];

/** Builds torchvision's `mobilenet_v3_small` or `mobilenet_v3_large` (logits out). */
export function buildMobileNetV3(shape: VisionShape, size: "small" | "large"): tfl.LayersModel {
  const blocks = size === "small" ? small : large;
  const b = new VisionBuilder(shape.seed, { epsilon: 0.001, momentum: 0.01 });
  const input = tfl.input({ shape: shape.inputShape, name: "image" });
  let x = b.convBnAct(input, "features.0", { filters: 16, kernel: 3, stride: 2 }, "hardswish");
  let channels = 16;
  blocks.forEach(([kernel, expanded, out, se, activation, stride], i) => {
    const name = `features.${i + 1}.block`;
    let y = x;
    let layer = 0;
    if (expanded !== channels) y = b.convBnAct(y, `${name}.${layer++}`, { filters: expanded, kernel: 1 }, activation);
    y = b.convBnAct(y, `${name}.${layer++}`, { filters: expanded, kernel, stride, depthwise: true }, activation);
    if (se)
      y = b.squeezeExcite(y, `${name}.${layer++}`, makeDivisible(Math.floor(expanded / 4)), "relu", "hardsigmoid");
    y = b.convBnAct(y, `${name}.${layer}`, { filters: out, kernel: 1 }, "none");
    x = stride === 1 && channels === out ? b.add(x, y) : y;
    channels = out;
  });
  x = b.convBnAct(x, `features.${blocks.length + 1}`, { filters: 6 * channels, kernel: 1 }, "hardswish");
  let head = b.dense(b.globalPool(x), "classifier.0", size === "small" ? 1024 : 1280, "normal-0.01");
  head = b.dropout(b.act(head, "hardswish"), 0.2, "classifier.2");
  const logits = b.dense(head, "classifier.3", shape.classes, "normal-0.01");
  return tfl.model({ inputs: input, outputs: logits, name: `mobilenet_v3_${size}` });
}
