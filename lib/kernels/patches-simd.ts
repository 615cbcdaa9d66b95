/**
 * im2col, col2im and the max-pooling gradient as wasm SIMD loops on tfjs' wasm heap. In JS these patch transforms cost
 * more than the GEMMs they feed (~18 of ~28 ms of SqueezeNet-32's convolution time at batch 24):
 * their copies are runs of only Ci floats (16–64), where JS's per-element loop and bounds checks
 * dominate. Here each run is copied four floats per instruction. Same layouts and results as
 * {@link im2col} and {@link col2imAdd} in `im2col.ts` and `maxPoolGrad` in `max-pool-grad.ts`,
 * which stay the reference and the fallback. A pooling window is a patch too, so all three share
 * one loop nest.
 */
import { geometryArgs, type ConvGeometry } from "./im2col";
import type { PoolGeometry } from "./max-pool-grad";
import {
  encodeModule,
  forLoop,
  ifElse,
  instantiate,
  op,
  valType,
  type FunctionSpec,
  type WasmMemory,
} from "./wasm-module";

// Parameters (all i32): pointers in bytes, the geometry, then the pooling gradient's extra pointers.
const [SRC, DST, H, W, CI, HO, WO, FH, FW, SH, SW, PT, PL, DH, DW, B0, COUNT, Y, DY, DONE] = Array.from(
  { length: 20 },
  (_, i) => i,
);
const PARAMS = 20;
// Locals.
const [B, OY, OX, KH, KW, IY, IX, AT, PIXEL, J, CI_BYTES, CI_VEC, B_END, OUT] = Array.from(
  { length: 14 },
  (_, i) => PARAMS + i,
);
const [ZERO, NEG_INF, YV, HIT] = [34, 35, 36, 37];

const get = op.localGet;

/** Byte offset of input pixel (b, iy, ix) within an NHWC tensor. */
const pixel: number[][] = [
  get(B),
  get(H),
  op.i32Mul,
  get(IY),
  op.i32Add,
  get(W),
  op.i32Mul,
  get(IX),
  op.i32Add,
  get(CI_BYTES),
  op.i32Mul,
];

/** For j over one pixel's Ci floats: `vector` four at a time, then `scalar` one at a time. */
function channels(vector: number[][], scalar: number[][]): number[][] {
  return [
    ...forLoop(J, [op.i32Const(0)], [get(CI_VEC)], 16, vector),
    ...forLoop(J, [get(J)], [get(CI_BYTES)], 4, scalar),
  ];
}

/** Address pointer + j, or pointer + offset local + j. */
const at = (pointer: number, offset?: number): number[][] =>
  offset === undefined ? [get(pointer), get(J), op.i32Add] : [get(pointer), get(offset), op.i32Add, get(J), op.i32Add];

/**
 * The shared loop nest: for each patch row (b, oy, ox) — whose output pixel's byte offset is in
 * OUT when `perRow` runs — and tap (kh, kw), `inside` runs when the tap reads input pixel
 * (iy, ix) (its byte offset in PIXEL) and `outside` when it falls in padding; AT walks the patch
 * matrix, Ci floats per tap.
 */
function patchLoops(inside: number[][], outside: number[][], perRow: number[][] = []): number[][] {
  const tap = [
    get(OX),
    get(SW),
    op.i32Mul,
    get(PL),
    op.i32Sub,
    get(KW),
    get(DW),
    op.i32Mul,
    op.i32Add,
    op.localSet(IX),
    ...ifElse(
      [get(IY), get(H), op.i32LtU, get(IX), get(W), op.i32LtU, op.i32And],
      [...pixel, op.localSet(PIXEL), ...inside],
      outside,
    ),
    get(AT),
    get(CI_BYTES),
    op.i32Add,
    op.localSet(AT),
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
    op.localSet(IY),
    ...forLoop(KW, [op.i32Const(0)], [get(FW)], 1, tap),
  ];
  return [
    get(CI),
    op.i32Const(2),
    op.i32Shl,
    op.localTee(CI_BYTES),
    op.i32Const(-16),
    op.i32And,
    op.localSet(CI_VEC),
    get(B0),
    get(COUNT),
    op.i32Add,
    op.localSet(B_END),
    op.f32Const(0),
    op.f32x4Splat,
    op.localSet(ZERO),
    op.f32Const(-Infinity),
    op.f32x4Splat,
    op.localSet(NEG_INF),
    ...forLoop(
      B,
      [get(B0)],
      [get(B_END)],
      1,
      forLoop(
        OY,
        [op.i32Const(0)],
        [get(HO)],
        1,
        forLoop(OX, [op.i32Const(0)], [get(WO)], 1, [
          get(B),
          get(HO),
          op.i32Mul,
          get(OY),
          op.i32Add,
          get(WO),
          op.i32Mul,
          get(OX),
          op.i32Add,
          get(CI_BYTES),
          op.i32Mul,
          op.localSet(OUT),
          ...perRow,
          ...forLoop(KH, [op.i32Const(0)], [get(FH)], 1, row),
        ]),
      ),
    ),
  ];
}

const params = Array<number>(PARAMS).fill(valType.i32) as FunctionSpec["params"];
const locals = [
  ...Array<number>(14).fill(valType.i32),
  ...Array<number>(4).fill(valType.v128),
] as FunctionSpec["locals"];

