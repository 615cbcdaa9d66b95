/**
 * Every model by name, as plain data: what input it takes, how it trains, what it can do (export,
 * checkpoint, freeze) and which tfjs kernels its training needs (so the runtime can pick a backend
 * that has them). The CLI, notebooks and benchmarks look models up here and ask the entry,
 * never the name.
 */
import type * as tfl from "@tensorflow/tfjs-layers";
import { buildCnn } from "./cnn";
import { buildMlp } from "./mlp";
import { buildSentinelNet, sentinelNetDebugConfig } from "./sentinelnet";
import { buildSqueezeNet } from "./squeezenet";
import { visionZoo } from "./vision-zoo";

/** What a model needs to be built: the per-sample input shape and the class count. */
export interface ModelShape {
  inputShape: number[];
  classes: number;
  seed?: number;
}

/** What a model can do, declared once so callers ask the entry instead of matching names. */
export interface ModelCapabilities {
  /** `edgelab export-onnx` converts a trained run to ONNX (tested against tfjs for every model that says so). */
  onnxExport: boolean;
  /** Training writes checkpoints every epoch (XGBoost: every tenth of its rounds) and resumes from them. */
  checkpoint: boolean;
  /** Trains data-parallel over MPI (`--np`, `--distributed`). */
  distributed: boolean;
  /** Layers can be frozen for finetuning (only the head trains). */
  freeze: boolean;
}

/**
 * How a model trains: `engine` = a tfjs-layers model trained by `train.train` (and over MPI);
 * `tabnet` and `xgboost` have their own trainers (`train.trainTabularBaseline`).
 */
export type Trainer = "engine" | "tabnet" | "xgboost";

/** A registered model. */
export interface ModelEntry {
  description: string;
  /** "image" models take [h, w, c]; "tabular" take [features]; "any" flattens whatever it gets. */
  input: "image" | "tabular" | "any";
  trainer: Trainer;
  capabilities: ModelCapabilities;
  /** Builds the tfjs-layers model (engine-trained models only; see {@link buildModel}). */
  build?: (shape: ModelShape) => tfl.LayersModel;
  /** tfjs kernels training needs beyond the common ones (backends lacking them are skipped). */
  trainingKernels: string[];
  /** Layers a finetune trains (every other layer frozen); present where `capabilities.freeze`. */
  head?: readonly string[];
}

const layersModel: Pick<ModelEntry, "trainer" | "capabilities"> = {
  trainer: "engine",
  capabilities: { onnxExport: true, checkpoint: true, distributed: true, freeze: false },
};

