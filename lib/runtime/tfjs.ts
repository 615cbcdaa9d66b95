/**
 * Loads tfjs once with everything tfjs-layers expects: @tensorflow/tfjs registers the chained
 * tensor methods (e.g. `t.flatten()`) that tfjs-core's CommonJS build lacks, and the cpu backend.
 * Production mode silences tfjs' "install tfjs-node" banner on stderr: `edgelab info` says which
 * backends exist and why. Every module that builds or runs models imports this first.
 */
import * as tf from "@tensorflow/tfjs";

tf.enableProdMode();
