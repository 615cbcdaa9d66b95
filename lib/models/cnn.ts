/**
 * The CNN of the FedAvg paper (McMahan et al. 2017, "Communication-Efficient Learning of Deep
 * Networks from Decentralized Data"): conv 5×5 (32) → ReLU → max-pool 2×2 → conv 5×5 (64) → ReLU →
 * max-pool 2×2 → dense (512) → ReLU → logits. The standard small model of federated vision
 * studies; 1,663,370 parameters on 28×28×1 images with 10 classes. Widths are configurable for
 * a lighter variant.
 */
import "../runtime/tfjs";
import * as tfl from "@tensorflow/tfjs-layers";
import { layerSeed } from "./mlp";

/** CNN hyperparameters. */
export interface CnnConfig {
  /** [height, width, channels]. */
  inputShape: number[];
  classes: number;
  /** Filters of the two convolutions. */
  filters: [number, number];
  /** Units of the hidden dense layer. */
  hidden: number;
  seed: number;
}

/** The paper's widths on Fashion-MNIST's shape. */
export const defaultCnnConfig: Readonly<CnnConfig> = Object.freeze({
  inputShape: [28, 28, 1],
  classes: 10,
  filters: [32, 64] as [number, number],
  hidden: 512,
  seed: 0,
});

/** Builds the CNN (outputs logits, shape [batch, classes]). */
export function buildCnn(overrides: Partial<CnnConfig> = {}): tfl.LayersModel {
  const config: CnnConfig = { ...defaultCnnConfig, ...overrides };
  if (config.inputShape.length !== 3)
    throw new Error(
      `the CNN takes images [height, width, channels], got input shape [${config.inputShape.join(", ")}]`,
    );
  let seedIndex = 0;
  const init = (): ReturnType<typeof tfl.initializers.glorotUniform> =>
    tfl.initializers.glorotUniform({ seed: layerSeed(config.seed, seedIndex++) });
  const model = tfl.sequential({ name: "fedavg_cnn" });
  config.filters.forEach((filters, i) => {
    model.add(
      tfl.layers.conv2d({
        ...(i === 0 ? { inputShape: config.inputShape } : {}),
        filters,
        kernelSize: 5,
        padding: "same",
        activation: "relu",
        kernelInitializer: init(),
        name: `conv${i + 1}`,
      }),
    );
    model.add(tfl.layers.maxPooling2d({ poolSize: 2, strides: 2, name: `pool${i + 1}` }));
  });
  model.add(tfl.layers.flatten({ name: "flatten" }));
  model.add(tfl.layers.dense({ units: config.hidden, activation: "relu", kernelInitializer: init(), name: "dense" }));
  model.add(tfl.layers.dense({ units: config.classes, kernelInitializer: init(), name: "logits" }));
  return model;
}
