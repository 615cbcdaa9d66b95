/** Compute kernels edgelab adds to tfjs backends: im2col/GEMM maths and the wasm registrations. */
export * from "./conv-backprop-filter";
export * from "./gemm";
export * from "./wasm";