/** im2col(x, col, geometry…, b0, count): patches of images [b0, b0+count) into col (from its start). */
const im2colSpec: FunctionSpec = {
  name: "im2col",
  params,
  locals,
  body: [
    get(DST),
    op.localSet(AT),
    ...patchLoops(
      channels(
        [...at(AT), ...at(SRC, PIXEL), op.v128Load(), op.v128Store()],
        [...at(AT), ...at(SRC, PIXEL), op.f32Load(), op.f32Store()],
      ),
      channels([...at(AT), get(ZERO), op.v128Store()], [...at(AT), op.f32Const(0), op.f32Store()]),
    ),
  ],
};

/** col2imAdd(col, dx, geometry…, b0, count): adds col's rows onto dx's pixels. */
const col2imSpec: FunctionSpec = {
  name: "col2imAdd",
  params,
  locals,
  body: [
    get(SRC),
    op.localSet(AT),
    ...patchLoops(
      channels(
        [...at(DST, PIXEL), ...at(DST, PIXEL), op.v128Load(), ...at(AT), op.v128Load(), op.f32x4Add, op.v128Store()],
        [...at(DST, PIXEL), ...at(DST, PIXEL), op.f32Load(), ...at(AT), op.f32Load(), op.f32Add, op.f32Store()],
      ),
      [],
    ),
  ],
};

/**
 * maxPoolGrad(x, dx, geometry…, b0, count, y, dy, done): adds each output's gradient dy to the
 * first tap of its window equal to its maximum y (tfjs' cpu semantics; a −∞/NaN maximum passes
 * nothing). DONE (Ci floats of scratch) marks channels already served in the current window.
 * dx must be zeroed first; Ci must be a multiple of 4.
 */
const maxPoolGradSpec: FunctionSpec = {
  name: "maxPoolGrad",
  params,
  locals,
  body: patchLoops(
    forLoop(J, [op.i32Const(0)], [get(CI_BYTES)], 16, [
      ...at(Y, OUT),
      op.v128Load(),
      op.localSet(YV),
      ...at(SRC, PIXEL),
      op.v128Load(),
      get(YV),
      op.f32x4Eq,
      get(YV),
      get(NEG_INF),
      op.f32x4Gt,
      op.v128And,
      ...at(DONE),
      op.v128Load(),
      op.v128AndNot,
      op.localSet(HIT),
      ...at(DST, PIXEL),
      ...at(DST, PIXEL),
      op.v128Load(),
      ...at(DY, OUT),
      op.v128Load(),
      get(HIT),
      op.v128And,
      op.f32x4Add,
      op.v128Store(),
      ...at(DONE),
      ...at(DONE),
      op.v128Load(),
      get(HIT),
      op.v128Or,
      op.v128Store(),
    ]),
    [],
    forLoop(J, [op.i32Const(0)], [get(CI_BYTES)], 16, [...at(DONE), get(ZERO), op.v128Store()]),
  ),
};

/** The module's bytes (exported for tests). */
export const patchModuleBytes: Uint8Array = encodeModule([im2colSpec, col2imSpec, maxPoolGradSpec]);

/** The transforms on heap views (arrays must be views on the module's memory). */
export interface PatchKernels {
  im2col(x: Float32Array, g: ConvGeometry, col: Float32Array, b0: number, count: number): void;
  col2imAdd(col: Float32Array, g: ConvGeometry, dx: Float32Array, b0: number, count: number): void;
  /**
   * Max-pooling gradient (as {@link maxPoolGrad}); `done` is scratch of `channels` floats.
   * Returns false, doing nothing, when channels is not a multiple of 4.
   */
  maxPoolGrad(
    dy: Float32Array,
    x: Float32Array,
    y: Float32Array,
    g: PoolGeometry,
    dx: Float32Array,
    done: Float32Array,
  ): boolean;
}

/** Instantiates the transforms on `memory`, or returns why it cannot. */
export function patchKernels(memory: WasmMemory): PatchKernels | Error {
  const instance = instantiate(patchModuleBytes, memory);
  if (instance instanceof Error) return instance;
  type Fn = (...args: number[]) => void;
  const [toCol, fromCol, poolGrad] = [instance.im2col as Fn, instance.col2imAdd as Fn, instance.maxPoolGrad as Fn];
  const geometry = geometryArgs;
  const onHeap = (...arrays: Float32Array[]): void => {
    if (arrays.some((a) => a.buffer !== memory.buffer))
      throw new Error("patch kernels: arrays must be views on the wasm heap");
  };
  return {
    im2col(x, g, col, b0, count) {
      onHeap(x, col);
      toCol(x.byteOffset, col.byteOffset, ...geometry(g), b0, count, 0, 0, 0);
    },
    col2imAdd(col, g, dx, b0, count) {
      onHeap(col, dx);
      fromCol(col.byteOffset, dx.byteOffset, ...geometry(g), b0, count, 0, 0, 0);
    },
    maxPoolGrad(dy, x, y, g, dx, done) {
      if (g.channels % 4 !== 0) return false;
      onHeap(dy, x, y, dx, done);
      dx.fill(0);
      poolGrad(
        x.byteOffset,
        dx.byteOffset,
        ...geometry({ ...g, inChannels: g.channels, outChannels: g.channels }),
        0,
        g.batch,
        y.byteOffset,
        dy.byteOffset,
        done.byteOffset,
      );
      return true;
    },
  };
}
