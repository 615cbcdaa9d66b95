/**
 * EfficientNet-B0 (Tan & Le 2019) as torchvision builds it: conv 3×3/2 (32, SiLU) → 16 MBConv
 * blocks in 7 stages (expand 1×1 → depthwise k×k → squeeze-and-excitation to a quarter of the
 * block's input channels, sigmoid gate → linear 1×1; stochastic depth rising linearly to 0.2 on
 * the shortcut blocks) → conv 1×1 (1280, SiLU) → global average pool → dropout 0.2 → linear.
 * 5,288,548 parameters at 224×224 / 1000 classes.
 */
import * as tfl from "@tensorflow/tfjs-layers";
import { VisionBuilder, type VisionShape } from "./vision-builder";

/** [expansion, kernel, stride, in channels, out channels, blocks], B0's stages. */
const stages: [number, number, number, number, number, number][] = [
  [1, 3, 1, 32, 16, 1],
  [6, 3, 2, 16, 24, 2],
  [6, 5, 2, 24, 40, 2],
  [6, 3, 2, 40, 80, 3],
  [6, 5, 1, 80, 112, 3],
  [6, 5, 2, 112, 192, 4],
  [6, 3, 1, 192, 320, 1],
];

/** Builds torchvision's `efficientnet_b0` (logits out). */
export function buildEfficientNetB0(shape: VisionShape): tfl.LayersModel {
  const b = new VisionBuilder(shape.seed, { epsilon: 1e-5, momentum: 0.1 });
  const input = tfl.input({ shape: shape.inputShape, name: "image" });
  let x = b.convBnAct(input, "features.0", { filters: 32, kernel: 3, stride: 2 }, "silu");
  const total = stages.reduce((n, s) => n + s[5], 0);
  let blockId = 0;
  stages.forEach(([expand, kernel, firstStride, firstIn, out, repeats], stage) => {
    for (let i = 0; i < repeats; i++, blockId++) {
      const name = `features.${stage + 1}.${i}`;
      const channels = i === 0 ? firstIn : out;
      const stride = i === 0 ? firstStride : 1;
      const expanded = channels * expand;
      let y = x;
      let layer = 0;
      if (expanded !== channels)
        y = b.convBnAct(y, `${name}.block.${layer++}`, { filters: expanded, kernel: 1 }, "silu");
      y = b.convBnAct(y, `${name}.block.${layer++}`, { filters: expanded, kernel, stride, depthwise: true }, "silu");
      y = b.squeezeExcite(y, `${name}.block.${layer++}`, Math.max(1, Math.floor(channels / 4)), "silu", "sigmoid");
      y = b.convBnAct(y, `${name}.block.${layer}`, { filters: out, kernel: 1 }, "none");
      if (stride === 1 && channels === out)
        x = b.add(b.stochasticDepth(y, (0.2 * blockId) / total, `${name}.stochastic_depth`), x);
      else x = y;
    }
  });
  x = b.convBnAct(x, `features.${stages.length + 1}`, { filters: 1280, kernel: 1 }, "silu");
  const pooled = b.dropout(b.globalPool(x), 0.2, "classifier.0");
  const logits = b.dense(pooled, "classifier.1", shape.classes, "uniform-fan-out");
  return tfl.model({ inputs: input, outputs: logits, name: "efficientnet_b0" });
}
