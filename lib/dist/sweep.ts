/**
 * A strong-scaling sweep on a real MPI cluster: the same training job launched with mpiexec at
 * each world size (np = 1 included, through the same code path), its Table-2 row per np, and
 * speedup, efficiency and Karp–Flatt against the smallest np.
 */
import { scalingTable } from "../metrics/scaling";
import { launchMpiTraining } from "./launch";

/** One sweep. */
export interface ScaleSweepConfig {
  nps: number[];
  /** `edgelab train` arguments shared by every run (model, dataset, epochs, batch, sync…). */
  trainArgs: string[];
  machinefile?: string;
  root: string;
  /** Where each np's run folder goes: `${outDir}/np${np}`. */
  outDir: string;
  timeoutSeconds?: number;
  onRun?: (np: number) => void;
}

/** One row of the sweep (the paper's Table 2 columns plus scaling metrics). */
export interface ScaleSweepRow {
  np: number;
  sync: string;
  epochs: number;
  batchPerNode: number;
  batchPerRank: number;
  samplesPerRank: number;
  meanTrainLoss: number;
  meanTrainAccuracy: number;
  testLoss: number;
  testAccuracy: number;
  globalSeconds: number;
  launchSeconds: number;
  speedup: number;
  efficiency: number;
  karpFlatt: number | null;
  commMsPerStep: number;
  steps: number;
}

/** Runs the sweep (sequentially: each np uses the whole machine or machinefile). */
export function scaleSweep(config: ScaleSweepConfig): ScaleSweepRow[] {
  const runs = config.nps.map((np) => {
    config.onRun?.(np);
    return launchMpiTraining({ np, root: config.root, machinefile: config.machinefile, timeoutSeconds: config.timeoutSeconds, trainArgs: [...config.trainArgs, "--out", `${config.outDir}/np${np}`] });
  });
  const table = scalingTable(runs.map((r) => ({ np: r.summary.world, seconds: r.summary.distributed!.globalSeconds })));
  return runs.map((r) => {
    const d = r.summary.distributed!;
    const s = table.find((t) => t.np === r.summary.world)!;
    return {
      np: r.summary.world, sync: d.sync, epochs: d.epochs, batchPerNode: d.batchPerNode, batchPerRank: d.batchPerRank, samplesPerRank: d.samplesPerRank,
      meanTrainLoss: d.meanTrainLoss, meanTrainAccuracy: d.meanTrainAccuracy, testLoss: d.testLoss, testAccuracy: d.testAccuracy,
      globalSeconds: d.globalSeconds, launchSeconds: r.launchSeconds, speedup: s.speedup, efficiency: s.efficiency, karpFlatt: s.karpFlatt,
      commMsPerStep: d.commMsPerStep, steps: d.steps,
    };
  });
}
