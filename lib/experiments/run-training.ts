/**
 * One training run from names, as `edgelab train` and the notebooks ask for it: load the dataset,
 * standardise tabular features (statistics fitted on the training rows and saved beside the
 * model), take a stratified subset, pick a backend that has the model's training kernels, train
 * with checkpoints, and write the run's artefacts.
 */
import "../runtime/tfjs";
import { join } from "node:path";
import type { ImageDataset, TabularDataset } from "../data/dataset";
import { DataFormatError } from "../data/errors";
import { loadDataset } from "../data/registry";
import { stratifiedSample } from "../data/split";
import { standardizeSplit, type Standardizer } from "../data/standardize";
import { buildModel, freezeAllBut, modelEntry, parameterCount } from "../models";
import { writeJsonAtomic } from "../report/atomic";
import { lockFolder } from "../report/lock";
import { writeCsv } from "../report/table";
import { useBackend, trainingBackend, type BackendName } from "../runtime/backends";
import { configureThreads } from "../runtime/threads";
import { worldCommunicator, type Communicator } from "../parallel/communicator";
import { trainDataParallel, type DataParallelRow } from "../parallel/data-parallel";
import type { SyncStrategy } from "../parallel/strategies";
import { hasCheckpoint } from "../train/checkpoint";
import { hasXGBoostCheckpoint } from "../train/xgboost-checkpoint";
import { toArrayData } from "../train/batches";
import { train } from "../train/engine";
import type { TrainConfig, TrainResult } from "../train/config";
import { trainTabularBaseline } from "../train/tabular-baselines";

/** A training run described by names and numbers (what the CLI flags map to). */
export interface RunSpec {
  model: string;
  /** A registered dataset name or a path. */
  dataset: string;
  /** Folder with the real data (CIFAR-10, CICIDS2017, MNIST). */
  dataDir?: string;
  /** A generic CSV's label column (`dataset` is then that CSV). */
  label?: string;
  /** A generic CSV's feature columns (default: all but the label). */
  features?: string[];
  /** Train on a stratified subset of this many samples (the seed's Pi debug run: 100). */
  subset?: number;
  /** Evaluate on at most this many test samples (stratified); default: all, or max(1000, subset) with a subset. */
  testSubset?: number;
  threads?: number;
  /** Where history, checkpoints and the summary go. */
  outDir: string;
  /** Resume from `outDir`'s latest checkpoint (it must exist). */
  resume?: boolean;
  seed?: number;
  train?: Partial<TrainConfig>;
  /** XGBoost's boosting rounds (default 100). */
  rounds?: number;
  /** Train only the model's head (registry `head`), every other layer frozen. */
  finetune?: boolean;
  /** Data-parallel over MPI (launch with mpiexec); `train.batchSize` is the global batch for allreduce, per rank otherwise. */
  distributed?: { sync: SyncStrategy; ranksPerNode: number };
}

/** What a run reports (`edgelab train --json` prints this). */
export interface RunSummary {
  model: string;
  dataset: string;
  synthetic: boolean;
  backend: BackendName;
  backendNote: string | null;
  parameters: number;
  /** Parameters the optimizer updates (fewer than `parameters` when finetuning). */
  trainableParameters: number;
  trainSamples: number;
  testSamples: number;
  epochs: number;
  samplesPerSec: number;
  secondsPerEpoch: number;
  testAccuracy: number;
  testMacroF1: number;
  testWeightedF1: number;
  peakRssMB: number;
  resumedFromEpoch: number;
  stoppedEarly: boolean;
  outDir: string;
  /** MPI rank of this process (0 without mpiexec) and world size. */
  rank: number;
  world: number;
  /** The paper's Table 2 row (distributed runs, root only). */
  distributed: DataParallelRow | null;
}

/**
 * Runs one training job; returns the summary and the engine's full result. The run folder is
 * locked for the run (by the root rank in a distributed run): a second writer fails at once.
 */
export async function runTraining(
  spec: RunSpec,
): Promise<{ summary: RunSummary; result: TrainResult; standardizer: Standardizer | null }> {
  const comm = spec.distributed ? worldCommunicator() : null;
  const unlock = (comm?.rank ?? 0) === 0 ? lockFolder(spec.outDir) : () => {};
  try {
    return await trainRun(spec, comm);
  } finally {
    unlock();
  }
}

