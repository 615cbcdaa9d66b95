/**
 * Copying equally spaced runs of values — the inner loop of slicing, splitting and concatenating a
 * row-major tensor along an axis (a fire module's channel concat: one run per pixel). A plug-in:
 * the JS one here, a wasm SIMD one on tfjs' heap (./row-copy-wasm). Pure.
 */

/** Typed arrays a tensor lives in (float32, int32, bool). */
export type TensorValues = Float32Array | Int32Array | Uint8Array;

/**
 * Copies `rows` runs of `run` values: run r from `src` at `srcIndex + r·srcStride` to `out` at
 * `outIndex + r·outStride` (indices and strides in values). `src` and `out` do not overlap.
 */
export type RowCopy = <V extends TensorValues>(
  src: V,
  srcIndex: number,
  srcStride: number,
  out: V,
  outIndex: number,
  outStride: number,
  rows: number,
  run: number,
) => void;

/** The JS row copy: one `TypedArray.set` per run. */
export const jsRowCopy: RowCopy = (src, srcIndex, srcStride, out, outIndex, outStride, rows, run) => {
  for (let r = 0; r < rows; r++)
    out.set(src.subarray(srcIndex + r * srcStride, srcIndex + r * srcStride + run), outIndex + r * outStride);
};
