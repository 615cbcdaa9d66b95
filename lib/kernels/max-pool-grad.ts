/**
 * Max-pooling gradient (NHWC): each output's gradient goes to the first maximum of its window,
 * as tfjs' reference cpu kernel does. The forward output `y` is known (tfjs saves it for the
 * gradient), so each (position, channel) only searches its window for the first tap equal to
 * its maximum instead of tracking a running argmax: a third of the compares and branches.
 * A window whose maximum is −∞ (or NaN) passes no gradient, as in the cpu kernel.
 */
import type { ConvGeometry } from "./im2col";

/** Pooling geometry: a convolution's without the channel change (`channels` in and out). */
export type PoolGeometry = Omit<ConvGeometry, "inChannels" | "outChannels"> & { channels: number };

let tapScratch = new Int32Array(0);

/** Computes dx (NHWC, same shape as x) from dy, the pooled input x and the pooled output y. */
export function maxPoolGrad(
  dy: Float32Array,
  x: Float32Array,
  y: Float32Array,
  g: PoolGeometry,
  dx: Float32Array,
): void {
  const {
    batch: B,
    inHeight: H,
    inWidth: W,
    channels: c,
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
  if (tapScratch.length < Fh * Fw) tapScratch = new Int32Array(Fh * Fw);
  const taps = tapScratch;
  dx.fill(0);
  let o = 0;
  for (let b = 0; b < B; b++) {
    const xb = b * H * W * c;
    for (let oy = 0; oy < Ho; oy++) {
      for (let ox = 0; ox < Wo; ox++, o += c) {
        // Offsets of the window's in-bounds taps, in tfjs' scan order (row-major).
        let n = 0;
        for (let fh = 0; fh < Fh; fh++) {
          const iy = oy * sh - pt + fh * dh;
          if (iy < 0 || iy >= H) continue;
          for (let fw = 0; fw < Fw; fw++) {
            const ix = ox * sw - pl + fw * dw;
            if (ix >= 0 && ix < W) taps[n++] = xb + (iy * W + ix) * c;
          }
        }
        for (let k = 0; k < c; k++) {
          const best = y[o + k];
          if (best === -Infinity) continue;
          let t = 0;
          while (t < n && x[taps[t] + k] !== best) t++;
          if (t < n) dx[taps[t] + k] += dy[o + k];
        }
      }
    }
  }
}
