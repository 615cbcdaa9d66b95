/**
 * Column sums of a row-major [rows, cols] matrix — a reduction over every axis but the last, such
 * as a bias gradient (dy summed over batch, height and width). As a GEMM, ones(1×rows) · X, so
 * OpenBLAS does it multi-threaded; tfjs' wasm Sum would first transpose X to make the reduced
 * axes innermost.
 */
import type { Gemm } from "./gemm";

let ones = new Float32Array(0);

/** out[c] = Σ_r x[r·cols + c]. */
export function columnSums(x: Float32Array, rows: number, cols: number, out: Float32Array, gemm: Gemm): void {
  if (ones.length < rows) ones = new Float32Array(rows).fill(1);
  gemm.sgemm(false, false, 1, cols, rows, 1, ones, rows, x, cols, 0, out, cols);
}

/** True when `axes` of a rank-`rank` tensor are exactly the leading rank−1 axes (in any order). */
export function reducesLeadingAxes(axes: readonly number[], rank: number): boolean {
  if (rank < 2 || axes.length !== rank - 1) return false;
  const normalised = axes.map((a) => (a < 0 ? a + rank : a));
  return (
    normalised.every((a) => Number.isInteger(a) && a >= 0 && a < rank - 1) && new Set(normalised).size === rank - 1
  );
}
