/**
 * Copying a box out of a row-major tensor: the maths behind edgelab's wasm `Slice`, `SplitV` and
 * `Unpack`. tfjs' wasm kernels first copy the *whole* input out of the heap (`readSync`) for every
 * slice they take, so splitting or unstacking a tensor into n parts costs n full copies. These
 * read the heap in place and copy only the box, one contiguous run at a time. Pure.
 */

import { jsRowCopy, type RowCopy, type TensorValues } from "./row-copy";

export type { TensorValues } from "./row-copy";

/**
 * Copies the box starting at `begin` with extent `size` of a tensor of `shape` (values `src`) into
 * `out` (row-major, `size`'s shape). Trailing axes taken whole merge into one contiguous run; the
 * runs along the axes before it (merged too where the axis after each is whole) go to `copyRows`
 * in one call per position of the remaining outer axes.
 */
export function sliceInto<V extends TensorValues>(
  src: V,
  shape: readonly number[],
  begin: readonly number[],
  size: readonly number[],
  out: V,
  copyRows: RowCopy = jsRowCopy,
): void {
  const rank = shape.length;
  if (rank === 0) return void out.set(src.subarray(0, 1));
  if (size.some((d) => d === 0)) return;
  // The outermost axis of the contiguous run: every axis after it is taken whole.
  let inner = rank - 1;
  while (inner > 0 && size[inner] === shape[inner] && begin[inner] === 0) inner--;
  let stride = 1;
  const strides = new Array<number>(rank);
  for (let a = rank - 1; a >= 0; a--) {
    strides[a] = stride;
    stride *= shape[a];
  }
  const run = size[inner] * strides[inner];
  let base = 0;
  for (let a = 0; a < rank; a++) base += begin[a] * strides[a];
  if (inner === 0) {
    out.set(src.subarray(base, base + run));
    return;
  }
  // The row axis just before the run, merged with the axes before it while the axis after each is
  // taken whole (then stepping past its end is one step of the row stride).
  let rowAxis = inner - 1;
  let rows = size[rowAxis];
  const rowStride = strides[rowAxis];
  while (rowAxis > 0 && size[rowAxis] === shape[rowAxis]) rows *= size[--rowAxis];
  // Odometer over the axes before the row axis.
  const index = new Array<number>(rowAxis).fill(0);
  let outOffset = 0;
  let offset = base;
  for (;;) {
    copyRows(src, offset, rowStride, out, outOffset, run, rows, run);
    outOffset += rows * run;
    let a = rowAxis - 1;
    while (a >= 0) {
      index[a]++;
      offset += strides[a];
      if (index[a] < size[a]) break;
      offset -= index[a] * strides[a];
      index[a] = 0;
      a--;
    }
    if (a < 0) return;
  }
}
