/**
 * The two gradients of a depthwise convolution (NHWC, filter [fh, fw, inChannels, multiplier],
 * output channel c · multiplier + m), which tfjs' wasm backend lacks. Loops keep the channel
 * axis innermost, where NHWC data is contiguous; sums run in the order tfjs' cpu kernels use
 * per tap, so results agree with them to float rounding.
 */
import type { ConvGeometry } from "./im2col";

/** dx (NHWC, the input's shape) from dy and the filter: every output's gradient spread over its window. */
export function depthwiseBackpropInput(
  dy: Float32Array,
  filter: Float32Array,
  g: ConvGeometry,
  dx: Float32Array,
): void {
  const { batch: B, inHeight: H, inWidth: W, inChannels: C, outHeight: Ho, outWidth: Wo } = g;
  const M = g.outChannels / C;
  const dh = g.dilationHeight ?? 1;
  const dw = g.dilationWidth ?? 1;
  dx.fill(0);
  for (let b = 0; b < B; b++) {
    for (let oy = 0; oy < Ho; oy++) {
      for (let fh = 0; fh < g.filterHeight; fh++) {
        const iy = oy * g.strideHeight - g.padTop + fh * dh;
        if (iy < 0 || iy >= H) continue;
        for (let ox = 0; ox < Wo; ox++) {
          const dyBase = ((b * Ho + oy) * Wo + ox) * C * M;
          for (let fw = 0; fw < g.filterWidth; fw++) {
            const ix = ox * g.strideWidth - g.padLeft + fw * dw;
            if (ix < 0 || ix >= W) continue;
            const dxBase = ((b * H + iy) * W + ix) * C;
            const fBase = (fh * g.filterWidth + fw) * C * M;
            if (M === 1) {
              for (let c = 0; c < C; c++) dx[dxBase + c] += dy[dyBase + c] * filter[fBase + c];
            } else {
              for (let c = 0; c < C; c++) {
                let sum = 0;
                for (let m = 0; m < M; m++) sum += dy[dyBase + c * M + m] * filter[fBase + c * M + m];
                dx[dxBase + c] += sum;
              }
            }
          }
        }
      }
    }
  }
}

/** dFilter ([fh, fw, C, M]) from the input x and dy: each tap's products summed over batch and positions. */
export function depthwiseBackpropFilter(
  x: Float32Array,
  dy: Float32Array,
  g: ConvGeometry,
  dFilter: Float32Array,
): void {
  const { batch: B, inHeight: H, inWidth: W, inChannels: C, outHeight: Ho, outWidth: Wo } = g;
  const M = g.outChannels / C;
  const dh = g.dilationHeight ?? 1;
  const dw = g.dilationWidth ?? 1;
  dFilter.fill(0);
  for (let fh = 0; fh < g.filterHeight; fh++) {
    for (let fw = 0; fw < g.filterWidth; fw++) {
      const fBase = (fh * g.filterWidth + fw) * C * M;
      for (let b = 0; b < B; b++) {
        for (let oy = 0; oy < Ho; oy++) {
          const iy = oy * g.strideHeight - g.padTop + fh * dh;
          if (iy < 0 || iy >= H) continue;
          for (let ox = 0; ox < Wo; ox++) {
            const ix = ox * g.strideWidth - g.padLeft + fw * dw;
            if (ix < 0 || ix >= W) continue;
            const xBase = ((b * H + iy) * W + ix) * C;
            const dyBase = ((b * Ho + oy) * Wo + ox) * C * M;
            if (M === 1) {
              for (let c = 0; c < C; c++) dFilter[fBase + c] += x[xBase + c] * dy[dyBase + c];
            } else {
              for (let c = 0; c < C; c++)
                for (let m = 0; m < M; m++) dFilter[fBase + c * M + m] += x[xBase + c] * dy[dyBase + c * M + m];
            }
          }
        }
      }
    }
  }
}
