/**
 * Forward 2-D convolution (NHWC input, HWIO filter) as im2col + GEMM:
 *   y (M × Co) = col (M × K) · W (K × Co), M = B·Ho·Wo, K = Fh·Fw·Ci,
 * the HWIO filter being exactly the K × Co matrix. Chunked over images to bound scratch memory.
 */
import type { Gemm } from "./gemm";
import { forEachChunk, isPointwise, jsPatchOps, patchSize, type ConvGeometry, type PatchOps } from "./im2col";

/** Computes y (NHWC, length B·Ho·Wo·Co) from x (NHWC) and w (HWIO). */
export function conv2dForward(
  x: Float32Array,
  w: Float32Array,
  g: ConvGeometry,
  y: Float32Array,
  gemm: Gemm,
  patches: PatchOps = jsPatchOps,
): void {
  const K = patchSize(g);
  const rowsPerImage = g.outHeight * g.outWidth;
  const co = g.outChannels;
  if (isPointwise(g)) {
    gemm.sgemm(false, false, g.batch * rowsPerImage, co, K, 1, x, K, w, co, 0, y, co);
    return;
  }
  forEachChunk(g, (b0, count, rows) => {
    const col = patches.scratch(rows * K);
    patches.im2col(x, g, col, b0, count);
    gemm.sgemm(
      false,
      false,
      rows,
      co,
      K,
      1,
      col,
      K,
      w,
      co,
      0,
      y.subarray(b0 * rowsPerImage * co, (b0 * rowsPerImage + rows) * co),
      co,
    );
  });
}
