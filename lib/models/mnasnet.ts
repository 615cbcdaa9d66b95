/**
 * MNASNet-1.0 (Tan et al. 2019) as torchvision builds it: conv 3×3/2 (32) → depthwise 3×3 →
 * linear 1×1 (16) → six stacks of inverted residuals (expansion 3 or 6, kernels 3 or 5) → conv 1×1
 * (1280) → global average pool → dropout 0.2 → linear. All activations ReLU; batch norm momentum
 * 0.0003 (TensorFlow's 0.9997). 4,383,312 parameters at 224×224 / 1000 classes.
 */
import * as tfl from "@tensorflow/tfjs-layers";
import { VisionBuilder, type VisionShape } from "./vision-builder";

/** [out channels, kernel, first stride, expansion, repeats] for `layers.8` … `layers.13`. */
const stacks: [number, number, number, number, number][] = [
  [24, 3, 2, 3, 3],
  [40, 5, 2, 3, 3],
  [80, 5, 2, 6, 3],
  [96, 3, 1, 6, 2],
  [192, 5, 2, 6, 4],
  [320, 3, 1, 6, 1],
];

/** Builds torchvision's `mnasnet1_0` (logits out). */
export function buildMnasNet(shape: VisionShape): tfl.LayersModel {
  const b = new VisionBuilder(shape.seed, { epsilon: 1e-5, momentum: 1 - 0.9997 });
  const input = tfl.input({ shape: shape.inputShape, name: "image" });
  let x = b.act(b.bn(b.conv(input, "layers.0", { filters: 32, kernel: 3, stride: 2 }), "layers.1"), "relu");
  x = b.act(b.bn(b.conv(x, "layers.3", { filters: 32, kernel: 3, depthwise: true }), "layers.4"), "relu");
  x = b.bn(b.conv(x, "layers.6", { filters: 16, kernel: 1 }), "layers.7");
  let channels = 16;
  stacks.forEach(([out, kernel, firstStride, expansion, repeats], s) => {
    for (let i = 0; i < repeats; i++) {
      const name = `layers.${8 + s}.${i}.layers`;
      const stride = i === 0 ? firstStride : 1;
      const mid = channels * expansion;
      let y = b.act(b.bn(b.conv(x, `${name}.0`, { filters: mid, kernel: 1 }), `${name}.1`), "relu");
      y = b.act(b.bn(b.conv(y, `${name}.3`, { filters: mid, kernel, stride, depthwise: true }), `${name}.4`), "relu");
      y = b.bn(b.conv(y, `${name}.6`, { filters: out, kernel: 1 }), `${name}.7`);
      x = stride === 1 && channels === out ? b.add(y, x) : y;
      channels = out;
    }
  });
  x = b.act(b.bn(b.conv(x, "layers.14", { filters: 1280, kernel: 1 }), "layers.15"), "relu");
  const pooled = b.dropout(b.globalPool(x), 0.2, "classifier.0");
  const logits = b.dense(pooled, "classifier.1", shape.classes, "uniform-fan-out");
  return tfl.model({ inputs: input, outputs: logits, name: "mnasnet1_0" });
}
