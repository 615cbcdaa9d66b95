/**
 * The statistical scaling simulator: for each np, np virtual ranks run the same data-parallel
 * code (same strategies, same engine) in one process, and root's test metrics are recorded. It
 * reproduces the accuracy-versus-np half of the paper's Table 2 without np cores; wall times come
 * from the cost model instead.
 */
import type * as tfl from "@tensorflow/tfjs-layers";
import type { TrainConfig, TrainData } from "../train/config";
import { trainDataParallel } from "./data-parallel";
import { synchronisation, type SyncStrategy } from "./strategies";
import { virtualWorld } from "./virtual";

/** One simulated study. */
export interface ScalingSimulation {
  nps: number[];
  sync: SyncStrategy;
  /** Batch per rank (the paper: 12); allreduce runs a global batch of np × this. */
  batchPerRank: number;
  epochs: number;
  /** Base learning rate (the paper: Adam 5e-4). */
  learningRate: number;
  /** Goyal et al. 2017: scale the rate with the global batch (allreduce only), with warm-up. */
  linearScaling: boolean;
  /** Warm-up length in epochs when scaling. */
  warmupEpochs: number;
  seed: number;
  ranksPerNode: number;
  /** Extra engine settings (optimizer, schedule). */
  train?: Partial<TrainConfig>;
}

/** Defaults from the paper: batch 12 per rank, 10 epochs, Adam lr 5e-4, 2 ranks per node. */
export const defaultScalingSimulation: Readonly<Omit<ScalingSimulation, "nps" | "sync">> = Object.freeze({
  batchPerRank: 12,
  epochs: 10,
  learningRate: 5e-4,
  linearScaling: true,
  warmupEpochs: 1,
  seed: 0,
  ranksPerNode: 2,
});

/** A simulated row. */
export interface SimulatedRow {
  np: number;
  sync: string;
  testAccuracy: number;
  testLoss: number;
  /** Mean over ranks of the last epoch's training loss. */
  trainLoss: number;
  trainAccuracy: number;
  samplesPerRank: number;
  globalBatch: number;
  learningRate: number;
  stepsPerEpoch: number;
}

/** Runs the simulation; `build(rank)` returns a fresh model (root's weights are broadcast). */
export async function simulateScaling(
  build: (rank: number) => tfl.LayersModel,
  data: TrainData,
  overrides: Partial<ScalingSimulation> & Pick<ScalingSimulation, "nps" | "sync">,
): Promise<SimulatedRow[]> {
  const sim: ScalingSimulation = { ...defaultScalingSimulation, ...overrides };
  const rows: SimulatedRow[] = [];
  const n = data.train.y.length;
  for (const np of sim.nps) {
    const { globalBatch: splitsBatch } = synchronisation(sim.sync);
    const globalBatch = splitsBatch ? sim.batchPerRank * np : sim.batchPerRank;
    const scale = splitsBatch && sim.linearScaling ? np : 1;
    const stepsPerEpoch = splitsBatch ? Math.ceil(n / globalBatch) : Math.ceil(n / np / sim.batchPerRank);
    const comms = virtualWorld(np);
    const models = comms.map((c) => build(c.rank));
    const runs = await Promise.all(
      comms.map((comm, r) =>
        trainDataParallel(
          models[r],
          data,
          {
            sync: sim.sync,
            batchSize: globalBatch,
            ranksPerNode: sim.ranksPerNode,
            train: {
              ...sim.train,
              epochs: sim.epochs,
              learningRate: sim.learningRate * scale,
              warmupSteps: scale > 1 ? Math.round(sim.warmupEpochs * stepsPerEpoch) : 0,
              seed: sim.seed,
              progress: "none",
            },
          },
          comm,
        ),
      ),
    );
    models.forEach((m) => m.dispose());
    const row = runs[0].row!;
    rows.push({
      np,
      sync: row.sync,
      testAccuracy: row.testAccuracy,
      testLoss: row.testLoss,
      trainLoss: row.meanTrainLoss,
      trainAccuracy: row.meanTrainAccuracy,
      samplesPerRank: row.samplesPerRank,
      globalBatch,
      learningRate: sim.learningRate * scale,
      stepsPerEpoch,
    });
  }
  return rows;
}
