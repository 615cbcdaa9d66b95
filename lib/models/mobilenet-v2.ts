/**
 * MobileNetV2 (Sandler et al. 2018) as torchvision builds it, at any width multiplier: conv 3×3/2
 * → 17 inverted residual blocks (expand 1×1 → depthwise 3×3 → linear 1×1, ReLU6, a shortcut where
 * shapes allow) → conv 1×1 (1280) → global average pool → dropout 0.2 → linear. 3,504,872
 * parameters at width 1.0 and 224×224 / 1000 classes.
 */
import * as tfl from "@tensorflow/tfjs-layers";
import { makeDivisible, VisionBuilder, type VisionShape } from "./vision-builder";

/** [expansion t, channels c, repeats n, first stride s], the paper's Table 2. */
const settings: [number, number, number, number][] = [
  [1, 16, 1, 1],
  [6, 24, 2, 2],
  [6, 32, 3, 2],
  [6, 64, 4, 2],
  [6, 96, 3, 1],
  [6, 160, 3, 2],
  [6, 320, 1, 1],
];

/** Builds torchvision's `mobilenet_v2(width_mult=width)` (logits out). */
export function buildMobileNetV2(shape: VisionShape, width = 1): tfl.LayersModel {
  const b = new VisionBuilder(shape.seed, { epsilon: 1e-5, momentum: 0.1 });
  const input = tfl.input({ shape: shape.inputShape, name: "image" });
  let channels = makeDivisible(32 * width);
  const last = makeDivisible(1280 * Math.max(1, width));
  let x = b.convBnAct(input, "features.0", { filters: channels, kernel: 3, stride: 2 }, "relu6");
  let index = 1;
  for (const [t, c, n, s] of settings) {
    const out = makeDivisible(c * width);
    for (let i = 0; i < n; i++, index++) {
      const stride = i === 0 ? s : 1;
      const name = `features.${index}.conv`;
      const hidden = Math.round(channels * t);
      let y = x;
      let layer = 0;
      if (t !== 1) y = b.convBnAct(y, `${name}.${layer++}`, { filters: hidden, kernel: 1 }, "relu6");
      y = b.convBnAct(y, `${name}.${layer++}`, { filters: hidden, kernel: 3, stride, depthwise: true }, "relu6");
      y = b.bn(b.conv(y, `${name}.${layer}`, { filters: out, kernel: 1 }), `${name}.${layer + 1}`);
      x = stride === 1 && channels === out ? b.add(x, y) : y;
      channels = out;
    }
  }
  x = b.convBnAct(x, `features.${index}`, { filters: last, kernel: 1 }, "relu6");
  const logits = b.dense(b.dropout(b.globalPool(x), 0.2, "classifier.0"), "classifier.1", shape.classes, "normal-0.01");
  return tfl.model({ inputs: input, outputs: logits, name: `mobilenet_v2_${width}` });
}
