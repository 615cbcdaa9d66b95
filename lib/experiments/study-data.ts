/**
 * The data and model factory a simulated study needs (scaling with virtual ranks, federated
 * clients): a dataset by name, a stratified training subset and test slice (tabular data
 * standardised on the training rows), the tfjs backend the model trains on, and a seeded builder.
 */
import type * as tfl from "@tensorflow/tfjs-layers";
import type { ImageDataset, TabularDataset } from "../data/dataset";
import { loadDataset } from "../data/registry";
import { stratifiedSample } from "../data/split";
import { standardizeSplit } from "../data/standardize";
import { buildModel, modelEntry } from "../models/registry";
import { trainingBackend, useBackend } from "../runtime/backends";
import { toArrayData } from "../train/batches";
import type { TrainData } from "../train/config";

/** What {@link prepareStudy} returns. */
export interface Study {
  data: TrainData;
  build: (seed: number) => tfl.LayersModel;
  dataset: string;
  synthetic: boolean;
  trainSamples: number;
  testSamples: number;
}

/** Loads `dataset` for `model`: `subset` training samples (all when absent), `testSamples` for evaluation. */
export async function prepareStudy(
  model: string,
  dataset: string,
  options: { dataDir?: string; subset?: number; testSamples?: number; seed?: number } = {},
): Promise<Study> {
  const seed = options.seed ?? 0;
  const entry = modelEntry(model);
  const loaded = loadDataset(dataset, { dataDir: options.dataDir, seed });
  let trainSet: ImageDataset | TabularDataset = stratifiedSample(loaded.train, options.subset, seed);
  let testSet: ImageDataset | TabularDataset = stratifiedSample(loaded.test, options.testSamples ?? 2000, seed + 1);
  if (loaded.kind === "tabular")
    ({ train: trainSet, test: testSet } = standardizeSplit(trainSet as TabularDataset, testSet as TabularDataset));
  await useBackend((await trainingBackend(entry.trainingKernels)).backend);
  const inputShape = "images" in trainSet ? trainSet.shape.slice(1) : [trainSet.featureNames.length];
  const classes = trainSet.classNames.length;
  return {
    data: { train: toArrayData(trainSet), val: toArrayData(testSet), classNames: trainSet.classNames },
    build: (s) => buildModel(model, { inputShape, classes, seed: s }),
    dataset: loaded.name,
    synthetic: loaded.synthetic,
    trainSamples: trainSet.labels.length,
    testSamples: testSet.labels.length,
  };
}
