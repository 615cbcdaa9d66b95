/**
 * The five passes of training-mode batch norm (`batch-norm.ts`) as wasm SIMD loops on tfjs' wasm
 * heap, two channels per instruction in float64: each float32 is widened exactly, so every sum,
 * product and rounding is the one the JS reference performs, and results are bit-identical to it.
 * Channels must be a multiple of 4 (every zoo model's are); other counts use the JS loops.
 */
import type { BatchNormLoops } from "./batch-norm";
import type { WasmHeap } from "./wasm-heap";
import { encodeModule, forLoop, instantiate, op, valType, type FunctionSpec } from "./wasm-module";

const get = op.localGet;

/**
 * A function over `pointers` pointer parameters, then rows and row bytes; `body(ptr, row, chan, acc)`
 * emits the work for two channels, given address makers: `row(p)` = p + rowOffset + j (a row
 * array), `chan(p)` = p + j (a per-channel float32 array), `acc(p)` = p + 2j (a per-channel float64 array).
 */
function rowsFunction(
  name: string,
  pointers: number,
  body: (
    row: (p: number) => number[][],
    chan: (p: number) => number[][],
    acc: (p: number) => number[][],
    temp: number,
  ) => number[][],
): FunctionSpec {
  const [ROWS, C_BYTES] = [pointers, pointers + 1];
  const [R, J, ROW_OFF, TEMP] = [pointers + 2, pointers + 3, pointers + 4, pointers + 5];
  const row = (p: number): number[][] => [get(p), get(ROW_OFF), op.i32Add, get(J), op.i32Add];
  const chan = (p: number): number[][] => [get(p), get(J), op.i32Add];
  const acc = (p: number): number[][] => [get(p), get(J), op.i32Const(1), op.i32Shl, op.i32Add];
  return {
    name,
    params: Array<number>(pointers + 2).fill(valType.i32) as FunctionSpec["params"],
    locals: [valType.i32, valType.i32, valType.i32, valType.v128],
    body: forLoop(R, [op.i32Const(0)], [get(ROWS)], 1, [
      get(R),
      get(C_BYTES),
      op.i32Mul,
      op.localSet(ROW_OFF),
      ...forLoop(J, [op.i32Const(0)], [get(C_BYTES)], 8, body(row, chan, acc, TEMP)),
    ]),
  };
}

/** Two float32s at `address`, widened to float64x2. */
const wide = (address: number[][]): number[][] => [...address, op.v128Load64Zero(), op.f64x2PromoteLowF32x4];

/** acc[c] += x[r, c]. */
const columnSums = rowsFunction("columnSums", 2, (row, _chan, acc) => {
  const [X, ACC] = [0, 1];
  return [...acc(ACC), ...acc(ACC), op.v128Load(), ...wide(row(X)), op.f64x2Add, op.v128Store()];
});

/** acc[c] += (x[r, c] − mean[c])². */
const squaredDeviations = rowsFunction("squaredDeviations", 3, (row, chan, acc, temp) => {
  const [X, MEAN, ACC] = [0, 1, 2];
  return [
    ...wide(row(X)),
    ...wide(chan(MEAN)),
    op.f64x2Sub,
    op.localSet(temp),
    ...acc(ACC),
    ...acc(ACC),
    op.v128Load(),
    get(temp),
    get(temp),
    op.f64x2Mul,
    op.f64x2Add,
    op.v128Store(),
  ];
});

/** sumDy[c] += dy; sumDyDev[c] += dy · (x − mean[c]). */
const gradientSums = rowsFunction("gradientSums", 5, (row, chan, acc, temp) => {
  const [DY, X, MEAN, SUM_DY, SUM_DY_DEV] = [0, 1, 2, 3, 4];
  return [
    ...wide(row(DY)),
    op.localSet(temp),
    ...acc(SUM_DY),
    ...acc(SUM_DY),
    op.v128Load(),
    get(temp),
    op.f64x2Add,
    op.v128Store(),
    ...acc(SUM_DY_DEV),
    ...acc(SUM_DY_DEV),
    op.v128Load(),
    get(temp),
    ...wide(row(X)),
    ...wide(chan(MEAN)),
    op.f64x2Sub,
    op.f64x2Mul,
    op.f64x2Add,
    op.v128Store(),
  ];
});

/** y = x · scale[c] + shift[c], rounded once to float32. */
const affine = rowsFunction("affine", 4, (row, chan) => {
  const [X, SCALE, SHIFT, Y] = [0, 1, 2, 3];
  return [
    ...row(Y),
    ...wide(row(X)),
    ...wide(chan(SCALE)),
    op.f64x2Mul,
    ...wide(chan(SHIFT)),
    op.f64x2Add,
    op.f32x4DemoteF64x2Zero,
    op.v128Store64Lane(),
  ];
});

