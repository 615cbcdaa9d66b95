/**
 * The row copy ({@link RowCopy}) as one wasm function over tfjs' wasm heap: each run as 16-byte
 * SIMD loads and stores, the last few bytes (if any) by `memory.copy`. A channel concat or split of
 * NHWC activations copies one short run per pixel, where `TypedArray.set` on a fresh `subarray` —
 * or a `memory.copy`, a call into the engine — costs more than the copy itself (SqueezeNet-32's
 * fire modules, batch 24: ~0.6 ms a step each way with either).
 */
import type { RowCopy } from "./row-copy";
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

const [SRC, SRC_STRIDE, OUT, OUT_STRIDE, ROWS, RUN, R, J, VECTORS, TAIL] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
const get = op.localGet;
const at = (base: number, offset: number): number[][] => [get(base), get(offset), op.i32Add];

const copyRows: FunctionSpec = {
  name: "copyRows",
  params: [valType.i32, valType.i32, valType.i32, valType.i32, valType.i32, valType.i32],
  locals: [valType.i32, valType.i32, valType.i32, valType.i32],
  body: [
    // The run in 16-byte vectors, then the remaining bytes (if any) as one memory.copy.
    get(RUN),
    op.i32Const(-16),
    op.i32And,
    op.localSet(VECTORS),
    get(RUN),
    get(VECTORS),
    op.i32Sub,
    op.localSet(TAIL),
    ...forLoop(R, [op.i32Const(0)], [get(ROWS)], 1, [
      ...forLoop(J, [op.i32Const(0)], [get(VECTORS)], 16, [
        ...at(OUT, J),
        ...at(SRC, J),
        op.v128Load(),
        op.v128Store(),
      ]),
      ...ifElse([get(TAIL)], [...at(OUT, VECTORS), ...at(SRC, VECTORS), get(TAIL), op.memoryCopy]),
      ...at(SRC, SRC_STRIDE),
      op.localSet(SRC),
      ...at(OUT, OUT_STRIDE),
      op.localSet(OUT),
    ]),
  ],
};

/** The module's bytes (exported for tests). */
export const rowCopyModuleBytes: Uint8Array = encodeModule([copyRows]);

/**
 * The row copy for arrays that live in `memory` (views on the wasm heap), or why it cannot load.
 * Arrays elsewhere must not be passed: their offsets mean nothing in the heap.
 */
export function rowCopyKernel(memory: WasmMemory): RowCopy | Error {
  const instance = instantiate(rowCopyModuleBytes, memory);
  if (instance instanceof Error) return instance;
  const run = instance.copyRows as (...args: number[]) => void;
  return (src, srcIndex, srcStride, out, outIndex, outStride, rows, length) => {
    const bytes = src.BYTES_PER_ELEMENT;
    run(
      src.byteOffset + srcIndex * bytes,
      srcStride * bytes,
      out.byteOffset + outIndex * bytes,
      outStride * bytes,
      rows,
      length * bytes,
    );
  };
}
