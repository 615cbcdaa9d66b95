/**
 * ReLU, ReLU6, hard-swish and hard-sigmoid, forward and backward, as wasm SIMD loops on tfjs' wasm heap (four
 * floats per instruction); the tail of fewer than four elements and SiLU (which needs exp) run the
 * JS loops of `activation.ts`.
 */
import { activationBackward, activationForward, type TorchActivationKind } from "./activation";
import { encodeModule, forLoop, instantiate, op, valType, type FunctionSpec, type WasmMemory } from "./wasm-module";

const get = op.localGet;
const splat = (value: number): number[][] => [op.f32Const(value), op.f32x4Splat];

/** `out[j] = value(j)` over `bytes` bytes, 16 at a time; `load(p)` loads the vector of pointer p at j. */
function elementwise(
  name: string,
  pointers: number,
  value: (load: (p: number) => number[][]) => number[][],
): FunctionSpec {
  const [BYTES, J] = [pointers, pointers + 1];
  const OUT = pointers - 1;
  const load = (p: number): number[][] => [get(p), get(J), op.i32Add, op.v128Load()];
  return {
    name,
    params: Array<number>(pointers + 1).fill(valType.i32) as FunctionSpec["params"],
    locals: [valType.i32],
    body: forLoop(J, [op.i32Const(0)], [get(BYTES)], 16, [get(OUT), get(J), op.i32Add, ...value(load), op.v128Store()]),
  };
}

/** relu6(x + 3) / 6 of the vector `x` (instructions leaving it on the stack). */
const gate = (x: number[][]): number[][] => [
  ...x,
  ...splat(3),
  op.f32x4Add,
  ...splat(0),
  op.f32x4Max,
  ...splat(6),
  op.f32x4Min,
  ...splat(1 / 6),
  op.f32x4Mul,
];

/** −3 < x < 3 as a lane mask. */
const inside = (x: number[][]): number[][] => [
  ...x,
  ...splat(-3),
  op.f32x4Gt,
  ...x,
  ...splat(3),
  op.f32x4Lt,
  op.v128And,
];

// (x, y): y = x · gate(x)
const hardswish = elementwise("hardswish", 2, (load) => [...load(0), ...gate(load(0)), op.f32x4Mul]);
// (x, y): y = gate(x)
const hardsigmoid = elementwise("hardsigmoid", 2, (load) => gate(load(0)));
// (x, dy, dx): dx = dy · (inside ? (2x + 3)/6 : x ≥ 3 ? 1 : 0)
const hardswishGrad = elementwise("hardswishGrad", 3, (load) => [
  ...load(1),
  ...load(0),
  ...splat(2),
  op.f32x4Mul,
  ...splat(3),
  op.f32x4Add,
  ...splat(1 / 6),
  op.f32x4Mul,
  ...load(0),
  ...splat(3),
  op.f32x4Ge,
  ...splat(1),
  op.v128And,
  ...inside(load(0)),
  op.v128Bitselect,
  op.f32x4Mul,
]);
// (x, dy, dx): dx = inside ? dy / 6 : 0
const hardsigmoidGrad = elementwise("hardsigmoidGrad", 3, (load) => [
  ...load(1),
  ...splat(1 / 6),
  op.f32x4Mul,
  ...inside(load(0)),
  op.v128And,
]);

// (x, y): y = max(x, 0)
const relu = elementwise("relu", 2, (load) => [...load(0), ...splat(0), op.f32x4Max]);
// (x, y): y = min(max(x, 0), 6)
const relu6 = elementwise("relu6", 2, (load) => [...load(0), ...splat(0), op.f32x4Max, ...splat(6), op.f32x4Min]);
// (x, dy, dx): dx = x > 0 ? dy : 0
const reluGrad = elementwise("reluGrad", 3, (load) => [...load(1), ...load(0), ...splat(0), op.f32x4Gt, op.v128And]);
// (x, dy, dx): dx = 0 < x < 6 ? dy : 0
const relu6Grad = elementwise("relu6Grad", 3, (load) => [
  ...load(1),
  ...load(0),
  ...splat(0),
  op.f32x4Gt,
  ...load(0),
  ...splat(6),
  op.f32x4Lt,
  op.v128And,
  op.v128And,
]);

/** The module's bytes (exported for tests). */
export const activationModuleBytes: Uint8Array = encodeModule([
  hardswish,
  hardsigmoid,
  hardswishGrad,
  hardsigmoidGrad,
  relu,
  relu6,
  reluGrad,
  relu6Grad,
]);

/** Forward and backward on heap views (arrays must be views on the module's memory). */
export interface ActivationKernels {
  forward(kind: TorchActivationKind, x: Float32Array, y: Float32Array): void;
  backward(kind: TorchActivationKind, x: Float32Array, dy: Float32Array, dx: Float32Array): void;
}

/** Instantiates the kernels on `memory`, or returns why it cannot. */
export function activationKernels(memory: WasmMemory): ActivationKernels | Error {
  const instance = instantiate(activationModuleBytes, memory);
  if (instance instanceof Error) return instance;
  type Fn = (...args: number[]) => void;
  const fn = (name: string): Fn => instance[name] as Fn;
  const onHeap = (...arrays: Float32Array[]): number => {
    if (arrays.some((a) => a.buffer !== memory.buffer))
      throw new Error("activation kernels: arrays must be views on the wasm heap");
    return arrays[0].length & ~3;
  };
  return {
    forward(kind, x, y) {
      if (kind === "silu") return activationForward(kind, x, y);
      const vectors = onHeap(x, y);
      fn(kind)(x.byteOffset, y.byteOffset, 4 * vectors);
      activationForward(kind, x, y, vectors);
    },
    backward(kind, x, dy, dx) {
      if (kind === "silu") return activationBackward(kind, x, dy, dx);
      const vectors = onHeap(x, dy, dx);
      fn(`${kind}Grad`)(x.byteOffset, dy.byteOffset, dx.byteOffset, 4 * vectors);
      activationBackward(kind, x, dy, dx, vectors);
    },
  };
}
