/**
 * A strong-scaling sweep on a real MPI cluster: the same training job launched with mpiexec at
 * each world size (np = 1 included, through the same code path), its Table-2 row per np, and
 * speedup, efficiency and Karp–Flatt against the smallest np.
 */
import { scalingTable } from "../metrics/scaling";
import type { DataParallelRow } from "../parallel/data-parallel";
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

/** One row of the sweep: root's Table-2 row (world as `np`) plus launch time and scaling metrics. */
export interface ScaleSweepRow extends Omit<DataParallelRow, "world"> {
  np: number;
  launchSeconds: number;
  speedup: number;
  efficiency: number;
  karpFlatt: number | null;
}

/** Runs the sweep (sequentially: each np uses the whole machine or machinefile). */
export function scaleSweep(config: ScaleSweepConfig): ScaleSweepRow[] {
  const runs = config.nps.map((np) => {
    config.onRun?.(np);
    return launchMpiTraining({
      np,
      root: config.root,
      machinefile: config.machinefile,
      timeoutSeconds: config.timeoutSeconds,
      trainArgs: [...config.trainArgs, "--out", `${config.outDir}/np${np}`],
    });
  });
  const table = scalingTable(runs.map((r) => ({ np: r.summary.world, seconds: r.summary.distributed!.globalSeconds })));
  return runs.map((r) => {
    const { world, ...row } = r.summary.distributed!;
    const scaling = table.find((t) => t.np === world)!;
    return {
      np: world,
      ...row,
      launchSeconds: r.launchSeconds,
      speedup: scaling.speedup,
      efficiency: scaling.efficiency,
      karpFlatt: scaling.karpFlatt,
    };
  });
}