/** dx = a[c] · (dy − x · b[c] − k[c]), rounded once to float32. */
const gradientAffine = rowsFunction("gradientAffine", 6, (row, chan) => {
  const [DY, X, A, B, K, DX] = [0, 1, 2, 3, 4, 5];
  return [
    ...row(DX),
    ...wide(chan(A)),
    ...wide(row(DY)),
    ...wide(row(X)),
    ...wide(chan(B)),
    op.f64x2Mul,
    op.f64x2Sub,
    ...wide(chan(K)),
    op.f64x2Sub,
    op.f64x2Mul,
    op.f32x4DemoteF64x2Zero,
    op.v128Store64Lane(),
  ];
});

/** The module's bytes (exported for tests). */
export const batchNormModuleBytes: Uint8Array = encodeModule([
  columnSums,
  squaredDeviations,
  gradientSums,
  affine,
  gradientAffine,
]);

/**
 * The loops on `heap`, or why they cannot load. Row arrays (x, y, dy, dx) must be heap views;
 * per-channel arrays are copied through a scratch block, which {@link BatchNormLoops.prepare}
 * reserves before the caller takes its views (reserving may grow the heap).
 */
export function batchNormSimdLoops(heap: WasmHeap): BatchNormLoops | Error {
  const instance = instantiate(batchNormModuleBytes, heap.memory);
  if (instance instanceof Error) return instance;
  type Fn = (...args: number[]) => void;
  const fn = (name: string): Fn => instance[name] as Fn;
  let scratch = 0;
  let channels = 0;
  // Scratch layout: two float64 accumulators, then three float32 per-channel arrays.
  const f64 = (i: number): Float64Array => new Float64Array(heap.memory.buffer, scratch + 8 * i * channels, channels);
  const f32 = (i: number): Float32Array =>
    new Float32Array(heap.memory.buffer, scratch + 16 * channels + 4 * i * channels, channels);
  const staged = (...arrays: Float32Array[]): number[] =>
    arrays.map((a, i) => {
      f32(i).set(a);
      return f32(i).byteOffset;
    });
  const rows = (c: number, x: Float32Array, ...others: Float32Array[]): [number, number] => {
    if ([x, ...others].some((a) => a.buffer !== heap.memory.buffer))
      throw new Error("batch-norm SIMD loops: row arrays must be views on the wasm heap");
    if (c !== channels) throw new Error(`batch-norm SIMD loops: prepared for ${channels} channels, called with ${c}`);
    return [x.length / c, 4 * c];
  };
  return {
    prepare(c) {
      if (c % 4 !== 0) return false;
      scratch = heap.reserveScratch(28 * c);
      channels = c;
      return true;
    },
    columnSums(x, acc) {
      const [n, bytes] = rows(acc.length, x);
      f64(0).set(acc);
      fn("columnSums")(x.byteOffset, f64(0).byteOffset, n, bytes);
      acc.set(f64(0));
    },
    squaredDeviations(x, mean, acc) {
      const [n, bytes] = rows(acc.length, x);
      f64(0).set(acc);
      const [meanAt] = staged(mean);
      fn("squaredDeviations")(x.byteOffset, meanAt, f64(0).byteOffset, n, bytes);
      acc.set(f64(0));
    },
    gradientSums(dy, x, mean, sumDy, sumDyDev) {
      const [n, bytes] = rows(mean.length, x, dy);
      f64(0).set(sumDy);
      f64(1).set(sumDyDev);
      const [meanAt] = staged(mean);
      fn("gradientSums")(dy.byteOffset, x.byteOffset, meanAt, f64(0).byteOffset, f64(1).byteOffset, n, bytes);
      sumDy.set(f64(0));
      sumDyDev.set(f64(1));
    },
    affine(x, scale, shift, y) {
      const [n, bytes] = rows(scale.length, x, y);
      const [scaleAt, shiftAt] = staged(scale, shift);
      fn("affine")(x.byteOffset, scaleAt, shiftAt, y.byteOffset, n, bytes);
    },
    gradientAffine(dy, x, a, b, k, dx) {
      const [n, bytes] = rows(a.length, x, dy, dx);
      const [aAt, bAt, kAt] = staged(a, b, k);
      fn("gradientAffine")(dy.byteOffset, x.byteOffset, aAt, bAt, kAt, dx.byteOffset, n, bytes);
    },
  };
}
