/**
 * Loads tfjs once with everything tfjs-layers expects: @tensorflow/tfjs registers the chained
 * tensor methods (e.g. `t.flatten()`) that tfjs-core's CommonJS build lacks, and the cpu backend.
 * Every module that builds or runs models imports this first.
 */
import "@tensorflow/tfjs";
