/**
 * The statistical scaling simulator: for each np, np virtual ranks run the same data-parallel
 * code (same strategies, same engine) in one process, and root's test metrics are recorded. It
 * reproduces the accuracy-versus-np half of the paper's Table 2 without np cores; wall times come
 * from the cost model instead.
 */
import type * as tfl from "@tensorflow/tfjs-layers";
import { weightDivergence, type WeightDivergence } from "../buffers/divergence";
import type { ClassifierHealth } from "../metrics/classifier-health";
import type { TrainConfig, TrainData } from "../train/config";
import { classifierHealthCallback } from "../train/health-probe";
import { trainDataParallel } from "./data-parallel";
import { fuseVariables, synchronisation, type SyncStrategy } from "./strategies";
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
  /**
   * A layer whose outputs root probes on the test set before training and after every epoch
   * (`metrics.classifierHealth`: dead units, logit spread), e.g. SqueezeNet's `conv10`.
   */
  probeLayer?: string;
  /** Called as each np finishes, with the rows so far: long studies save as they go. */
  onRow?: (rows: readonly SimulatedRow[]) => void;
}

/** One epoch of a simulated run, as root saw it after the epoch's synchronisation. */
export interface SimulatedEpoch {
  /** 0 = before training (health only). */
  epoch: number;
  testAccuracy: number;
  testLoss: number;
  /** Root's own training loss over the epoch. */
  trainLoss: number;
  /** How far apart the ranks' models were at the epoch's end, before synchronising (null for epoch 0). */
  divergence: WeightDivergence | null;
  /** The probed layer's health after synchronising (null without `probeLayer`). */
  health: ClassifierHealth | null;
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
  /** Per epoch, from 0 (before training). */
  history: SimulatedEpoch[];
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
    if (sim.probeLayer && !models[0].layers.some((l) => l.name === sim.probeLayer)) {
      const names = models[0].layers.map((l) => l.name).join(", ");
      models.forEach((m) => m.dispose());
      throw new Error(`model ${models[0].name} has no layer "${sim.probeLayer}" to probe; its layers: ${names}`);
    }
    // Virtual ranks share this process, so the study reads every rank's model directly.
    const snapshots = new Map<number, Float32Array[]>();
    const divergences = new Map<number, WeightDivergence>();
    const beforeSync = (rank: number, epoch: number, variables: Parameters<typeof fuseVariables>[0]): void => {
      const rows = snapshots.get(epoch) ?? [];
      snapshots.set(epoch, rows);
      rows[rank] = fuseVariables(variables);
      if (rows.filter(Boolean).length === np) {
        divergences.set(epoch, weightDivergence(rows));
        snapshots.delete(epoch);
      }
    };
    const health = new Map<number, ClassifierHealth>();
    const probe = sim.probeLayer
      ? [classifierHealthCallback(sim.probeLayer, data.val, (e, h) => health.set(e, h))]
      : [];
    const runs = await Promise.all(
      comms.map((comm, r) =>
        trainDataParallel(
          models[r],
          data,
          {
            sync: sim.sync,
            batchSize: globalBatch,
            ranksPerNode: sim.ranksPerNode,
            beforeSync: (epoch, variables) => beforeSync(r, epoch, variables),
            train: {
              ...sim.train,
              callbacks: [...(sim.train?.callbacks ?? []), ...(r === 0 ? probe : [])],
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
    const history: SimulatedEpoch[] = [
      ...(health.has(0)
        ? [{ epoch: 0, testAccuracy: NaN, testLoss: NaN, trainLoss: NaN, divergence: null, health: health.get(0)! }]
        : []),
      ...runs[0].result.history.map((log) => ({
        epoch: log.epoch,
        testAccuracy: log.valAccuracy,
        testLoss: log.valLoss,
        trainLoss: log.trainLoss,
        divergence: divergences.get(log.epoch) ?? null,
        health: health.get(log.epoch) ?? null,
      })),
    ];
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
      history,
    });
    sim.onRow?.(rows);
  }
  return rows;
}

/** One epoch of one simulated run as a flat row (what `simulate-scaling --csv` writes). */
export interface SimulatedEpochRow {
  np: number;
  sync: string;
  epoch: number;
  testAccuracy: number;
  testLoss: number;
  trainLoss: number;
  /** `WeightDivergence.relative` of the ranks' models before synchronising. */
  rankDivergence: number;
  /** `WeightDivergence.normKept`: ‖mean model‖ ÷ mean ‖rank model‖. */
  normKept: number;
  deadUnits: number;
  zeroOutputs: number;
  logitSpread: number;
  maxAbsLogit: number;
}

/** Every run's per-epoch history, flattened (NaN where a value was not measured). */
export function simulationTrace(rows: readonly SimulatedRow[]): SimulatedEpochRow[] {
  return rows.flatMap((row) =>
    row.history.map((h) => ({
      np: row.np,
      sync: row.sync,
      epoch: h.epoch,
      testAccuracy: h.testAccuracy,
      testLoss: h.testLoss,
      trainLoss: h.trainLoss,
      rankDivergence: h.divergence?.relative ?? NaN,
      normKept: h.divergence?.normKept ?? NaN,
      deadUnits: h.health?.deadUnits ?? NaN,
      zeroOutputs: h.health?.zeroOutputs ?? NaN,
      logitSpread: h.health?.logitSpread ?? NaN,
      maxAbsLogit: h.health?.maxAbsLogit ?? NaN,
    })),
  );
}
