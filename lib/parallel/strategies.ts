/**
 * Synchronisation strategies for data-parallel training, as engine hooks over a Communicator:
 * - `allreduceGradients`: synchronous SGD. Every step each rank takes its strided share of the same
 *   global batch, and the gradients (fused into one buffer, weighted by each rank's share) are
 *   summed over ranks in one allreduce. Equivalent to one process training on the global batch.
 * - `epochAverage`: the paper's method. Ranks train alone on their shard for a whole epoch; at its
 *   end the weights are gathered to the root, averaged and broadcast back.
 * - `localSgd(k)`: weights averaged (one allreduce) every k steps.
 */
import * as tf from "@tensorflow/tfjs-core";
import { weightedMean } from "../buffers/aggregate";
import { fuse, scaleInPlace, unfuse } from "../buffers/fuse";
import { copyTensorsInto, tensorsFrom } from "../kernels/tensor-copy";
import { shardFor, type Partitioner } from "../shard/partitioner";
import type { SyncHooks } from "../train/config";
import type { Communicator } from "./communicator";

/** A strategy as plain config (what `--sync` parses to). */
export type SyncStrategy = { kind: "allreduce" } | { kind: "epoch-average" } | { kind: "local-sgd"; k: number };

/** Parses `allreduce`, `epoch-average` or `local-sgd[:k]` (k defaults to 8). */
export function parseSync(text: string): SyncStrategy {
  if (text === "allreduce") return { kind: "allreduce" };
  if (text === "epoch-average") return { kind: "epoch-average" };
  const m = /^local-sgd(?::(\d+))?$/.exec(text);
  if (m) {
    const k = m[1] ? Number(m[1]) : 8;
    if (k < 1) throw new Error(`local-sgd needs k ≥ 1, got ${k}`);
    return { kind: "local-sgd", k };
  }
  throw new Error(`unknown --sync "${text}"; use allreduce, epoch-average or local-sgd[:k]`);
}

/** Copies the variables' values into one fused buffer. */
export function fuseVariables(variables: tf.Variable[], out?: Float32Array): Float32Array {
  return fuse(
    variables.map((v) => v.dataSync() as Float32Array),
    out,
  );
}

/** Writes a fused buffer back into the variables. */
export function assignFused(variables: tf.Variable[], buf: Float32Array): void {
  const parts = unfuse(
    buf,
    variables.map((v) => v.size),
  );
  variables.forEach((v, i) => tf.tidy(() => v.assign(tf.tensor(parts[i], v.shape))));
}

/** Makes every rank start from root's weights. */
export async function broadcastVariables(comm: Communicator, variables: tf.Variable[]): Promise<void> {
  if (comm.size === 1) return;
  const buf = fuseVariables(variables);
  await comm.bcast(buf, 0);
  assignFused(variables, buf);
}

/**
 * Synchronous SGD: strided shares of each global batch, and one fused allreduce per step that
 * carries the share-weighted gradients and the loss together (one rendezvous of the ranks per step).
 * The gradients travel between the wasm heap and one reused buffer, and come back in the same
 * tensors where they own their data: no per-step garbage the size of the model.
 */
export function allreduceGradients(comm: Communicator): SyncHooks {
  let fused: Float32Array | null = null;
  let globalLoss = NaN;
  return {
    batchIndices(order, s, batchSize) {
      const global = order.subarray(s * batchSize, Math.min(order.length, (s + 1) * batchSize));
      const share: number[] = [];
      for (let i = comm.rank; i < global.length; i += comm.size) share.push(global[i]);
      return Int32Array.from(share);
    },
    async gradients(grads, batch, loss) {
      const names = Object.keys(grads);
      const tensors = names.map((k) => grads[k]);
      const length = tensors.reduce((n, t) => n + t.size, 0) + 2;
      if (!fused || fused.length !== length) fused = new Float32Array(length);
      const buf = fused;
      copyTensorsInto(tensors, buf);
      const gradientPart = buf.subarray(0, length - 2);
      // Each rank's gradient and loss are means over its share; weight by the share to get the global means.
      scaleInPlace(gradientPart, batch);
      buf[length - 2] = loss * batch;
      buf[length - 1] = batch;
      await comm.allreduceSum(buf);
      const total = buf[length - 1];
      globalLoss = buf[length - 2] / total;
      scaleInPlace(gradientPart, 1 / total);
      const reduced = tensorsFrom(gradientPart, tensors);
      return Object.fromEntries(names.map((k, i) => [k, reduced[i]]));
    },
    // Reduced with this step's gradients: no second collective.
    loss: () => globalLoss,
  };
}

/**
 * Evaluation split over the ranks: rank r runs the model over validation samples r, r + size, …,
 * and one allreduce of n + 1 floats hands every rank every prediction and the summed loss, so no
 * rank idles while root evaluates alone. Valid only when every rank holds the same model: use it
 * with a strategy whose {@link Synchronisation.sameModelAfterEpoch} is true. `rootState` (e.g.
 * batch-norm moving statistics, which no strategy averages) is first copied from root, so that
 * the model evaluated is root's.
 */
