/**
 * BaselineMLP: flatten → (dense → ReLU → dropout)* → dense logits. The seed's baseline for flow
 * classification (~100 K parameters with the default hidden sizes on 78 features), and the
 * quickstart's Fashion-MNIST classifier.
 */
import "../runtime/tfjs";
import * as tfl from "@tensorflow/tfjs-layers";
import { StepDropout } from "./dropout";

/** MLP hyperparameters. */
export interface MlpConfig {
  /** Per-sample input shape, e.g. [28, 28, 1] or [78]. */
  inputShape: number[];
  /** Hidden layer widths. */
  hidden: number[];
  classes: number;
  /** Dropout rate after each hidden layer (0 disables). */
  dropout: number;
  /** Weight-initialisation seed. */
  seed: number;
}

/** Defaults: 78 CICIDS features → 256 → 256 → 15 classes ≈ 90 K parameters. */
export const defaultMlpConfig: Readonly<MlpConfig> = Object.freeze({
  inputShape: [78],
  hidden: [256, 256],
  classes: 15,
  dropout: 0.1,
  seed: 0,
});

/**
 * Builds the MLP (outputs logits, shape [batch, classes]).
 * @example buildMlp({ ...defaultMlpConfig, inputShape: [28, 28, 1], hidden: [128], classes: 10 })
 */
export function buildMlp(overrides: Partial<MlpConfig> = {}): tfl.LayersModel {
  const config: MlpConfig = { ...defaultMlpConfig, ...overrides };
  const model = tfl.sequential({ name: "baseline_mlp" });
  const seedOf = (k: number): number => layerSeed(config.seed, k);
  // Dense layers need rank-2 input: flatten images, feed feature vectors straight in.
  if (config.inputShape.length > 1) model.add(tfl.layers.flatten({ inputShape: config.inputShape }));
  else model.add(tfl.layers.inputLayer({ inputShape: config.inputShape }));
  config.hidden.forEach((units, i) => {
    model.add(
      tfl.layers.dense({
        units,
        activation: "relu",
        kernelInitializer: tfl.initializers.heNormal({ seed: seedOf(i) }),
        name: `dense_${i}`,
      }),
    );
    if (config.dropout > 0)
      model.add(new StepDropout({ rate: config.dropout, seed: seedOf(100 + i), name: `dropout_${i}` }));
  });
  model.add(
    tfl.layers.dense({
      units: config.classes,
      kernelInitializer: tfl.initializers.glorotUniform({ seed: seedOf(999) }),
      name: "logits",
    }),
  );
  return model;
}

/**
 * A per-layer initialiser seed derived from the model seed. Never 0: tfjs treats a seed of 0 as
 * "unseeded" (`seed ? seed : Math.random()`), which silently breaks reproducibility.
 */
export function layerSeed(modelSeed: number, layer: number): number {
  return ((modelSeed * 7919 + layer * 104729 + 1) % 2147483646) + 1;
}

/** Trainable parameter count of a model. */
export function parameterCount(model: tfl.LayersModel): number {
  return model.trainableWeights.reduce((sum, w) => sum + (w.shape as number[]).reduce((a, b) => a * b, 1), 0);
}
