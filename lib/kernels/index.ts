/** Compute kernels edgelab adds to tfjs backends: im2col/GEMM maths, wasm SIMD kernels on the heap, and the wasm registrations. */
export * from "./adam-simd";
export * from "./column-sum";
export * from "./conv-backprop-filter";
export * from "./conv-backprop-input";
export * from "./conv2d";
export * from "./gemm";
export * from "./im2col";
export * from "./matmul";
export * from "./max-pool-grad";
export * from "./patches-simd";
export * from "./wasm";
export * from "./wasm-heap";
