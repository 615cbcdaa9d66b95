/**
 * Loads a PyTorch `state_dict` (arrays by key, in PyTorch's layouts) into a zoo model whose layers
 * are named by torchvision module path: convolution kernels [out, in, kh, kw] become tfjs'
 * [kh, kw, in, out], depthwise kernels [C, 1, kh, kw] become [kh, kw, C, 1], linear weights
 * [out, in] become [in, out], and batch norm's weight, bias, running mean and running variance
 * become gamma, beta, moving mean and moving variance. Pure: arrays in, tensors assigned.
 */
import "../runtime/tfjs";
import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";

/** One PyTorch tensor: its shape and float32 values (row-major). */
export interface TorchArray {
  shape: number[];
  data: Float32Array;
}

/** Which torch key feeds each tfjs weight suffix, and the permutation from torch's layout. */
const mapping: Record<string, { key: string; perm?: number[] }> = {
  kernel: { key: "weight" },
  depthwise_kernel: { key: "weight", perm: [2, 3, 0, 1] },
  bias: { key: "bias" },
  gamma: { key: "weight" },
  beta: { key: "bias" },
  moving_mean: { key: "running_mean" },
  moving_variance: { key: "running_var" },
};

/**
 * Assigns every weight of `model` from `state` and returns how many torch keys were used. Throws
 * naming the first weight with no key or a shape that does not match; keys the model does not use
 * (`num_batches_tracked`) are ignored.
 */
export function loadTorchStateDict(model: tfl.LayersModel, state: ReadonlyMap<string, TorchArray>): number {
  let used = 0;
  for (const layer of model.layers) {
    for (const weight of layer.weights) {
      const suffix = weight.originalName.slice(weight.originalName.lastIndexOf("/") + 1).replace(/_\d+$/, "");
      const rule = mapping[suffix];
      if (!rule) throw new Error(`${weight.originalName}: no PyTorch counterpart for "${suffix}"`);
      const key = `${layer.name}.${rule.key}`;
      const source = state.get(key);
      if (!source) throw new Error(`${weight.originalName}: the state dict has no "${key}"`);
      const perm = rule.perm ?? (suffix === "kernel" ? (source.shape.length === 4 ? [2, 3, 1, 0] : [1, 0]) : undefined);
      const value = tf.tidy(() => {
        const t = tf.tensor(source.data, source.shape, "float32");
        return perm ? tf.transpose(t, perm) : t;
      });
      if (!tf.util.arraysEqual(value.shape, weight.shape as number[])) {
        value.dispose();
        throw new Error(
          `${weight.originalName}: shape ${JSON.stringify(weight.shape)} but "${key}" gives ${JSON.stringify(value.shape)}`,
        );
      }
      weight.write(value);
      value.dispose();
      used++;
    }
  }
  return used;
}