async function trainRun(
  spec: RunSpec,
  comm: Communicator | null,
): Promise<{ summary: RunSummary; result: TrainResult; standardizer: Standardizer | null }> {
  const entry = modelEntry(spec.model);
  if (spec.distributed && !entry.capabilities.distributed)
    throw new Error(`${spec.model} does not train data-parallel over MPI`);
  const seed = spec.seed ?? 0;
  const checkpoints = join(spec.outDir, "checkpoints");
  const xgboost = entry.trainer === "xgboost"; // its checkpoint is the booster, not tensors
  if (spec.resume && !(xgboost ? hasXGBoostCheckpoint(checkpoints) : hasCheckpoint(checkpoints))) {
    throw new DataFormatError(
      spec.outDir,
      `no checkpoint to resume from (expected checkpoints/${xgboost ? "xgboost" : "latest"}.json)`,
    );
  }
  configureThreads(spec.threads ? { intraOp: spec.threads } : {});
  const loaded = loadDataset(spec.dataset, { dataDir: spec.dataDir, seed, label: spec.label, features: spec.features });
  if (entry.input === "image" && loaded.kind !== "image")
    throw new Error(`model ${spec.model} takes images; dataset ${loaded.name} is tabular`);
  if (entry.input === "tabular" && loaded.kind !== "tabular")
    throw new Error(`model ${spec.model} takes flow features; dataset ${loaded.name} holds images`);

  let standardizer: Standardizer | null = null;
  let trainSet: ImageDataset | TabularDataset = stratifiedSample(loaded.train, spec.subset, seed);
  // A subset run (a debug run) evaluates on a matching stratified slice; a full run on the whole test set.
  const testSize = spec.testSubset ?? (spec.subset !== undefined ? Math.max(1000, spec.subset) : undefined);
  let testSet: ImageDataset | TabularDataset = stratifiedSample(loaded.test, testSize, seed + 1);
  if (loaded.kind === "tabular") {
    const split = standardizeSplit(trainSet as TabularDataset, testSet as TabularDataset);
    [trainSet, testSet, standardizer] = [split.train, split.test, split.standardizer];
    writeJsonAtomic(join(spec.outDir, "standardizer.json"), standardizer);
  }
  writeJsonAtomic(join(spec.outDir, "classes.json"), trainSet.classNames);
  const { backend, reason } = await trainingBackend(entry.trainingKernels);
  await useBackend(backend);
  const data = { train: toArrayData(trainSet), val: toArrayData(testSet), classNames: trainSet.classNames };
  if (entry.trainer !== "engine") {
    const run = await trainTabularBaseline(entry.trainer, data, {
      epochs: spec.train?.epochs ?? 1,
      batchSize: spec.train?.batchSize,
      learningRate: spec.train?.learningRate,
      seed,
      outDir: spec.outDir,
      resume: spec.resume === true,
      ...(spec.rounds ? { xgboost: { rounds: spec.rounds } } : {}),
    });
    run.model.dispose();
    const native = xgboost;
    const summary = runSummary(spec, loaded, trainSet, testSet, run.result, {
      backend: native ? "cpu" : backend,
      backendNote: native ? "libxgboost (native, not tfjs)" : reason,
      parameters: run.parameters,
      trainableParameters: run.parameters,
      rank: 0,
      world: 1,
      distributed: null,
    });
    writeJsonAtomic(join(spec.outDir, "summary.json"), summary);
    writeCsv(join(spec.outDir, "per-class.csv"), run.result.report.perClass);
    return { summary, result: run.result, standardizer };
  }
  const inputShape = "images" in trainSet ? trainSet.shape.slice(1) : [trainSet.featureNames.length];
  const shape = { inputShape, classes: trainSet.classNames.length, seed };
  const model = buildModel(spec.model, shape);
  const parameters = parameterCount(model);
  if (spec.finetune) {
    if (!entry.capabilities.freeze || !entry.head)
      throw new Error(`${spec.model} cannot be finetuned: it declares no head to train alone`);
    freezeAllBut(model, entry.head);
  }
  const trainConfig: Partial<TrainConfig> = { seed, ...spec.train, outDir: spec.outDir, resume: spec.resume === true };
  let row: DataParallelRow | null = null;
  let result;
  if (comm && spec.distributed) {
    const run = await trainDataParallel(
      model,
      data,
      {
        sync: spec.distributed.sync,
        batchSize: trainConfig.batchSize ?? 32,
        ranksPerNode: spec.distributed.ranksPerNode,
        train: trainConfig,
      },
      comm,
      { name: spec.model, config: shape },
    );
    result = run.result;
    row = run.row;
  } else {
    result = await train(model, data, trainConfig, { name: spec.model, config: shape });
  }
  const summary = runSummary(spec, loaded, trainSet, testSet, result, {
    backend,
    backendNote: reason,
    parameters,
    trainableParameters: parameterCount(model),
    rank: comm?.rank ?? 0,
    world: comm?.size ?? 1,
    distributed: row,
  });
  if (summary.rank === 0) {
    writeJsonAtomic(join(spec.outDir, "summary.json"), summary);
    writeCsv(join(spec.outDir, "per-class.csv"), result.report.perClass);
  }
  model.dispose();
  return { summary, result, standardizer };
}

function runSummary(
  spec: RunSpec,
  loaded: { name: string; synthetic: boolean },
  trainSet: ImageDataset | TabularDataset,
  testSet: ImageDataset | TabularDataset,
  result: TrainResult,
  extra: Pick<
    RunSummary,
    "backend" | "backendNote" | "parameters" | "trainableParameters" | "rank" | "world" | "distributed"
  >,
): RunSummary {
  return {
    model: spec.model,
    dataset: loaded.name,
    synthetic: loaded.synthetic,
    backend: extra.backend,
    backendNote: extra.backendNote,
    parameters: extra.parameters,
    trainableParameters: extra.trainableParameters,
    trainSamples: trainSet.labels.length,
    testSamples: testSet.labels.length,
    epochs: result.history.length,
    samplesPerSec: result.samplesPerSec,
    secondsPerEpoch: result.secondsPerEpoch,
    testAccuracy: result.report.accuracy,
    testMacroF1: result.report.macro.f1,
    testWeightedF1: result.report.weighted.f1,
    peakRssMB: result.peakRssMB,
    resumedFromEpoch: result.resumedFromEpoch,
    stoppedEarly: result.stoppedEarly,
    outDir: spec.outDir,
    rank: extra.rank,
    world: extra.world,
    distributed: extra.distributed,
  };
}
