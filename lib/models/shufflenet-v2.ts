/**
 * ShuffleNetV2 ×0.5 (Ma et al. 2018) as torchvision builds it (seed 002's model): conv 3×3/2 (24)
 * → max-pool 3/2 → three stages (48, 96, 192 channels; 4, 8, 4 units) → conv 1×1 (1024) → global
 * average pool → fc. A unit at stride 1 splits the channels in half, transforms one half (1×1 →
 * depthwise 3×3 → 1×1) and concatenates; at stride 2 both branches transform the whole input.
 * Every unit ends with a channel shuffle of 2 groups. 1,366,792 parameters at 224×224 / 1000.
 */
import * as tfl from "@tensorflow/tfjs-layers";
import { VisionBuilder, type VisionShape } from "./vision-builder";
import { ChannelShuffle, ChannelSlice } from "./vision-layers";

/** Builds torchvision's `shufflenet_v2_x0_5` (logits out). */
export function buildShuffleNetV2(shape: VisionShape): tfl.LayersModel {
  const b = new VisionBuilder(shape.seed, { epsilon: 1e-5, momentum: 0.1 });
  const input = tfl.input({ shape: shape.inputShape, name: "image" });
  let x = b.act(b.bn(b.conv(input, "conv1.0", { filters: 24, kernel: 3, stride: 2 }), "conv1.1"), "relu");
  x = b.maxPool(x, 3, 2, 1, false, "maxpool");
  let channels = 24;
  [48, 96, 192].forEach((out, s) => {
    const units = [4, 8, 4][s];
    const half = out / 2;
    for (let i = 0; i < units; i++) {
      const name = `stage${s + 2}.${i}`;
      const stride = i === 0 ? 2 : 1;
      const branch2 = (from: tfl.SymbolicTensor): tfl.SymbolicTensor => {
        let y = b.act(
          b.bn(b.conv(from, `${name}.branch2.0`, { filters: half, kernel: 1 }), `${name}.branch2.1`),
          "relu",
        );
        y = b.bn(
          b.conv(y, `${name}.branch2.3`, { filters: half, kernel: 3, stride, depthwise: true }),
          `${name}.branch2.4`,
        );
        return b.act(b.bn(b.conv(y, `${name}.branch2.5`, { filters: half, kernel: 1 }), `${name}.branch2.6`), "relu");
      };
      if (stride === 1) {
        const kept = new ChannelSlice({ start: 0, size: channels / 2 }).apply(x) as tfl.SymbolicTensor;
        const moved = new ChannelSlice({ start: channels / 2, size: channels / 2 }).apply(x) as tfl.SymbolicTensor;
        x = b.concat([kept, branch2(moved)]);
      } else {
        let y = b.bn(
          b.conv(x, `${name}.branch1.0`, { filters: channels, kernel: 3, stride, depthwise: true }),
          `${name}.branch1.1`,
        );
        y = b.act(b.bn(b.conv(y, `${name}.branch1.2`, { filters: half, kernel: 1 }), `${name}.branch1.3`), "relu");
        x = b.concat([y, branch2(x)]);
      }
      x = new ChannelShuffle({ groups: 2 }).apply(x) as tfl.SymbolicTensor;
      channels = out;
    }
  });
  x = b.act(b.bn(b.conv(x, "conv5.0", { filters: 1024, kernel: 1 }), "conv5.1"), "relu");
  const logits = b.dense(b.globalPool(x), "fc", shape.classes, "torch-default");
  return tfl.model({ inputs: input, outputs: logits, name: "shufflenet_v2_x0_5" });
}
