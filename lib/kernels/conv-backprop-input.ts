/**
 * The input gradient of a 2-D convolution (NHWC, HWIO filter) as GEMM + col2im:
 *   dcol (M × K) = dy (M × Co) · Wᵀ (Co × K), then every patch row is added back onto dx.
 * A pointwise convolution needs no col2im: dx = dy · Wᵀ directly. Chunked over images.
 */
import type { Gemm } from "./gemm";
import { forEachChunk, isPointwise, jsPatchOps, patchSize, type ConvGeometry, type PatchOps } from "./im2col";

/** Computes dx (NHWC, length B·H·W·Ci) from dy (NHWC) and w (HWIO). */
export function conv2dBackpropInput(
  dy: Float32Array,
  w: Float32Array,
  g: ConvGeometry,
  dx: Float32Array,
  gemm: Gemm,
  patches: PatchOps = jsPatchOps,
): void {
  const K = patchSize(g);
  const rowsPerImage = g.outHeight * g.outWidth;
  const co = g.outChannels;
  if (isPointwise(g)) {
    gemm.sgemm(false, true, g.batch * rowsPerImage, K, co, 1, dy, co, w, co, 0, dx, K);
    return;
  }
  dx.fill(0);
  forEachChunk(g, (b0, count, rows) => {
    const col = patches.scratch(rows * K);
    gemm.sgemm(
      false,
      true,
      rows,
      K,
      co,
      1,
      dy.subarray(b0 * rowsPerImage * co, (b0 * rowsPerImage + rows) * co),
      co,
      w,
      co,
      0,
      col,
      K,
    );
    patches.col2imAdd(col, g, dx, b0, count);
  });
}
