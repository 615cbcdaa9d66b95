/**
 * Federated learning simulated in one process: N virtual clients share one model instance whose
 * weights are swapped in and out; each round the strategy samples clients, each trains locally
 * with edgelab's engine from the global weights (FedProx's proximal term added to its gradients),
 * injected failures drop some results, the strategy aggregates, and the global model is evaluated
 * centrally. History is written per round and the global parameters checkpointed, so a run resumes.
 */
import { join } from "node:path";
import type * as tfl from "@tensorflow/tfjs-layers";
import { Rng } from "../random/rng";
import { writeCsv } from "../report/table";
import { selectSamples } from "../train/batches";
import { TrainingDivergedError } from "../train/loop";
import type { TrainData } from "../train/config";
import { loadRoundCheckpoint, saveRoundCheckpoint } from "./checkpoint";
import { flatWeights, localEvaluate, localFit } from "./local";
import { labelHistogram, partitionLabels, type PartitionSpec } from "./partition";
import { sampleSize, type FederatedStrategy, type FitResult } from "./strategies";

/** One simulated study. */
export interface FederatedSimulation {
  clients: number;
  rounds: number;
  strategy: FederatedStrategy;
  partition: PartitionSpec;
  localEpochs: number;
  batchSize: number;
  learningRate: number;
  optimizer: "sgd" | "adam";
  seed: number;
  /** Probability that a sampled client fails in a round (its result never arrives). */
  failureRate: number;
  /**
   * Probability that a sampled client is a straggler (FedProx's systems heterogeneity): it gets
   * through only part of its local work (a uniform 10–90 % of its samples, one pass) before the
   * round closes, and that partial result is aggregated.
   */
  stragglerRate: number;
  /** Folder for history.csv and the per-round checkpoint; null keeps nothing. */
  outDir: string | null;
  /** Continue from `outDir`'s checkpoint when there is one. */
  resume: boolean;
}

/** Defaults: 1 local epoch, batch 32, SGD lr 0.05, no failures. */
export const defaultFederatedSimulation: Readonly<
  Omit<FederatedSimulation, "clients" | "rounds" | "strategy" | "partition">
> = Object.freeze({
  localEpochs: 1,
  batchSize: 32,
  learningRate: 0.05,
  optimizer: "sgd",
  seed: 0,
  failureRate: 0,
  stragglerRate: 0,
  outDir: null,
  resume: false,
});

/** One round's record (what `edgelab fl simulate --json` prints per round). */
export interface RoundRow {
  round: number;
  testAccuracy: number;
  testLoss: number;
  clientsSampled: number;
  clientsFailed: number;
  /** Sampled clients that returned partial work. */
  clientsStraggling: number;
  bytesUp: number;
  bytesDown: number;
  seconds: number;
  trainSeconds: number;
  aggregateSeconds: number;
}

/**
 * Runs the simulation. `build()` returns a fresh model (its initial weights are the global start);
 * `onRound` sees each row as it completes (progress in notebooks).
 */
export async function simulateFederated(
  build: () => tfl.LayersModel,
  data: TrainData,
  overrides: Partial<FederatedSimulation> & Pick<FederatedSimulation, "clients" | "rounds" | "strategy" | "partition">,
  onRound?: (row: RoundRow) => void,
): Promise<{ rounds: RoundRow[]; histogram: number[][]; parameters: Float32Array }> {
  const sim: FederatedSimulation = { ...defaultFederatedSimulation, ...overrides };
  const model = build();
  const classes = data.classNames.length;
  const parts = partitionLabels(data.train.y, sim.clients, sim.partition, sim.seed);
  const histogram = labelHistogram(data.train.y, parts, classes);
  let global = flatWeights(model);
  const rows: RoundRow[] = [];
  const checkpoint = sim.outDir ? join(sim.outDir, "checkpoint") : null;
  const saved =
    checkpoint && sim.resume ? loadRoundCheckpoint<RoundRow>(checkpoint, sim.strategy, global.length) : null;
  if (saved) {
    global = saved.parameters;
    rows.push(...saved.rows);
  }
  const bytesPerModel = global.byteLength;
  for (let round = rows.length + 1; round <= sim.rounds; round++) {
    const t0 = performance.now();
    const rng = new Rng(sim.seed * 1000 + round);
    const { fractionFit, minFitClients, minAvailableClients } = sim.strategy.sampling;
    if (sim.clients < minAvailableClients)
      throw new Error(`${sim.clients} clients available, the strategy needs at least ${minAvailableClients}`);
    const count = Math.min(sim.clients, sampleSize(sim.clients, fractionFit, minFitClients));
    const sampled = rng.shuffle(Int32Array.from({ length: sim.clients }, (_, i) => i)).slice(0, count);
    const config = sim.strategy.fitConfig(round);
    const mu = typeof config.proximal_mu === "number" ? config.proximal_mu : 0;
    const results: FitResult[] = [];
    let failed = 0;
    let stragglers = 0;
    for (const client of sampled) {
      if (rng.next() < sim.failureRate) {
        failed++;
        continue;
      }
      // Draw only when stragglers are asked for, so runs without them keep their random sequence.
      const straggles = sim.stragglerRate > 0 && rng.next() < sim.stragglerRate;
      const own = parts[client];
      const done = straggles ? own.subarray(0, Math.max(1, Math.round(own.length * (0.1 + 0.8 * rng.next())))) : own;
      stragglers += straggles ? 1 : 0;
      const local = selectSamples(data.train, done);
      let fit: Awaited<ReturnType<typeof localFit>>;
      try {
        fit = await localFit(model, global, local, data.classNames, {
          epochs: straggles ? 1 : sim.localEpochs,
          batchSize: sim.batchSize,
          optimizer: sim.optimizer,
          learningRate: sim.learningRate,
          proximalMu: mu,
          seed: sim.seed + round * 7919 + client,
        });
      } catch (err) {
        // A client whose training diverged returns nothing usable: a failure of this round.
        if (!(err instanceof TrainingDivergedError)) throw err;
        failed++;
        continue;
      }
      results.push({ parameters: fit.parameters, numExamples: fit.numExamples });
    }
    const t1 = performance.now();
    if (results.length > 0) global = sim.strategy.aggregateFit(global, results, round);
    const t2 = performance.now();
    const central = localEvaluate(model, global, data.val, classes);
    const row: RoundRow = {
      round,
      testAccuracy: central.accuracy,
      testLoss: central.loss,
      clientsSampled: sampled.length,
      clientsFailed: failed,
      clientsStraggling: stragglers,
      bytesUp: results.length * bytesPerModel,
      bytesDown: sampled.length * bytesPerModel,
      seconds: (performance.now() - t0) / 1000,
      trainSeconds: (t1 - t0) / 1000,
      aggregateSeconds: (t2 - t1) / 1000,
    };
    rows.push(row);
    onRound?.(row);
    if (sim.outDir && checkpoint) {
      saveRoundCheckpoint(checkpoint, { rows, parameters: global, shapes: null }, sim.strategy);
      writeCsv(join(sim.outDir, "history.csv"), rows as unknown as Record<string, number>[]);
    }
  }
  model.dispose();
  return { rounds: rows, histogram, parameters: global };
}
