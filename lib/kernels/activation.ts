/**
 * PyTorch's ReLU, ReLU6, hard-swish, hard-sigmoid and SiLU and their gradients as single loops over the values
 * (the reference for `activation-simd.ts`, and the kernels on backends without it). tfjs composes
 * each from two to eight element-wise kernels per direction (ReLU6 as a broadcast `Minimum`, whose
 * gradient runs a broadcast `Greater` that wasm takes ~15 ms over for one MobileNetV2 tensor).
 * Gradients follow PyTorch's: ReLU dy where x > 0; ReLU6 dy strictly inside (0, 6); hard-swish 0 at or below −3, 1 at or above 3, (2x + 3)/6 between; hard-sigmoid 1/6 strictly
 * inside (−3, 3), else 0; SiLU σ(x)(1 + x(1 − σ(x))).
 */

/** Activations PyTorch defines differently from Keras (or that tfjs would save four tensors for). */
export type TorchActivationKind = "relu" | "relu6" | "hardswish" | "hardsigmoid" | "silu";

/** y = f(x) for elements [from, x.length). */
export function activationForward(kind: TorchActivationKind, x: Float32Array, y: Float32Array, from = 0): void {
  const n = x.length;
  if (kind === "relu") for (let i = from; i < n; i++) y[i] = Math.max(x[i], 0);
  else if (kind === "relu6") for (let i = from; i < n; i++) y[i] = Math.min(Math.max(x[i], 0), 6);
  else if (kind === "silu") for (let i = from; i < n; i++) y[i] = x[i] / (1 + Math.exp(-x[i]));
  else if (kind === "hardswish") for (let i = from; i < n; i++) y[i] = (x[i] * Math.min(Math.max(x[i] + 3, 0), 6)) / 6;
  else for (let i = from; i < n; i++) y[i] = Math.min(Math.max(x[i] + 3, 0), 6) / 6;
}

/** dx = f′(x) · dy for elements [from, x.length). */
export function activationBackward(
  kind: TorchActivationKind,
  x: Float32Array,
  dy: Float32Array,
  dx: Float32Array,
  from = 0,
): void {
  const n = x.length;
  if (kind === "relu") for (let i = from; i < n; i++) dx[i] = x[i] > 0 ? dy[i] : 0;
  else if (kind === "relu6") for (let i = from; i < n; i++) dx[i] = x[i] > 0 && x[i] < 6 ? dy[i] : 0;
  else if (kind === "silu")
    for (let i = from; i < n; i++) {
      const s = 1 / (1 + Math.exp(-x[i]));
      dx[i] = dy[i] * s * (1 + x[i] * (1 - s));
    }
  else if (kind === "hardswish")
    for (let i = from; i < n; i++) {
      const v = x[i];
      dx[i] = dy[i] * (v > -3 && v < 3 ? (2 * v + 3) / 6 : v >= 3 ? 1 : 0);
    }
  else for (let i = from; i < n; i++) dx[i] = x[i] > -3 && x[i] < 3 ? dy[i] / 6 : 0;
}