/** The registered models. */
export const modelRegistry: Record<string, ModelEntry> = {
  mlp: {
    ...layersModel,
    description: "BaselineMLP: dense 256 → 256 (≈ 90 K parameters on 78 features)",
    input: "any",
    build: ({ inputShape, classes, seed }) => buildMlp({ inputShape, classes, seed: seed ?? 0 }),
    trainingKernels: [],
  },
  "mlp-wide": {
    ...layersModel,
    description:
      "a wide MLP, dense 2048 → 512 (≈ 2.66 M parameters on 28×28 images: MobileNetV3-Small's size), for federated round costs",
    input: "any",
    build: ({ inputShape, classes, seed }) => buildMlp({ inputShape, classes, hidden: [2048, 512], seed: seed ?? 0 }),
    trainingKernels: [],
  },
  cnn: {
    ...layersModel,
    description:
      "the FedAvg paper's CNN: conv 5×5 (32) → pool → conv 5×5 (64) → pool → dense 512 (≈ 1.66 M parameters on 28×28)",
    input: "image",
    build: ({ inputShape, classes, seed }) => buildCnn({ inputShape, classes, seed: seed ?? 0 }),
    trainingKernels: ["Conv2DBackpropFilter"],
  },
  "cnn-small": {
    ...layersModel,
    description:
      "the same CNN, narrow: conv 5×5 (8) → pool → conv 5×5 (16) → pool → dense 64 (≈ 54 K parameters on 28×28)",
    input: "image",
    build: ({ inputShape, classes, seed }) =>
      buildCnn({ inputShape, classes, filters: [8, 16], hidden: 64, seed: seed ?? 0 }),
    trainingKernels: ["Conv2DBackpropFilter"],
  },
  sentinelnet: {
    ...layersModel,
    description: "SentinelNet CNN + BiLSTM (≈ 2.9 M parameters), the seed's primary model",
    input: "tabular",
    build: ({ inputShape, classes, seed }) => buildSentinelNet({ features: inputShape[0], classes, seed: seed ?? 0 }),
    trainingKernels: ["Conv2DBackpropFilter"],
  },
  "sentinelnet-debug": {
    ...layersModel,
    description: "SentinelNet, small debug size (≈ 23 K parameters) for Pi pipeline checks",
    input: "tabular",
    build: ({ inputShape, classes, seed }) =>
      buildSentinelNet({ ...sentinelNetDebugConfig, features: inputShape[0], classes, seed: seed ?? 0 }),
    trainingKernels: ["Conv2DBackpropFilter"],
  },
  squeezenet: {
    ...layersModel,
    description: "SqueezeNet v1.1 for 32×32 images (≈ 0.73 M parameters at 10 classes)",
    input: "image",
    build: ({ inputShape, classes, seed }) => buildSqueezeNet({ inputShape, classes, seed: seed ?? 0 }),
    trainingKernels: ["Conv2DBackpropFilter"],
  },
  "squeezenet-he": {
    ...layersModel,
    description:
      "SqueezeNet v1.1 for 32×32 images with He-uniform kernels (torchvision's init): trains where Keras' glorot starts with a vanishing signal",
    input: "image",
    build: ({ inputShape, classes, seed }) => buildSqueezeNet({ inputShape, classes, init: "he", seed: seed ?? 0 }),
    trainingKernels: ["Conv2DBackpropFilter"],
  },
  "squeezenet-he-linear": {
    ...layersModel,
    description:
      "squeezenet-he without the ReLU after conv10: logits may go negative, so no class unit can die (notebook 04's fix)",
    input: "image",
    build: ({ inputShape, classes, seed }) =>
      buildSqueezeNet({ inputShape, classes, init: "he", classifierRelu: false, seed: seed ?? 0 }),
    trainingKernels: ["Conv2DBackpropFilter"],
  },
  tabnet: {
    description:
      "TabNet (Arik & Pfister 2019) as pytorch-tabnet 4.1: n_d = n_a = 8, 3 steps, sparsemax masks (≈ 10.7 K parameters on 78 features)",
    input: "tabular",
    trainer: "tabnet",
    capabilities: { onnxExport: true, checkpoint: true, distributed: false, freeze: false },
    trainingKernels: [],
  },
  xgboost: {
    description: "XGBoost multi:softprob in the system libxgboost: 100 rounds of histogram trees, depth 6",
    input: "tabular",
    trainer: "xgboost",
    capabilities: { onnxExport: false, checkpoint: true, distributed: false, freeze: false },
    trainingKernels: [],
  },
};

// The torchvision zoo: image models at any input size (224×224 for seed 001's benchmark).
for (const [name, zoo] of Object.entries(visionZoo)) {
  modelRegistry[name] = {
    trainer: "engine",
    capabilities: { onnxExport: false, checkpoint: true, distributed: true, freeze: true },
    description: `torchvision's ${zoo.torchvision} (${(zoo.parameters / 1e6).toFixed(2)} M parameters at 224×224 / 1000 classes)`,
    input: "image",
    build: ({ inputShape, classes, seed }) => zoo.build({ inputShape, classes, seed: seed ?? 0 }),
    trainingKernels: [
      "Conv2DBackpropFilter",
      "DepthwiseConv2dNativeBackpropInput",
      "DepthwiseConv2dNativeBackpropFilter",
    ],
    head: zoo.head,
  };
}

/** Registered model names. */
export const modelNames = Object.keys(modelRegistry);

/** Looks a model up by name; the error lists the known names. */
export function modelEntry(name: string): ModelEntry {
  const entry = modelRegistry[name];
  if (!entry) throw new Error(`unknown model "${name}"; choose one of ${modelNames.join(", ")}`);
  return entry;
}

/** Builds a registered tfjs-layers model; models with their own trainer (TabNet, XGBoost) say so. */
export function buildModel(name: string, shape: ModelShape): tfl.LayersModel {
  const entry = modelEntry(name);
  if (!entry.build)
    throw new Error(`model "${name}" is not a tfjs-layers model: it trains with its own ${entry.trainer} trainer`);
  return entry.build(shape);
}
