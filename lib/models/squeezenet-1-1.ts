/**
 * SqueezeNet 1.1 as torchvision builds it for 224×224 images (seed 002's model; edgelab's
 * `squeezenet` is the 32×32 CIFAR adaptation the MPI paper trained): conv 3×3/2 (64, unpadded) →
 * max-pool 3/2 (ceil mode) → fire ×2 → pool → fire ×2 → pool → fire ×4 → dropout 0.5 → conv 1×1
 * (classes) → ReLU → global average pool. 1,235,496 parameters at 1000 classes.
 */
import * as tfl from "@tensorflow/tfjs-layers";
import { VisionBuilder, type VisionShape } from "./vision-builder";

/** `features.N` → [squeeze, expand] for the fire modules; pools at features.2, .5 and .8. */
const fires: Record<number, [number, number]> = {
  3: [16, 64],
  4: [16, 64],
  6: [32, 128],
  7: [32, 128],
  9: [48, 192],
  10: [48, 192],
  11: [64, 256],
  12: [64, 256],
};

/** Builds torchvision's `squeezenet1_1` (logits out). */
export function buildSqueezeNet11(shape: VisionShape): tfl.LayersModel {
  const b = new VisionBuilder(shape.seed, { epsilon: 1e-5, momentum: 0.1 });
  const input = tfl.input({ shape: shape.inputShape, name: "image" });
  let x = b.act(b.conv(input, "features.0", { filters: 64, kernel: 3, stride: 2, padding: 0, bias: true }), "relu");
  for (let index = 2; index <= 12; index++) {
    const fire = fires[index];
    if (!fire) {
      x = b.maxPool(x, 3, 2, 0, true, `features.${index}`);
      continue;
    }
    const [squeeze, expand] = fire;
    const s = b.act(b.conv(x, `features.${index}.squeeze`, { filters: squeeze, kernel: 1, bias: true }), "relu");
    const e1 = b.act(b.conv(s, `features.${index}.expand1x1`, { filters: expand, kernel: 1, bias: true }), "relu");
    const e3 = b.act(b.conv(s, `features.${index}.expand3x3`, { filters: expand, kernel: 3, bias: true }), "relu");
    x = b.concat([e1, e3]);
  }
  x = b.dropout(x, 0.5, "classifier.0");
  x = b.act(b.conv(x, "classifier.1", { filters: shape.classes, kernel: 1, bias: true }), "relu");
  return tfl.model({ inputs: input, outputs: b.globalPool(x), name: "squeezenet1_1" });
}
