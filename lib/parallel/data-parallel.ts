/**
 * Data-parallel training over a Communicator (MPI under mpiexec, a world of one otherwise): the
 * same `train()` engine on every rank, plus a synchronisation strategy. The ranks share the
 * evaluation when they hold the same model (root alone otherwise); root writes results, and every
 * rank's final metrics are gathered into one row with the paper's columns.
 */
import { join } from "node:path";
import type * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import type { Partitioner } from "../shard/partitioner";
import { selectSamples, type ArrayData } from "../train/batches";
import { train } from "../train/engine";
import type { ModelIdentity, SyncHooks, TrainConfig, TrainData, TrainResult } from "../train/config";
import type { Communicator } from "./communicator";
import { TimedCommunicator } from "./timed";
import { broadcastVariables, shardedEvaluation, synchronisation, type SyncStrategy } from "./strategies";

/** A distributed run's settings. */
export interface DataParallelConfig {
  sync: SyncStrategy;
  /** allreduce: the global batch (split across ranks). Averaging strategies: the batch per rank. */
  batchSize: number;
  /** Ranks per node, for the paper's "batch per node" column. */
  ranksPerNode: number;
  /** How averaging strategies shard the training set over ranks (default strided, the paper's i mod N = r). */
  partitioner?: Partitioner;
  train: Partial<TrainConfig>;
  /**
   * Called on this rank at the end of every epoch, before the strategy synchronises (before the
   * paper's averaging): where a study looks at each rank's own model.
   */
  beforeSync?: (epoch: number, variables: tf.Variable[]) => void | Promise<void>;
}

/** One row of the paper's Table 2 (root's view). */
export interface DataParallelRow {
  world: number;
  sync: string;
  epochs: number;
  batchPerNode: number;
  batchPerRank: number;
  samplesPerRank: number;
  meanTrainLoss: number;
  meanTrainAccuracy: number;
  testLoss: number;
  testAccuracy: number;
  testMacroF1: number;
  /** Wall time of the slowest rank (s). */
  globalSeconds: number;
  /** Optimisation steps root ran. */
  steps: number;
  /** Root's seconds inside collectives during training (communication plus waiting for slower ranks). */
  commSeconds: number;
  /** commSeconds per step, in ms (0 for a world of one). */
  commMsPerStep: number;
}

const empty = (like: ArrayData): ArrayData => ({
  x: new Float32Array(0),
  y: new Uint8Array(0),
  sampleShape: like.sampleShape,
});

/** Trains `model` data-parallel; every rank calls it. Returns the rank's result and, on root, the row. */
export async function trainDataParallel(
  model: tfl.LayersModel,
  data: TrainData,
  config: DataParallelConfig,
  world: Communicator,
  identity?: ModelIdentity,
): Promise<{ result: TrainResult; row: DataParallelRow | null }> {
  const comm = new TimedCommunicator(world);
  // Every weight, frozen and non-trainable ones included, starts as root's.
  await broadcastVariables(
    comm,
    model.weights.map((w) => w.read() as tf.Variable),
  );
  const n = data.train.y.length;
  const strategy = synchronisation(config.sync);
  const shard = strategy.shard(data.train.y, comm, config.partitioner ?? { kind: "strided" }); // the paper's i mod N = r
  const trainSet = shard ? selectSamples(data.train, shard) : data.train;
  const hooks = strategy.hooks(comm, { samples: n, batchSize: config.batchSize });
  const { beforeSync } = config;
  const shareEvaluation = comm.size > 1 && strategy.sameModelAfterEpoch;
  const sync: SyncHooks = {
    ...hooks,
    ...(shareEvaluation && {
      evaluate: shardedEvaluation(
        comm,
        model.nonTrainableWeights.map((w) => w.read() as tf.Variable),
      ),
    }),
    ...(beforeSync && {
      async afterEpoch(epoch, variables) {
        await beforeSync(epoch, variables);
        await hooks.afterEpoch?.(epoch, variables);
      },
    }),
    // Root decides when to stop (only root has the validation set, or every rank the same
    // predictions), and every rank follows.
    async agreeToStop(stop) {
      const decision = Int32Array.of(stop ? 1 : 0);
      await comm.bcast(decision, 0);
      return decision[0] === 1;
    },
  };
  const isRoot = comm.rank === 0;
  // Only root writes checkpoints; on resume every rank reads root's (a shared folder, as the
  // paper's NFS), so all ranks restart from the same epoch with the same weights and optimiser.
  const outDir = config.train.outDir ?? null;
  const resume = config.train.resume === true && outDir ? join(outDir, "checkpoints") : (config.train.resume ?? false);
  const t0 = performance.now();
  comm.seconds = 0;
  const result = await train(
    model,
    { train: trainSet, val: isRoot || shareEvaluation ? data.val : empty(data.val), classNames: data.classNames },
    {
      ...config.train,
      batchSize: config.batchSize,
      sync,
      outDir: isRoot ? outDir : null,
      resume: isRoot ? (config.train.resume ?? false) : resume,
      progress: isRoot ? (config.train.progress ?? "auto") : "none",
    },
    identity,
  );
  const commSeconds = comm.seconds;
  const seconds = new Float64Array([(performance.now() - t0) / 1000]);
  await comm.allreduceMax(seconds);
  const last = result.history[result.history.length - 1];
  const mine = Float32Array.from([last?.trainLoss ?? NaN, last?.trainAccuracy ?? NaN]);
  const all = await comm.gather(mine, 0);
  if (!isRoot || !all) return { result, row: null };
  let loss = 0;
  let acc = 0;
  for (let r = 0; r < comm.size; r++) {
    loss += all[2 * r];
    acc += all[2 * r + 1];
  }
  const perRank = strategy.globalBatch ? config.batchSize / comm.size : config.batchSize;
  return {
    result,
    row: {
      world: comm.size,
      sync: strategy.label,
      epochs: result.history.length,
      batchPerNode: perRank * Math.min(comm.size, config.ranksPerNode),
      batchPerRank: perRank,
      samplesPerRank: trainSet.y.length,
      meanTrainLoss: loss / comm.size,
      meanTrainAccuracy: acc / comm.size,
      testLoss: last?.valLoss ?? NaN,
      testAccuracy: result.report.accuracy,
      testMacroF1: result.report.macro.f1,
      globalSeconds: seconds[0],
      steps: result.stepSeconds.length,
      commSeconds,
      commMsPerStep: result.stepSeconds.length ? (1000 * commSeconds) / result.stepSeconds.length : 0,
    },
  };
}
