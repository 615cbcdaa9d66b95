/** Compute kernels edgelab adds to tfjs backends: im2col/GEMM maths, wasm SIMD kernels on the heap, and the wasm registrations. */
export { adamKernel, type AdamKernel, adamModuleBytes } from "./adam-simd";
export { type Gemm, jsGemm } from "./gemm";
export { col2imAdd, type ConvGeometry, im2col, patchSize } from "./im2col";
export { patchKernels } from "./patches-simd";
export { registerWasmKernels, type WasmKernelReport } from "./wasm";
export { activeWasmHeap } from "./wasm-heap";