export function shardedEvaluation(comm: Communicator, rootState: tf.Variable[]): NonNullable<SyncHooks["evaluate"]> {
  return async (n, evaluateSamples) => {
    if (rootState.length > 0) await broadcastVariables(comm, rootState);
    const mine = Int32Array.from({ length: Math.max(0, Math.ceil((n - comm.rank) / comm.size)) }, (_, k) => {
      return comm.rank + k * comm.size;
    });
    const all = new Float32Array(n + 1);
    if (mine.length > 0) {
      const { loss, predictions } = evaluateSamples(mine);
      for (let k = 0; k < mine.length; k++) all[mine[k]] = predictions[k];
      all[n] = loss * mine.length;
    }
    await comm.allreduceSum(all);
    return { loss: n > 0 ? all[n] / n : NaN, predictions: Int32Array.from(all.subarray(0, n)) };
  };
}

/** The element-wise mean of `world` equal-length rows gathered end to end (what root averages). */
export function meanOfRanks(gathered: Float32Array, world: number): Float32Array {
  const length = gathered.length / world;
  if (!Number.isInteger(length)) throw new Error(`${gathered.length} values do not split into ${world} ranks`);
  const rows = Array.from({ length: world }, (_, r) => gathered.subarray(r * length, (r + 1) * length));
  return weightedMean(rows, new Array<number>(world).fill(1));
}

/** The paper's epoch-end weight averaging, literally: gather to root, average there, broadcast. */
export function epochAverage(comm: Communicator): SyncHooks {
  return {
    async afterEpoch(_epoch, variables) {
      if (comm.size === 1) return;
      const mine = fuseVariables(variables);
      const all = await comm.gather(mine, 0);
      const avg = all ? meanOfRanks(all, comm.size) : new Float32Array(mine.length);
      await comm.bcast(avg, 0);
      assignFused(variables, avg);
    },
  };
}

/** Local SGD: weights averaged over ranks every `k` steps (steps per epoch agreed across ranks). */
export function localSgd(comm: Communicator, k: number, stepsPerEpoch: number): SyncHooks {
  let buf: Float32Array | null = null;
  return {
    stepsPerEpoch: () => stepsPerEpoch,
    async afterStep(step, variables) {
      if (comm.size === 1 || step % k !== 0) return;
      // The model's size never changes: one buffer for the whole run.
      buf ??= new Float32Array(variables.reduce((n, v) => n + v.size, 0));
      fuseVariables(variables, buf);
      await comm.allreduceMean(buf);
      assignFused(variables, buf);
    },
  };
}

/** How often a strategy moves the whole model in one epoch: what the α–β cost model prices. */
export interface EpochCommunication {
  /** Allreduces of a model-sized buffer (gradients or weights). */
  allreduces: number;
  /** Gather-to-root then broadcast rounds of a model-sized buffer. */
  gatherBcasts: number;
}

/**
 * A synchronisation strategy: everything that differs between `allreduce`, `epoch-average` and
 * `local-sgd:k`, in one object, so the trainer, the simulator and the cost model ask it instead of
 * branching on the name.
 */
export interface Synchronisation {
  readonly spec: SyncStrategy;
  /** Its name in result rows and on the command line: `allreduce`, `epoch-average`, `local-sgd:8`. */
  readonly label: string;
  /** Whether `--batch` is the global batch, split over the ranks at every step (else it is each rank's). */
  readonly globalBatch: boolean;
  /** Whether every rank holds the same trainable weights after each epoch (so they can share the evaluation). */
  readonly sameModelAfterEpoch: boolean;
  /** The samples this rank trains on, or null for every sample (its shares are then taken per batch). */
  shard(labels: ArrayLike<number>, comm: Communicator, partitioner: Partitioner): Int32Array | null;
  /** The engine hooks that keep this rank in step with the others; `samples` is the whole training set. */
  hooks(comm: Communicator, run: { samples: number; batchSize: number }): SyncHooks;
  /** Model-sized collectives per epoch for `samples` samples, `batchPerRank` per rank and step, `world` ranks. */
  communication(samples: number, batchPerRank: number, world: number): EpochCommunication;
}

/** The strategy object for a parsed `--sync`. */
export function synchronisation(spec: SyncStrategy): Synchronisation {
  switch (spec.kind) {
    case "allreduce":
      return {
        spec,
        label: "allreduce",
        globalBatch: true,
        sameModelAfterEpoch: true,
        shard: () => null,
        hooks: (comm) => allreduceGradients(comm),
        communication: (samples, batchPerRank, world) => ({
          allreduces: Math.ceil(samples / (batchPerRank * world)),
          gatherBcasts: 0,
        }),
      };
    case "epoch-average":
      return {
        spec,
        label: "epoch-average",
        globalBatch: false,
        sameModelAfterEpoch: true,
        shard: (labels, comm, partitioner) => shardFor(partitioner, labels, comm.size, comm.rank),
        hooks: (comm) => epochAverage(comm),
        communication: () => ({ allreduces: 0, gatherBcasts: 1 }),
      };
    case "local-sgd":
      return {
        spec,
        label: `local-sgd:${spec.k}`,
        globalBatch: false,
        // An epoch need not end on an averaging step.
        sameModelAfterEpoch: false,
        shard: (labels, comm, partitioner) => shardFor(partitioner, labels, comm.size, comm.rank),
        // Every rank runs as many steps as the smallest shard allows, so the averaging rounds line up.
        hooks: (comm, run) =>
          localSgd(comm, spec.k, Math.max(1, Math.floor(Math.floor(run.samples / comm.size) / run.batchSize))),
        communication: (samples, batchPerRank, world) => ({
          allreduces: Math.floor(Math.ceil(samples / world / batchPerRank) / spec.k),
          gatherBcasts: 0,
        }),
      };
  }
}
