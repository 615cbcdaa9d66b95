/**
 * Kernels edgelab adds to tfjs' wasm backend where it lacks them (it cannot train convolutions
 * without `Conv2DBackpropFilter`). They read inputs straight from the wasm heap and write the
 * output into heap memory the backend allocates: no copies through JS arrays. The GEMM is
 * OpenBLAS when it loads, else the JS fallback.
 */
import * as tf from "@tensorflow/tfjs-core";
import { openBlas } from "../native/openblas";
import { conv2dBackpropFilter, type ConvGeometry } from "./conv-backprop-filter";
import { jsGemm, type Gemm } from "./gemm";

interface HeapTensorInfo {
  dataId: object;
  shape: number[];
  dtype: string;
}
interface WasmBackend {
  makeOutput(shape: number[], dtype: string): HeapTensorInfo;
  typedArrayFromHeap(t: HeapTensorInfo): Float32Array;
}

/** What was registered, and with which GEMM. */
export interface WasmKernelReport {
  registered: string[];
  gemm: string;
}

let report: WasmKernelReport | null = null;

/** The GEMM the native kernels use: OpenBLAS if it loads, else JS. */
export function kernelGemm(): Gemm {
  const blas = openBlas();
  return blas ? { name: `openblas (${blas.library})`, sgemm: blas.sgemm } : jsGemm;
}

/** Registers the missing training kernels on the wasm backend (once per process). */
export function registerWasmKernels(): WasmKernelReport {
  if (report) return report;
  const gemm = kernelGemm();
  const registered: string[] = [];
  if (!tf.getKernel("Conv2DBackpropFilter", "wasm")) {
    tf.registerKernel({
      kernelName: "Conv2DBackpropFilter",
      backendName: "wasm",
      kernelFunc: ({ inputs, backend, attrs }) => {
        const { x, dy } = inputs as unknown as { x: HeapTensorInfo; dy: HeapTensorInfo };
        const a = attrs as unknown as { strides: [number, number] | number; pad: "valid" | "same" | number; dataFormat: "NHWC" | "NCHW"; dimRoundingMode?: "floor" | "round" | "ceil"; filterShape: [number, number, number, number] };
        if (a.dataFormat === "NCHW") throw new Error("Conv2DBackpropFilter on wasm: NCHW is not supported (edgelab models are NHWC)");
        const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], a.filterShape, a.strides, 1, a.pad, a.dimRoundingMode, false, "channelsLast");
        const wasm = backend as unknown as WasmBackend;
        const out = wasm.makeOutput(a.filterShape, "float32");
        // Views are taken after makeOutput: allocating may grow (and so detach) the heap.
        const geometry: ConvGeometry = {
          batch: info.batchSize, inHeight: info.inHeight, inWidth: info.inWidth, inChannels: info.inChannels,
          outHeight: info.outHeight, outWidth: info.outWidth, outChannels: info.outChannels,
          filterHeight: info.filterHeight, filterWidth: info.filterWidth, strideHeight: info.strideHeight, strideWidth: info.strideWidth,
          padTop: info.padInfo.top, padLeft: info.padInfo.left,
        };
        conv2dBackpropFilter(wasm.typedArrayFromHeap(x), wasm.typedArrayFromHeap(dy), geometry, wasm.typedArrayFromHeap(out), gemm);
        return out as unknown as tf.TensorInfo;
      },
    });
    registered.push("Conv2DBackpropFilter");
  }
  report = { registered, gemm: gemm.name };
  return report;
}
