/**
 * Models by name, as plain data: what input each takes, how to build it, and which tfjs kernels
 * its training needs (so the runtime can pick a backend that has them).
 */
import type * as tfl from "@tensorflow/tfjs-layers";
import { buildCnn } from "./cnn";
import { buildMlp } from "./mlp";
import { buildSentinelNet, sentinelNetDebugConfig } from "./sentinelnet";
import { buildSqueezeNet } from "./squeezenet";

/** What a model needs to be built: the per-sample input shape and the class count. */
export interface ModelShape {
  inputShape: number[];
  classes: number;
  seed?: number;
}

/** A registered model. */
export interface ModelEntry {
  description: string;
  /** "image" models take [h, w, c]; "tabular" take [features]; "any" flattens whatever it gets. */
  input: "image" | "tabular" | "any";
  build: (shape: ModelShape) => tfl.LayersModel;
  /** tfjs kernels training needs beyond the common ones (backends lacking them are skipped). */
  trainingKernels: string[];
}

/** The registered models. */
export const modelRegistry: Record<string, ModelEntry> = {
  mlp: {
    description: "BaselineMLP: dense 256 → 256 (≈ 90 K parameters on 78 features)",
    input: "any",
    build: ({ inputShape, classes, seed }) => buildMlp({ inputShape, classes, seed: seed ?? 0 }),
    trainingKernels: [],
  },
  "mlp-wide": {
    description:
      "a wide MLP, dense 2048 → 512 (≈ 2.66 M parameters on 28×28 images: MobileNetV3-Small's size), for federated round costs",
    input: "any",
    build: ({ inputShape, classes, seed }) => buildMlp({ inputShape, classes, hidden: [2048, 512], seed: seed ?? 0 }),
    trainingKernels: [],
  },
  cnn: {
    description:
      "the FedAvg paper's CNN: conv 5×5 (32) → pool → conv 5×5 (64) → pool → dense 512 (≈ 1.66 M parameters on 28×28)",
    input: "image",
    build: ({ inputShape, classes, seed }) => buildCnn({ inputShape, classes, seed: seed ?? 0 }),
    trainingKernels: ["Conv2DBackpropFilter"],
  },
  "cnn-small": {
    description:
      "the same CNN, narrow: conv 5×5 (8) → pool → conv 5×5 (16) → pool → dense 64 (≈ 54 K parameters on 28×28)",
    input: "image",
    build: ({ inputShape, classes, seed }) =>
      buildCnn({ inputShape, classes, filters: [8, 16], hidden: 64, seed: seed ?? 0 }),
    trainingKernels: ["Conv2DBackpropFilter"],
  },
  sentinelnet: {
    description: "SentinelNet CNN + BiLSTM (≈ 2.9 M parameters), the seed's primary model",
    input: "tabular",
    build: ({ inputShape, classes, seed }) => buildSentinelNet({ features: inputShape[0], classes, seed: seed ?? 0 }),
    trainingKernels: ["Conv2DBackpropFilter"],
  },
  "sentinelnet-debug": {
    description: "SentinelNet, small debug size (≈ 23 K parameters) for Pi pipeline checks",
    input: "tabular",
    build: ({ inputShape, classes, seed }) =>
      buildSentinelNet({ ...sentinelNetDebugConfig, features: inputShape[0], classes, seed: seed ?? 0 }),
    trainingKernels: ["Conv2DBackpropFilter"],
  },
  squeezenet: {
    description: "SqueezeNet v1.1 for 32×32 images (≈ 0.73 M parameters at 10 classes)",
    input: "image",
    build: ({ inputShape, classes, seed }) => buildSqueezeNet({ inputShape, classes, seed: seed ?? 0 }),
    trainingKernels: ["Conv2DBackpropFilter"],
  },
};

/** Registered model names. */
export const modelNames = Object.keys(modelRegistry);

/** Looks a model up by name; the error lists the known names. */
export function modelEntry(name: string): ModelEntry {
  const entry = modelRegistry[name];
  if (!entry) throw new Error(`unknown model "${name}"; choose one of ${modelNames.join(", ")}`);
  return entry;
}
