/**
 * Concatenation of row-major tensors along one axis, the maths behind edgelab's wasm `Concat`:
 * each input is `outer` runs (the product of the axes before `axis`) of its own inner size, placed
 * side by side in every row of the output. Pure; the row copies go to a {@link RowCopy}.
 */
import { jsRowCopy, type RowCopy, type TensorValues } from "./row-copy";

/**
 * Writes `inputs` (shapes `shapes`, equal except along `axis`) one after another along `axis` into
 * `out`, whose size is their total.
 */
export function concatInto<V extends TensorValues>(
  inputs: readonly V[],
  shapes: readonly (readonly number[])[],
  axis: number,
  out: V,
  copyRows: RowCopy = jsRowCopy,
): void {
  const product = (dims: readonly number[]): number => dims.reduce((a, b) => a * b, 1);
  const outer = shapes.length > 0 ? product(shapes[0].slice(0, axis)) : 0;
  const inners = shapes.map((s) => product(s.slice(axis)));
  const total = inners.reduce((a, b) => a + b, 0);
  let offset = 0;
  inputs.forEach((x, i) => {
    if (inners[i] > 0 && outer > 0) copyRows(x, 0, inners[i], out, offset, total, outer, inners[i]);
    offset += inners[i];
  });
}
