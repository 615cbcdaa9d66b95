/**
 * Both gradients of a depthwise convolution with channel multiplier 1 (every zoo model's) as wasm
 * SIMD loops on tfjs' wasm heap. In JS each tap is a run of only C floats (16–1152) with a bounds
 * check per element; here four floats go per instruction. Same layouts and summation order per
 * element as {@link depthwiseBackpropInput} and {@link depthwiseBackpropFilter} in
 * `depthwise.ts`, which stay the reference and the fallback (multipliers above 1 use them).
 *
 * One loop nest serves both: for each output pixel (b, oy, ox) and tap (kh, kw) that reads input
 * pixel (iy, ix), `out[o + c] += p[i + c] · q[k + c]` over the channels, where
 * - input gradient:  out = dx at the input pixel, p = dy at the output pixel, q = the filter at the tap;
 * - filter gradient: out = dFilter at the tap, p = x at the input pixel, q = dy at the output pixel.
 * For a fixed element both visit (b, oy, ox) in the same order as the JS loops.
 */
import { geometryArgs, type ConvGeometry } from "./im2col";
import { encodeModule, forLoop, instantiate, op, valType, type FunctionSpec, type WasmMemory } from "./wasm-module";

// Parameters (i32): three pointers in bytes, then the geometry.
const [P, Q, OUT, BATCH, H, W, C, HO, WO, FH, FW, SH, SW, PT, PL, DH, DW] = Array.from({ length: 17 }, (_, i) => i);
const PARAMS = 17;
// Locals (i32).
const [B, OY, KH, IY, OX, KW, IX, J, C_BYTES, C_VEC, PIXEL, OUTPIX, TAP, A_OUT, A_P, A_Q] = Array.from(
  { length: 16 },
  (_, i) => PARAMS + i,
);

const get = op.localGet;

/** `base + offset` for a pointer parameter and a byte-offset local. */
const plus = (base: number, offset: number): number[][] => [get(base), get(offset), op.i32Add];

/** The loop nest; `addresses` sets A_OUT, A_P and A_Q from PIXEL, OUTPIX and TAP. */
function depthwiseNest(addresses: number[][]): number[][] {
  const addr = (local: number): number[][] => [get(local), get(J), op.i32Add];
  const channels = [
    ...forLoop(J, [op.i32Const(0)], [get(C_VEC)], 16, [
      ...addr(A_OUT),
      ...addr(A_OUT),
      op.v128Load(),
      ...addr(A_P),
      op.v128Load(),
      ...addr(A_Q),
      op.v128Load(),
      op.f32x4Mul,
      op.f32x4Add,
      op.v128Store(),
    ]),
    ...forLoop(J, [get(J)], [get(C_BYTES)], 4, [
      ...addr(A_OUT),
      ...addr(A_OUT),
      op.f32Load(),
      ...addr(A_P),
      op.f32Load(),
      ...addr(A_Q),
      op.f32Load(),
      op.f32Mul,
      op.f32Add,
      op.f32Store(),
    ]),
  ];
  const tap = [
    // ix = ox·sw − padLeft + kw·dw; unsigned compare also rejects negatives.
    get(OX),
    get(SW),
    op.i32Mul,
    get(PL),
    op.i32Sub,
    get(KW),
    get(DW),
    op.i32Mul,
    op.i32Add,
    op.localTee(IX),
    get(W),
    op.i32LtU,
    op.if,
    // PIXEL = ((b·H + iy)·W + ix)·C·4; TAP = (kh·FW + kw)·C·4.
    get(B),
    get(H),
    op.i32Mul,
    get(IY),
    op.i32Add,
    get(W),
    op.i32Mul,
    get(IX),
    op.i32Add,
    get(C_BYTES),
    op.i32Mul,
    op.localSet(PIXEL),
    get(KH),
    get(FW),
    op.i32Mul,
    get(KW),
    op.i32Add,
    get(C_BYTES),
    op.i32Mul,
    op.localSet(TAP),
    ...addresses,
    ...channels,
    op.end,
  ];
  const column = [
    // OUTPIX = ((b·Ho + oy)·Wo + ox)·C·4.
    get(B),
    get(HO),
    op.i32Mul,
    get(OY),
    op.i32Add,
    get(WO),
    op.i32Mul,
    get(OX),
    op.i32Add,
    get(C_BYTES),
    op.i32Mul,
    op.localSet(OUTPIX),
    ...forLoop(KW, [op.i32Const(0)], [get(FW)], 1, tap),
  ];
  const row = [
    get(OY),
    get(SH),
    op.i32Mul,
    get(PT),
    op.i32Sub,
    get(KH),
    get(DH),
    op.i32Mul,
    op.i32Add,
    op.localTee(IY),
    get(H),
    op.i32LtU,
    op.if,
    ...forLoop(OX, [op.i32Const(0)], [get(WO)], 1, column),
    op.end,
  ];
  return [
    get(C),
    op.i32Const(2),
    op.i32Shl,
    op.localTee(C_BYTES),
    op.i32Const(-16),
    op.i32And,
    op.localSet(C_VEC),
    ...forLoop(
      B,
      [op.i32Const(0)],
      [get(BATCH)],
      1,
      forLoop(OY, [op.i32Const(0)], [get(HO)], 1, forLoop(KH, [op.i32Const(0)], [get(FH)], 1, row)),
    ),
  ];
}

