/**
 * ResNet-18 (He et al. 2016) as torchvision builds it: conv 7×7/2 (64) → BN → ReLU → max-pool 3/2
 * → four stages of two basic blocks (64, 128, 256, 512; stride 2 from the second stage, with a
 * 1×1/2 projection on the shortcut) → global average pool → fc. 11,689,512 parameters at
 * 224×224 / 1000 classes.
 */
import * as tfl from "@tensorflow/tfjs-layers";
import { VisionBuilder, type VisionShape } from "./vision-builder";

/** Builds torchvision's `resnet18` (logits out). */
export function buildResNet18(shape: VisionShape): tfl.LayersModel {
  const b = new VisionBuilder(shape.seed, { epsilon: 1e-5, momentum: 0.1 });
  const input = tfl.input({ shape: shape.inputShape, name: "image" });
  let x = b.act(b.bn(b.conv(input, "conv1", { filters: 64, kernel: 7, stride: 2, padding: 3 }), "bn1"), "relu");
  x = b.maxPool(x, 3, 2, 1, false, "maxpool");
  let channels = 64;
  [64, 128, 256, 512].forEach((filters, stage) => {
    for (let block = 0; block < 2; block++) {
      const name = `layer${stage + 1}.${block}`;
      const stride = stage > 0 && block === 0 ? 2 : 1;
      let y = b.act(b.bn(b.conv(x, `${name}.conv1`, { filters, kernel: 3, stride }), `${name}.bn1`), "relu");
      y = b.bn(b.conv(y, `${name}.conv2`, { filters, kernel: 3 }), `${name}.bn2`);
      const shortcut =
        stride !== 1 || channels !== filters
          ? b.bn(b.conv(x, `${name}.downsample.0`, { filters, kernel: 1, stride, padding: 0 }), `${name}.downsample.1`)
          : x;
      x = b.act(b.add(y, shortcut), "relu");
      channels = filters;
    }
  });
  const logits = b.dense(b.globalPool(x), "fc", shape.classes, "torch-default");
  return tfl.model({ inputs: input, outputs: logits, name: "resnet18" });
}
