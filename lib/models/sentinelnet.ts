/**
 * SentinelNet: the seed's CNN + BiLSTM flow classifier. The standardised feature vector is read as
 * a 1-D sequence (78 steps × 1 channel): two 1-D convolutions learn local feature interactions, a
 * max-pool halves the sequence, a bidirectional LSTM summarises it, and a dense head classifies.
 * Default size ≈ 2.9 M parameters (the seed's 2–5 M); `sentinelNetDebugConfig` is a small variant
 * for Pi pipeline debugging.
 */
import "../runtime/tfjs";
import * as tfl from "@tensorflow/tfjs-layers";
import { StepDropout } from "./dropout";
import { fusedLstm } from "./fused-lstm";
import { layerSeed } from "./mlp";

/** SentinelNet hyperparameters. */
export interface SentinelNetConfig {
  /** Number of flow features (78 for CICIDS2017). */
  features: number;
  classes: number;
  /** Filters of the two Conv1D layers. */
  convFilters: [number, number];
  kernelSize: number;
  /** LSTM units per direction. */
  lstmUnits: number;
  /** Width of the dense layer after the BiLSTM. */
  denseUnits: number;
  dropout: number;
  seed: number;
}

/** The full-size default (≈ 2.9 M parameters at 78 features, 15 classes). */
export const defaultSentinelNetConfig: Readonly<SentinelNetConfig> = Object.freeze({
  features: 78,
  classes: 15,
  convFilters: [64, 128] as [number, number],
  kernelSize: 3,
  lstmUnits: 512,
  denseUnits: 256,
  dropout: 0.3,
  seed: 0,
});

/** A small variant (≈ 23 K parameters) for 100-sample pipeline debugging. */
export const sentinelNetDebugConfig: Readonly<SentinelNetConfig> = Object.freeze({
  ...defaultSentinelNetConfig,
  convFilters: [16, 32] as [number, number],
  lstmUnits: 32,
  denseUnits: 64,
});

/** Builds SentinelNet (input [batch, features], output logits [batch, classes]). */
export function buildSentinelNet(overrides: Partial<SentinelNetConfig> = {}): tfl.LayersModel {
  const c: SentinelNetConfig = { ...defaultSentinelNetConfig, ...overrides };
  let k = 0;
  const seed = (): number => layerSeed(c.seed, k++);
  const model = tfl.sequential({ name: "sentinelnet" });
  model.add(tfl.layers.reshape({ targetShape: [c.features, 1], inputShape: [c.features], name: "as_sequence" }));
  model.add(
    tfl.layers.conv1d({
      filters: c.convFilters[0],
      kernelSize: c.kernelSize,
      padding: "same",
      activation: "relu",
      kernelInitializer: tfl.initializers.heNormal({ seed: seed() }),
      name: "conv1",
    }),
  );
  model.add(
    tfl.layers.conv1d({
      filters: c.convFilters[1],
      kernelSize: c.kernelSize,
      padding: "same",
      activation: "relu",
      kernelInitializer: tfl.initializers.heNormal({ seed: seed() }),
      name: "conv2",
    }),
  );
  model.add(tfl.layers.maxPooling1d({ poolSize: 2, name: "pool" }));
  // PyTorch's LSTM initialisation, uniform ±1/√units (orthogonal init is slow in tfjs for 512 units).
  const bound = 1 / Math.sqrt(c.lstmUnits);
  const uniform = (): ReturnType<typeof tfl.initializers.randomUniform> =>
    tfl.initializers.randomUniform({ minval: -bound, maxval: bound, seed: seed() });
  model.add(
    tfl.layers.bidirectional({
      // sigmoid gates as PyTorch and ONNX LSTM use (tfjs defaults to hardSigmoid), so colab/ and ONNX agree.
      // One fused op per direction: tfjs' own LSTM keeps ~15 tensors per time step for backprop.
      layer: fusedLstm({
        units: c.lstmUnits,
        recurrentActivation: "sigmoid",
        kernelInitializer: uniform(),
        recurrentInitializer: uniform(),
      }),
      mergeMode: "concat",
      name: "bilstm",
    }),
  );
  if (c.dropout > 0) model.add(new StepDropout({ rate: c.dropout, seed: seed(), name: "drop1" }));
  model.add(
    tfl.layers.dense({
      units: c.denseUnits,
      activation: "relu",
      kernelInitializer: tfl.initializers.heNormal({ seed: seed() }),
      name: "dense",
    }),
  );
  if (c.dropout > 0) model.add(new StepDropout({ rate: c.dropout, seed: seed(), name: "drop2" }));
  model.add(
    tfl.layers.dense({
      units: c.classes,
      kernelInitializer: tfl.initializers.glorotUniform({ seed: seed() }),
      name: "logits",
    }),
  );
  return model;
}
