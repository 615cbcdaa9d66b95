/**
 * The filter gradient of a 2-D convolution (NHWC input, HWIO filter), as im2col + one GEMM:
 *   dW[fh, fw, ci, co] = Σ_{b, oy, ox} x[b, oy·sh − pt + fh, ox·sw − pl + fw, ci] · dy[b, oy, ox, co]
 * i.e. dW (K × Co) = colᵀ (K × M) · dy (M × Co), with M = B·Ho·Wo and K = Fh·Fw·Ci.
 * Pure: typed arrays in, typed array out; the GEMM is passed in.
 */
import type { Gemm } from "./gemm";

/** Geometry of one convolution (tfjs' Conv2DInfo fields that matter here). */
export interface ConvGeometry {
  batch: number;
  inHeight: number;
  inWidth: number;
  inChannels: number;
  outHeight: number;
  outWidth: number;
  outChannels: number;
  filterHeight: number;
  filterWidth: number;
  strideHeight: number;
  strideWidth: number;
  padTop: number;
  padLeft: number;
}

/** Fills `col` ([M, K] row-major) with the input patches; out-of-bounds taps are 0. */
export function im2col(x: Float32Array, g: ConvGeometry, col: Float32Array): void {
  const K = g.filterHeight * g.filterWidth * g.inChannels;
  let row = 0;
  for (let b = 0; b < g.batch; b++) {
    const xb = b * g.inHeight * g.inWidth * g.inChannels;
    for (let oy = 0; oy < g.outHeight; oy++) {
      for (let ox = 0; ox < g.outWidth; ox++, row++) {
        let at = row * K;
        for (let fh = 0; fh < g.filterHeight; fh++) {
          const iy = oy * g.strideHeight - g.padTop + fh;
          for (let fw = 0; fw < g.filterWidth; fw++) {
            const ix = ox * g.strideWidth - g.padLeft + fw;
            if (iy < 0 || iy >= g.inHeight || ix < 0 || ix >= g.inWidth) {
              col.fill(0, at, at + g.inChannels);
            } else {
              const src = xb + (iy * g.inWidth + ix) * g.inChannels;
              col.set(x.subarray(src, src + g.inChannels), at);
            }
            at += g.inChannels;
          }
        }
      }
    }
  }
}

let scratch = new Float32Array(0);

/** Computes dW into `dw` (length Fh·Fw·Ci·Co, HWIO) from x (NHWC) and dy (NHWC). */
export function conv2dBackpropFilter(x: Float32Array, dy: Float32Array, g: ConvGeometry, dw: Float32Array, gemm: Gemm): void {
  const M = g.batch * g.outHeight * g.outWidth;
  const K = g.filterHeight * g.filterWidth * g.inChannels;
  const pointwise = g.filterHeight === 1 && g.filterWidth === 1 && g.strideHeight === 1 && g.strideWidth === 1 && g.padTop === 0 && g.padLeft === 0;
  let col: Float32Array;
  if (pointwise) {
    col = x; // a 1×1 stride-1 convolution's patches are the input itself
  } else {
    if (scratch.length < M * K) scratch = new Float32Array(M * K);
    col = scratch.subarray(0, M * K);
    im2col(x, g, col);
  }
  gemm.sgemm(true, false, K, g.outChannels, M, 1, col, K, dy, g.outChannels, 0, dw, g.outChannels);
}