const params = Array<number>(PARAMS).fill(valType.i32) as FunctionSpec["params"];
const locals = Array<number>(16).fill(valType.i32) as FunctionSpec["locals"];

/** dx(dy, filter, dx, geometry…): dx must be zeroed first. */
const inputSpec: FunctionSpec = {
  name: "depthwiseInput",
  params,
  locals,
  body: depthwiseNest([
    ...plus(OUT, PIXEL),
    op.localSet(A_OUT),
    ...plus(P, OUTPIX),
    op.localSet(A_P),
    ...plus(Q, TAP),
    op.localSet(A_Q),
  ]),
};

/** dFilter(x, dy, dFilter, geometry…): dFilter must be zeroed first. */
const filterSpec: FunctionSpec = {
  name: "depthwiseFilter",
  params,
  locals,
  body: depthwiseNest([
    ...plus(OUT, TAP),
    op.localSet(A_OUT),
    ...plus(P, PIXEL),
    op.localSet(A_P),
    ...plus(Q, OUTPIX),
    op.localSet(A_Q),
  ]),
};

/** The module's bytes (exported for tests). */
export const depthwiseModuleBytes: Uint8Array = encodeModule([inputSpec, filterSpec]);

/** The two gradients on heap views (arrays must be views on the module's memory). */
export interface DepthwiseKernels {
  /** As {@link depthwiseBackpropInput}; false (nothing done) when the channel multiplier is not 1. */
  backpropInput(dy: Float32Array, filter: Float32Array, g: ConvGeometry, dx: Float32Array): boolean;
  /** As {@link depthwiseBackpropFilter}; false (nothing done) when the channel multiplier is not 1. */
  backpropFilter(x: Float32Array, dy: Float32Array, g: ConvGeometry, dFilter: Float32Array): boolean;
}

/** Instantiates the kernels on `memory`, or returns why it cannot (e.g. no wasm SIMD). */
export function depthwiseKernels(memory: WasmMemory): DepthwiseKernels | Error {
  const instance = instantiate(depthwiseModuleBytes, memory);
  if (instance instanceof Error) return instance;
  type Fn = (...args: number[]) => void;
  const [input, filter] = [instance.depthwiseInput as Fn, instance.depthwiseFilter as Fn];
  const geometry = (g: ConvGeometry): number[] => [g.batch, ...geometryArgs(g)];
  const ready = (g: ConvGeometry, ...arrays: Float32Array[]): boolean => {
    if (arrays.some((a) => a.buffer !== memory.buffer))
      throw new Error("depthwise kernels: arrays must be views on the wasm heap");
    return g.outChannels === g.inChannels;
  };
  return {
    backpropInput(dy, filterValues, g, dx) {
      if (!ready(g, dy, filterValues, dx)) return false;
      dx.fill(0);
      input(dy.byteOffset, filterValues.byteOffset, dx.byteOffset, ...geometry(g));
      return true;
    },
    backpropFilter(x, dy, g, dFilter) {
      if (!ready(g, x, dy, dFilter)) return false;
      dFilter.fill(0);
      filter(x.byteOffset, dy.byteOffset, dFilter.byteOffset, ...geometry(g));
      return true;
    },
  };
}
