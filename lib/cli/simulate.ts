/**
 * `edgelab simulate-scaling --np 2,4,8,16,32,48 --sync epoch-average|allreduce|local-sgd[:k]
 *   --dataset NAME [--data DIR] [--model NAME] [--epochs E] [--subset N] [--batch B] [--lr X]
 *   [--no-lr-scaling] [--seed S] [--json]`
 */
import { parseArgs } from "node:util";
import type { ImageDataset, TabularDataset } from "../data/dataset";
import { loadDataset } from "../data/registry";
import { stratifiedSample } from "../data/split";
import { standardizeSplit } from "../data/standardize";
import { simulateScaling } from "../dist/simulate";
import { parseSync } from "../dist/strategies";
import { modelEntry } from "../models/registry";
import { toTextTable } from "../report/table";
import { trainingBackend, useBackend } from "../runtime/backends";
import { toArrayData } from "../train/batches";
import { parse, UsageError } from "./args";

const usage = "usage: edgelab simulate-scaling --np 2,4,8,16,32,48 --sync epoch-average|allreduce|local-sgd[:k] --dataset NAME [--data DIR] [--model mlp] [--epochs E] [--subset N] [--batch B] [--lr X] [--no-lr-scaling] [--seed S] [--json]";

/** Runs `edgelab simulate-scaling`. */
export async function simulateCommand(argv: string[]): Promise<void> {
  const options = {
    np: { type: "string" }, sync: { type: "string" }, dataset: { type: "string" }, data: { type: "string" }, model: { type: "string" },
    epochs: { type: "string" }, subset: { type: "string" }, batch: { type: "string" }, lr: { type: "string" }, "no-lr-scaling": { type: "boolean" },
    seed: { type: "string" }, json: { type: "boolean" },
  } as const;
  const { values } = parse(() => parseArgs({ args: argv, options, strict: true }), "simulate-scaling");
  if (!values.np || !values.sync || !values.dataset) throw new UsageError(`simulate-scaling: --np, --sync and --dataset are required\n${usage}`);
  const nps = values.np.split(",").map((v) => Number(v.trim()));
  if (nps.some((v) => !Number.isInteger(v) || v < 1 || v > 1024)) throw new UsageError(`simulate-scaling: --np must be a comma-separated list of positive integers, got "${values.np}"`);
  let sync;
  try {
    sync = parseSync(values.sync);
  } catch (err) {
    throw new UsageError(`simulate-scaling: ${(err as Error).message}`);
  }
  const num = (v: string | undefined, flag: string, fallback: number): number => {
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!(n > 0)) throw new UsageError(`simulate-scaling: ${flag} must be a positive number, got "${v}"`);
    return n;
  };
  const seed = values.seed === undefined ? 0 : Number(values.seed);
  const modelName = values.model ?? "mlp";
  const entry = modelEntry(modelName);
  const loaded = loadDataset(values.dataset, { dataDir: values.data, seed });
  let trainSet: ImageDataset | TabularDataset = stratifiedSample(loaded.train, values.subset ? num(values.subset, "--subset", 0) : undefined, seed);
  let testSet: ImageDataset | TabularDataset = stratifiedSample(loaded.test, 2000, seed + 1);
  if (loaded.kind === "tabular") ({ train: trainSet, test: testSet } = standardizeSplit(trainSet as TabularDataset, testSet as TabularDataset));
  await useBackend((await trainingBackend(entry.trainingKernels)).backend);
  const inputShape = "images" in trainSet ? trainSet.shape.slice(1) : [trainSet.featureNames.length];
  const epochs = num(values.epochs, "--epochs", 2);
  const rows = await simulateScaling(
    (rank) => entry.build({ inputShape, classes: trainSet.classNames.length, seed: seed + rank }),
    { train: toArrayData(trainSet), val: toArrayData(testSet), classNames: trainSet.classNames },
    { nps, sync, epochs, batchPerRank: num(values.batch, "--batch", 12), learningRate: num(values.lr, "--lr", 5e-4), linearScaling: !values["no-lr-scaling"], seed },
  );
  const result = { model: modelName, dataset: loaded.name, synthetic: loaded.synthetic, trainSamples: trainSet.labels.length, testSamples: testSet.labels.length, epochs, rows };
  if (values.json) {
    console.log(JSON.stringify(result));
    return;
  }
  console.log(`${modelName} on ${loaded.name}${loaded.synthetic ? " (SYNTHETIC)" : ""}, ${trainSet.labels.length} training samples, ${epochs} epochs`);
  console.log(toTextTable(rows));
}
