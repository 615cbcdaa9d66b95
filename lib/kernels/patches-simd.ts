/**
 * im2col and col2im as wasm SIMD loops on tfjs' wasm heap. In JS these patch transforms cost
 * more than the GEMMs they feed (~18 of ~28 ms of SqueezeNet-32's convolution time at batch 24):
 * their copies are runs of only Ci floats (16–64), where JS's per-element loop and bounds checks
 * dominate. Here each run is copied four floats per instruction. Same layouts and results as
 * {@link im2col} and {@link col2imAdd} in `im2col.ts`, which stay the reference and the fallback.
 */
import type { ConvGeometry } from "./im2col";
import { encodeModule, forLoop, ifElse, instantiate, op, valType, type FunctionSpec, type WasmMemory } from "./wasm-module";

// Parameters (all i32): pointers in bytes, then the geometry.
const [SRC, DST, H, W, CI, HO, WO, FH, FW, SH, SW, PT, PL, DH, DW, B0, COUNT] = Array.from({ length: 17 }, (_, i) => i);
// Locals.
const [B, OY, OX, KH, KW, IY, IX, AT, PIXEL, J, CI_BYTES, CI_VEC, B_END] = Array.from({ length: 13 }, (_, i) => 17 + i);
const ZERO = 30;

const get = op.localGet;

/** Byte address of input pixel (b, iy, ix) relative to the tensor at parameter `base`. */
const pixel = (base: number): number[][] => [
  get(base), get(B), get(H), op.i32Mul, get(IY), op.i32Add, get(W), op.i32Mul, get(IX), op.i32Add, get(CI_BYTES), op.i32Mul, op.i32Add,
];

/** For j over one pixel's Ci floats: `vector` four at a time, then `scalar` one at a time. */
function channels(vector: number[][], scalar: number[][]): number[][] {
  return [
    ...forLoop(J, [op.i32Const(0)], [get(CI_VEC)], 16, vector),
    ...forLoop(J, [get(J)], [get(CI_BYTES)], 4, scalar),
  ];
}

const at = (pointer: number): number[][] => [get(pointer), get(J), op.i32Add];

/**
 * The shared loop nest: for each patch row (b, oy, ox) and tap (kh, kw), `inside` runs when the
 * tap reads input pixel (iy, ix) (its address in PIXEL) and `outside` when it falls in padding;
 * AT walks the patch matrix, Ci floats per tap.
 */
function patchLoops(tensor: number, inside: number[][], outside: number[][]): number[][] {
  const tap = [
    get(OX), get(SW), op.i32Mul, get(PL), op.i32Sub, get(KW), get(DW), op.i32Mul, op.i32Add, op.localSet(IX),
    ...ifElse(
      [get(IY), get(H), op.i32LtU, get(IX), get(W), op.i32LtU, op.i32And],
      [...pixel(tensor), op.localSet(PIXEL), ...inside],
      outside,
    ),
    get(AT), get(CI_BYTES), op.i32Add, op.localSet(AT),
  ];
  const row = [
    get(OY), get(SH), op.i32Mul, get(PT), op.i32Sub, get(KH), get(DH), op.i32Mul, op.i32Add, op.localSet(IY),
    ...forLoop(KW, [op.i32Const(0)], [get(FW)], 1, tap),
  ];
  return [
    get(CI), op.i32Const(2), op.i32Shl, op.localTee(CI_BYTES), op.i32Const(-16), op.i32And, op.localSet(CI_VEC),
    get(B0), get(COUNT), op.i32Add, op.localSet(B_END),
    op.f32Const0, op.f32x4Splat, op.localSet(ZERO),
    ...forLoop(B, [get(B0)], [get(B_END)], 1,
      forLoop(OY, [op.i32Const(0)], [get(HO)], 1,
        forLoop(OX, [op.i32Const(0)], [get(WO)], 1,
          forLoop(KH, [op.i32Const(0)], [get(FH)], 1, row)))),
  ];
}

const params = Array<number>(17).fill(valType.i32) as FunctionSpec["params"];
const locals = [...Array<number>(13).fill(valType.i32), valType.v128] as FunctionSpec["locals"];

/** im2col(x, col, geometry…, b0, count): patches of images [b0, b0+count) into col (from its start). */
const im2colSpec: FunctionSpec = {
  name: "im2col", params, locals,
  body: [
    get(DST), op.localSet(AT),
    ...patchLoops(SRC,
      channels(
        [...at(AT), ...at(PIXEL), op.v128Load(), op.v128Store()],
        [...at(AT), ...at(PIXEL), op.f32Load(), op.f32Store()],
      ),
      channels(
        [...at(AT), get(ZERO), op.v128Store()],
        [...at(AT), op.f32Const0, op.f32Store()],
      )),
  ],
};

/** col2imAdd(col, dx, geometry…, b0, count): adds col's rows onto dx's pixels. */
const col2imSpec: FunctionSpec = {
  name: "col2imAdd", params, locals,
  body: [
    get(SRC), op.localSet(AT),
    ...patchLoops(DST,
      channels(
        [...at(PIXEL), ...at(PIXEL), op.v128Load(), ...at(AT), op.v128Load(), op.f32x4Add, op.v128Store()],
        [...at(PIXEL), ...at(PIXEL), op.f32Load(), ...at(AT), op.f32Load(), op.f32Add, op.f32Store()],
      ),
      []),
  ],
};

/** The module's bytes (exported for tests). */
export const patchModuleBytes: Uint8Array = encodeModule([im2colSpec, col2imSpec]);

/** The two transforms on heap views (arrays must be views on the module's memory). */
export interface PatchKernels {
  im2col(x: Float32Array, g: ConvGeometry, col: Float32Array, b0: number, count: number): void;
  col2imAdd(col: Float32Array, g: ConvGeometry, dx: Float32Array, b0: number, count: number): void;
}

/** Instantiates the transforms on `memory`, or returns why it cannot. */
export function patchKernels(memory: WasmMemory): PatchKernels | Error {
  const instance = instantiate(patchModuleBytes, memory);
  if (instance instanceof Error) return instance;
  type Fn = (...args: number[]) => void;
  const [toCol, fromCol] = [instance.im2col as Fn, instance.col2imAdd as Fn];
  const geometry = (g: ConvGeometry): number[] => [
    g.inHeight, g.inWidth, g.inChannels, g.outHeight, g.outWidth, g.filterHeight, g.filterWidth,
    g.strideHeight, g.strideWidth, g.padTop, g.padLeft, g.dilationHeight ?? 1, g.dilationWidth ?? 1,
  ];
  const onHeap = (...arrays: Float32Array[]): void => {
    if (arrays.some((a) => a.buffer !== memory.buffer)) throw new Error("patch kernels: arrays must be views on the wasm heap");
  };
  return {
    im2col(x, g, col, b0, count) {
      onHeap(x, col);
      toCol(x.byteOffset, col.byteOffset, ...geometry(g), b0, count);
    },
    col2imAdd(col, g, dx, b0, count) {
      onHeap(col, dx);
      fromCol(col.byteOffset, dx.byteOffset, ...geometry(g), b0, count);
    },
  };
}
