/**
 * Convolution geometry and the two patch transforms the GEMM-based convolution kernels share:
 * im2col (input → patch matrix) and col2im (patch-matrix gradient → input gradient).
 * Layouts: input NHWC, filter HWIO, patch matrix [rows = B·Ho·Wo, K = Fh·Fw·Ci] row-major.
 */

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
  /** Dilation (1 when omitted). */
  dilationHeight?: number;
  dilationWidth?: number;
}

/**
 * A geometry as the i32 arguments edgelab's wasm kernels take after their pointers: input height,
 * width and channels, output height and width, filter height and width, strides, top and left
 * padding, dilations (the batch and output channels are not included).
 */
export function geometryArgs(g: ConvGeometry): number[] {
  return [
    g.inHeight,
    g.inWidth,
    g.inChannels,
    g.outHeight,
    g.outWidth,
    g.filterHeight,
    g.filterWidth,
    g.strideHeight,
    g.strideWidth,
    g.padTop,
    g.padLeft,
    g.dilationHeight ?? 1,
    g.dilationWidth ?? 1,
  ];
}

/** The subset of tfjs' `Conv2DInfo` that {@link geometryFromInfo} reads. */
export interface Conv2DInfoLike {
  batchSize: number;
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
  dilationHeight: number;
  dilationWidth: number;
  padInfo: { top: number; left: number };
}

/** Converts tfjs' `computeConv2DInfo` result into a {@link ConvGeometry}. */
export function geometryFromInfo(info: Conv2DInfoLike): ConvGeometry {
  return {
    batch: info.batchSize,
    inHeight: info.inHeight,
    inWidth: info.inWidth,
    inChannels: info.inChannels,
    outHeight: info.outHeight,
    outWidth: info.outWidth,
    outChannels: info.outChannels,
    filterHeight: info.filterHeight,
    filterWidth: info.filterWidth,
    strideHeight: info.strideHeight,
    strideWidth: info.strideWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
    dilationHeight: info.dilationHeight,
    dilationWidth: info.dilationWidth,
  };
}

/** K = Fh·Fw·Ci, the length of one patch. */
export function patchSize(g: ConvGeometry): number {
  return g.filterHeight * g.filterWidth * g.inChannels;
}

/** True when the patch matrix is the input itself (1×1, stride 1, no padding): no im2col needed. */
export function isPointwise(g: ConvGeometry): boolean {
  return (
    g.filterHeight === 1 &&
    g.filterWidth === 1 &&
    g.strideHeight === 1 &&
    g.strideWidth === 1 &&
    g.padTop === 0 &&
    g.padLeft === 0 &&
    g.outHeight === g.inHeight &&
    g.outWidth === g.inWidth
  );
}

/**
 * Images per chunk so that a chunk's patch matrix stays under `maxFloats` (at least one image):
 * bounds the scratch memory of large batches (a Pi has little RAM).
 */
export function imagesPerChunk(g: ConvGeometry, maxFloats = 4 << 20): number {
  const perImage = g.outHeight * g.outWidth * patchSize(g);
  return Math.max(1, Math.min(g.batch, Math.floor(maxFloats / perImage)));
}

/**
 * Fills `col` with the patches of images [b0, b0 + count); out-of-bounds taps are 0.
 * `col` is [count·Ho·Wo, K] row-major. With dilation 1 the Fw taps of one filter row are
 * contiguous in both x and col, so interior patches copy Fw·Ci floats at a time; geometry is read
 * into locals once (property loads inside the loops cost more than the copies).
 */
