/**
 * The filter gradient of a 2-D convolution (NHWC input, HWIO filter), as im2col + GEMM:
 *   dW[fh, fw, ci, co] = Σ_{b, oy, ox} x[b, oy·sh − pt + fh·dh, ox·sw − pl + fw·dw, ci] · dy[b, oy, ox, co]
 * i.e. dW (K × Co) = colᵀ (K × M) · dy (M × Co), with M = B·Ho·Wo and K = Fh·Fw·Ci, accumulated
 * over chunks of images so the patch matrix stays small.
 * Pure: typed arrays in, typed array out; the GEMM is passed in.
 */
import type { Gemm } from "./gemm";
import { forEachChunk, isPointwise, jsPatchOps, patchSize, type ConvGeometry, type PatchOps } from "./im2col";

export type { ConvGeometry } from "./im2col";
export { im2col } from "./im2col";

/** Computes dW into `dw` (length Fh·Fw·Ci·Co, HWIO) from x (NHWC) and dy (NHWC). */
export function conv2dBackpropFilter(
  x: Float32Array,
  dy: Float32Array,
  g: ConvGeometry,
  dw: Float32Array,
  gemm: Gemm,
  patches: PatchOps = jsPatchOps,
): void {
  const K = patchSize(g);
  const rowsPerImage = g.outHeight * g.outWidth;
  const co = g.outChannels;
  if (isPointwise(g)) {
    // a 1×1 stride-1 convolution's patches are the input itself
    gemm.sgemm(true, false, K, co, g.batch * rowsPerImage, 1, x, K, dy, co, 0, dw, co);
    return;
  }
  forEachChunk(g, (b0, count, rows) => {
    const col = patches.scratch(rows * K);
    patches.im2col(x, g, col, b0, count);
    gemm.sgemm(
      true,
      false,
      K,
      co,
      rows,
      1,
      col,
      K,
      dy.subarray(b0 * rowsPerImage * co, (b0 * rowsPerImage + rows) * co),
      co,
      b0 === 0 ? 0 : 1,
      dw,
      co,
    );
  });
}
