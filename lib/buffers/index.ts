/**
 * Flat Float32 buffers: many tensors' values packed end to end and unpacked again, and the
 * aggregation maths over such buffers that data-parallel and federated training share. Pure.
 */
export { fuse, fusedLength, scaleInPlace, unfuse } from "./fuse";
export { coordinateMedian, trimmedMean, weightedMean } from "./aggregate";
export { weightDivergence, type WeightDivergence } from "./divergence";
