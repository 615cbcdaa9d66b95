/** Flat Float32 buffers: many tensors' values packed end to end and unpacked again. Pure. */
export { fuse, fusedLength, unfuse } from "./fuse";
