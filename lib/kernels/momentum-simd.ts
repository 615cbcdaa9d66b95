/**
 * One fused SGD-with-momentum update per variable, as a wasm SIMD loop over tfjs' wasm heap,
 * performing tfjs' `MomentumOptimizer` float32 operations in its order (bit-identical results):
 *
 *   acc' = acc·momentum + g;  w' = acc'·(−lr) + w
 *
 * tfjs runs four element-wise kernels per variable (each an allocation, a dispatch and a pass
 * over memory); momentum 0 is plain SGD (acc' = g). Four lanes at a time; the remainder in JS.
 */
import { encodeModule, forLoop, instantiate, op, valType, type FunctionSpec, type WasmMemory } from "./wasm-module";

/** Byte offsets into the heap: inputs w, g, acc and outputs w', acc' (each `length` floats). */
export interface MomentumPointers {
  w: number;
  g: number;
  acc: number;
  outW: number;
  outAcc: number;
}

/** Runs the update on heap memory. */
export type MomentumKernel = (p: MomentumPointers, length: number, momentum: number, learningRate: number) => void;

const [W, G, ACC, OW, OACC, BYTES, MOMENTUM, NEG_LR, J] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
const get = op.localGet;
const at = (p: number): number[][] => [get(p), get(J), op.i32Add];

const update: FunctionSpec = {
  name: "momentum",
  params: [valType.i32, valType.i32, valType.i32, valType.i32, valType.i32, valType.i32, valType.f32, valType.f32],
  locals: [valType.i32],
  body: forLoop(J, [op.i32Const(0)], [get(BYTES)], 16, [
    // acc' = acc · momentum + g
    ...at(OACC),
    ...at(ACC),
    op.v128Load(),
    get(MOMENTUM),
    op.f32x4Splat,
    op.f32x4Mul,
    ...at(G),
    op.v128Load(),
    op.f32x4Add,
    op.v128Store(),
    // w' = acc' · (−lr) + w
    ...at(OW),
    ...at(OACC),
    op.v128Load(),
    get(NEG_LR),
    op.f32x4Splat,
    op.f32x4Mul,
    ...at(W),
    op.v128Load(),
    op.f32x4Add,
    op.v128Store(),
  ]),
};

/** The module's bytes (exported for tests). */
export const momentumModuleBytes: Uint8Array = encodeModule([update]);

/** Instantiates the kernel on `memory`, or returns why it cannot. */
export function momentumKernel(memory: WasmMemory): MomentumKernel | Error {
  const instance = instantiate(momentumModuleBytes, memory);
  if (instance instanceof Error) return instance;
  const run = instance.momentum as (...args: number[]) => void;
  return (p, length, momentum, learningRate) => {
    const vectors = length & ~3;
    const [m, c] = [Math.fround(momentum), Math.fround(-learningRate)];
    run(p.w, p.g, p.acc, p.outW, p.outAcc, 4 * vectors, m, c);
    if (vectors === length) return;
    const f32 = (offset: number): Float32Array => new Float32Array(memory.buffer, offset, length);
    const [w, g, acc, outW, outAcc] = [p.w, p.g, p.acc, p.outW, p.outAcc].map(f32);
    for (let i = vectors; i < length; i++) {
      outAcc[i] = Math.fround(Math.fround(acc[i] * m) + g[i]);
      outW[i] = Math.fround(Math.fround(outAcc[i] * c) + w[i]);
    }
  };
}
