/**
 * Max-pooling gradient (NHWC): each output's gradient goes to the first maximum of its window,
 * as tfjs' reference cpu kernel does. One pass per output position with all channels in the
 * inner loop, so it streams memory instead of striding across it.
 */
import type { ConvGeometry } from "./im2col";

/** Pooling geometry: a convolution's without the channel change (`channels` in and out). */
export type PoolGeometry = Omit<ConvGeometry, "inChannels" | "outChannels"> & { channels: number };

let bestScratch = new Float32Array(0);
let whereScratch = new Int32Array(0);

/** Computes dx (NHWC, same shape as x) from dy and the pooled input x. */
export function maxPoolGrad(dy: Float32Array, x: Float32Array, g: PoolGeometry, dx: Float32Array): void {
  const { batch: B, inHeight: H, inWidth: W, channels: c, outHeight: Ho, outWidth: Wo, filterHeight: Fh, filterWidth: Fw, strideHeight: sh, strideWidth: sw, padTop: pt, padLeft: pl } = g;
  const dh = g.dilationHeight ?? 1;
  const dw = g.dilationWidth ?? 1;
  if (bestScratch.length < c) {
    bestScratch = new Float32Array(c);
    whereScratch = new Int32Array(c);
  }
  const best = bestScratch;
  const where = whereScratch;
  dx.fill(0);
  let o = 0;
  for (let b = 0; b < B; b++) {
    const xb = b * H * W * c;
    for (let oy = 0; oy < Ho; oy++) {
      for (let ox = 0; ox < Wo; ox++, o += c) {
        for (let k = 0; k < c; k++) {
          best[k] = -Infinity;
          where[k] = -1;
        }
        for (let fh = 0; fh < Fh; fh++) {
          const iy = oy * sh - pt + fh * dh;
          if (iy < 0 || iy >= H) continue;
          for (let fw = 0; fw < Fw; fw++) {
            const ix = ox * sw - pl + fw * dw;
            if (ix < 0 || ix >= W) continue;
            const base = xb + (iy * W + ix) * c;
            for (let k = 0; k < c; k++) {
              const v = x[base + k];
              if (v > best[k] || where[k] < 0) {
                best[k] = v;
                where[k] = base + k;
              }
            }
          }
        }
        for (let k = 0; k < c; k++) if (where[k] >= 0) dx[where[k]] += dy[o + k];
      }
    }
  }
}
