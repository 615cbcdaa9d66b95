/** Compute kernels edgelab adds to tfjs backends: im2col/GEMM maths and the wasm registrations. */
export * from "./conv-backprop-filter";
export * from "./conv-backprop-input";
export * from "./conv2d";
export * from "./gemm";
export * from "./im2col";
export * from "./max-pool-grad";
export * from "./wasm";
