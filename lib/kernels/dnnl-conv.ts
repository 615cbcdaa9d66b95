/**
 * Convolutions on oneDNN when it is installed: the geometry the kernels already compute, handed to
 * oneDNN's JIT convolutions (multi-threaded, no patch matrix). Null means "use the GEMM
 * convolution": oneDNN is missing, or it has no implementation for this shape.
 */
import { oneDnn, type DnnlConvolution } from "../native/onednn";
import type { ConvGeometry } from "./im2col";

export type { DnnlConvolution } from "../native/onednn";

/**
 * Below this many FLOPs a (dense) convolution runs as im2col + GEMM: there oneDNN's per-call costs
 * (a weight reorder and an OpenMP region per pass) outweigh its kernels. SqueezeNet-32 at batch 24,
 * whose convolutions are 1–60 MFLOP: median step 20.4, 17.9 and 19.0 ms with this threshold against
 * 21.2, 20.0 and 21.6 ms with every convolution on oneDNN (alternating runs). Depthwise
 * convolutions always go to oneDNN: the alternative is single-threaded.
 */
const MIN_FLOP = 10e6;

/** oneDNN's convolution for `g` (depthwise: groups = input channels), or null. */
export function dnnlConvolution(g: ConvGeometry, depthwise: boolean): DnnlConvolution | null {
  const dnnl = oneDnn();
  if (!dnnl || g.batch === 0 || g.outHeight <= 0 || g.outWidth <= 0) return null;
  const flop = 2 * g.batch * g.outHeight * g.outWidth * g.outChannels * g.filterHeight * g.filterWidth * g.inChannels;
  if (!depthwise && flop < MIN_FLOP) return null;
  return dnnl.convolution({
    ...g,
    dilationHeight: g.dilationHeight ?? 1,
    dilationWidth: g.dilationWidth ?? 1,
    depthwise,
  });
}

/** "onednn (soname)" when oneDNN runs the convolutions, else null. */
export function dnnlName(): string | null {
  const dnnl = oneDnn();
  return dnnl ? `onednn (${dnnl.library})` : null;
}