export function im2col(x: Float32Array, g: ConvGeometry, col: Float32Array, b0 = 0, count = g.batch): void {
  const {
    inHeight: H,
    inWidth: W,
    inChannels: ci,
    outHeight: Ho,
    outWidth: Wo,
    filterHeight: Fh,
    filterWidth: Fw,
    strideHeight: sh,
    strideWidth: sw,
    padTop: pt,
    padLeft: pl,
  } = g;
  const dh = g.dilationHeight ?? 1;
  const dw = g.dilationWidth ?? 1;
  const run = Fw * ci;
  let at = 0;
  for (let b = b0; b < b0 + count; b++) {
    const xb = b * H * W * ci;
    for (let oy = 0; oy < Ho; oy++) {
      for (let ox = 0; ox < Wo; ox++) {
        const ix0 = ox * sw - pl;
        const interior = dw === 1 && ix0 >= 0 && ix0 + Fw <= W;
        for (let fh = 0; fh < Fh; fh++) {
          const iy = oy * sh - pt + fh * dh;
          if (iy < 0 || iy >= H) {
            for (let j = 0; j < run; j++) col[at + j] = 0;
          } else if (interior) {
            const src = xb + (iy * W + ix0) * ci;
            for (let j = 0; j < run; j++) col[at + j] = x[src + j];
          } else {
            for (let fw = 0; fw < Fw; fw++) {
              const ix = ix0 + fw * dw;
              const o = at + fw * ci;
              if (ix < 0 || ix >= W) {
                for (let c = 0; c < ci; c++) col[o + c] = 0;
              } else {
                const src = xb + (iy * W + ix) * ci;
                for (let c = 0; c < ci; c++) col[o + c] = x[src + c];
              }
            }
          }
          at += run;
        }
      }
    }
  }
  if (at !== count * Ho * Wo * patchSize(g)) throw new Error("im2col: geometry mismatch");
}

/**
 * Adds the patch-matrix gradient `col` of images [b0, b0 + count) back onto the input gradient
 * `dx` (NHWC, accumulated: overlapping patches sum). Out-of-bounds taps are dropped.
 */
export function col2imAdd(col: Float32Array, g: ConvGeometry, dx: Float32Array, b0 = 0, count = g.batch): void {
  const {
    inHeight: H,
    inWidth: W,
    inChannels: ci,
    outHeight: Ho,
    outWidth: Wo,
    filterHeight: Fh,
    filterWidth: Fw,
    strideHeight: sh,
    strideWidth: sw,
    padTop: pt,
    padLeft: pl,
  } = g;
  const dh = g.dilationHeight ?? 1;
  const dw = g.dilationWidth ?? 1;
  const run = Fw * ci;
  let at = 0;
  for (let b = b0; b < b0 + count; b++) {
    const xb = b * H * W * ci;
    for (let oy = 0; oy < Ho; oy++) {
      for (let ox = 0; ox < Wo; ox++) {
        const ix0 = ox * sw - pl;
        const interior = dw === 1 && ix0 >= 0 && ix0 + Fw <= W;
        for (let fh = 0; fh < Fh; fh++) {
          const iy = oy * sh - pt + fh * dh;
          if (iy >= 0 && iy < H) {
            if (interior) {
              const dst = xb + (iy * W + ix0) * ci;
              for (let j = 0; j < run; j++) dx[dst + j] += col[at + j];
            } else {
              for (let fw = 0; fw < Fw; fw++) {
                const ix = ix0 + fw * dw;
                if (ix < 0 || ix >= W) continue;
                const dst = xb + (iy * W + ix) * ci;
                const o = at + fw * ci;
                for (let c = 0; c < ci; c++) dx[dst + c] += col[o + c];
              }
            }
          }
          at += run;
        }
      }
    }
  }
}

/**
 * Calls `fn(b0, count, rows)` for consecutive chunks of images (see {@link imagesPerChunk});
 * `rows` = count·Ho·Wo, the patch-matrix rows of the chunk.
 */
export function forEachChunk(g: ConvGeometry, fn: (b0: number, count: number, rows: number) => void): void {
  const chunk = imagesPerChunk(g);
  for (let b0 = 0; b0 < g.batch; b0 += chunk) {
    const count = Math.min(chunk, g.batch - b0);
    fn(b0, count, count * g.outHeight * g.outWidth);
  }
}

let scratch = new Float32Array(0);

/** A reusable scratch buffer of at least `n` floats (kernels run one at a time on the JS thread). */
export function scratchBuffer(n: number): Float32Array {
  if (scratch.length < n) scratch = new Float32Array(n);
  return scratch.subarray(0, n);
}

/** The patch transforms and the scratch memory a GEMM convolution uses. */
export interface PatchOps {
  im2col(x: Float32Array, g: ConvGeometry, col: Float32Array, b0: number, count: number): void;
  col2imAdd(col: Float32Array, g: ConvGeometry, dx: Float32Array, b0: number, count: number): void;
  /** Scratch for `n` floats, valid until the next call. */
  scratch(n: number): Float32Array;
}

/** The JS transforms above with a JS scratch buffer: the reference, and the fallback anywhere. */
export const jsPatchOps: PatchOps = { im2col, col2imAdd, scratch: scratchBuffer };
