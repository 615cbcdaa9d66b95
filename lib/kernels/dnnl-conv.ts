/**
 * Convolutions on oneDNN when it is installed: the geometry the kernels already compute, handed to
 * oneDNN's JIT convolutions (multi-threaded, no patch matrix). Null means "use the GEMM
 * convolution": oneDNN is missing, or it has no implementation for this shape.
 */
import { oneDnn, type DnnlConvolution } from "../native/onednn";
import type { ConvGeometry } from "./im2col";

export type { DnnlConvolution } from "../native/onednn";

/** oneDNN's convolution for `g` (depthwise: groups = input channels), or null. */
export function dnnlConvolution(g: ConvGeometry, depthwise: boolean): DnnlConvolution | null {
  const dnnl = oneDnn();
  if (!dnnl || g.batch === 0 || g.outHeight <= 0 || g.outWidth <= 0) return null;
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
