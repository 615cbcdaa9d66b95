/**
 * Seed 003's accuracy collapse, as an experiment (notebook 04, issue #18): SqueezeNet v1.1 at
 * 32×32 trained by np virtual ranks with the paper's recipe (strided shards, batch 12 per rank,
 * Adam 5e-4), conv10 probed every epoch for dead units, and the ranks' divergence measured before
 * each synchronisation. The cells are data: the paper's model, the same model with He init, and
 * the fixes (no ReLU before the pooling, averaging every k steps, synchronous allreduce).
 * `reference/collapse/run.sh` runs the full study; its CSVs are read back by {@link readCollapseTrace}.
 */
import { readFileSync } from "node:fs";
import { parseSync } from "../parallel/strategies";
import { simulateScaling, simulationTrace, type SimulatedEpochRow } from "../parallel/simulate";
import { prepareStudy } from "./study-data";

/** One line of the study: a model (registry name) and a synchronisation, over some np. */
export interface CollapseCell {
  model: string;
  /** As `--sync` spells it: `epoch-average`, `allreduce`, `local-sgd:8`. */
  sync: string;
  nps: number[];
  /** What the cell tests, for tables and legends. */
  role: string;
}

/** The study's design (what `reference/collapse/run.sh` runs, np lists included). */
export const collapseCells: readonly CollapseCell[] = Object.freeze([
  { model: "squeezenet", sync: "epoch-average", nps: [1, 16, 48], role: "the paper's model (Keras glorot init)" },
  { model: "squeezenet-he", sync: "epoch-average", nps: [1, 2, 4, 8, 16, 24, 48], role: "He init, paper's averaging" },
  {
    model: "squeezenet-he-linear",
    sync: "epoch-average",
    nps: [1, 2, 4, 8, 16, 24, 48],
    role: "fix: no ReLU after conv10",
  },
  { model: "squeezenet-he", sync: "local-sgd:8", nps: [16, 48], role: "fix: average every 8 steps" },
  {
    model: "squeezenet-he",
    sync: "allreduce",
    nps: [16, 48],
    role: "fix?: allreduce, lr × np with warm-up",
  },
]);

/** The reference CSV's file name for a cell (`run.sh` writes `MODEL-SYNC.csv`, the colon dropped). */
export function collapseCsvName(cell: Pick<CollapseCell, "model" | "sync">): string {
  return `${cell.model}-${cell.sync.replace(":", "")}.csv`;
}

/** Data and recipe shared by every cell. */
export interface CollapseStudyConfig {
  dataset: string;
  dataDir?: string;
  /** Training images (stratified). */
  subset: number;
  testSamples: number;
  epochs: number;
  batchPerRank: number;
  learningRate: number;
  seed: number;
}

/** The full profile (`run.sh`): 20,000 Fashion-MNIST images padded to 32×32, 5 epochs, the paper's batch and rate. */
export const defaultCollapseStudy: Readonly<CollapseStudyConfig> = Object.freeze({
  dataset: "fashion-mnist-32",
  subset: 20000,
  testSamples: 2000,
  epochs: 5,
  batchPerRank: 12,
  learningRate: 5e-4,
  seed: 0,
});

/** A per-epoch row of one cell. */
export type CollapseTraceRow = SimulatedEpochRow & { model: string };

/**
 * Runs `cells` (each with its own `nps`, or `nps` for all) and returns every epoch of every run;
 * `onCell` sees each cell's rows as soon as it finishes.
 */
export async function runCollapseStudy(
  cells: readonly CollapseCell[],
  overrides: Partial<CollapseStudyConfig> & { nps?: number[] } = {},
  onCell?: (cell: CollapseCell, rows: CollapseTraceRow[]) => void,
): Promise<CollapseTraceRow[]> {
  const config: CollapseStudyConfig = { ...defaultCollapseStudy, ...overrides };
  const all: CollapseTraceRow[] = [];
  for (const cell of cells) {
    const study = await prepareStudy(cell.model, config.dataset, {
      dataDir: config.dataDir,
      subset: config.subset,
      testSamples: config.testSamples,
      seed: config.seed,
    });
    const rows = await simulateScaling((rank) => study.build(config.seed + rank), study.data, {
      nps: overrides.nps ?? cell.nps,
      sync: parseSync(cell.sync),
      epochs: config.epochs,
      batchPerRank: config.batchPerRank,
      learningRate: config.learningRate,
      seed: config.seed,
      probeLayer: "conv10",
    });
    const trace = simulationTrace(rows).map((r) => ({ model: cell.model, ...r }));
    onCell?.(cell, trace);
    all.push(...trace);
  }
  return all;
}

/** The last epoch of each (model, sync, np): the accuracy-versus-np table. */
export function finalEpochs(trace: readonly CollapseTraceRow[]): CollapseTraceRow[] {
  const last = new Map<string, CollapseTraceRow>();
  for (const r of trace) {
    const key = `${r.model} ${r.sync} ${r.np}`;
    if ((last.get(key)?.epoch ?? -1) < r.epoch) last.set(key, r);
  }
  return [...last.values()];
}

const numericColumns = [
  "np",
  "epoch",
  "testAccuracy",
  "testLoss",
  "trainLoss",
  "rankDivergence",
  "normKept",
  "deadUnits",
  "zeroOutputs",
  "logitSpread",
  "maxAbsLogit",
] as const;

/**
 * Reads a CSV that `edgelab simulate-scaling --probe conv10 --csv FILE` wrote.
 * A malformed file fails with one line naming it, the line and what is wrong.
 */
export function readCollapseTrace(path: string): CollapseTraceRow[] {
  const lines = readFileSync(path, "utf8").split(/\r?\n/).filter(Boolean);
  if (lines.length === 0) throw new Error(`${path}: empty; expected a simulate-scaling --csv file`);
  const header = lines[0].split(",");
  const missing = [...numericColumns, "model", "sync"].filter((c) => !header.includes(c));
  if (missing.length) throw new Error(`${path}: not a simulate-scaling --csv file (no column ${missing.join(", ")})`);
  return lines.slice(1).map((line, i) => {
    const fields = line.split(",");
    if (fields.length !== header.length)
      throw new Error(`${path}:${i + 2}: ${fields.length} fields where the header has ${header.length}`);
    const at = (c: string): string => fields[header.indexOf(c)];
    const num = (c: (typeof numericColumns)[number]): number => {
      const v = Number(at(c));
      if (at(c) === "" || (Number.isNaN(v) && at(c) !== "NaN"))
        throw new Error(`${path}:${i + 2}: ${c} is "${at(c)}", not a number`);
      return v;
    };
    return {
      model: at("model"),
      sync: at("sync"),
      np: num("np"),
      epoch: num("epoch"),
      testAccuracy: num("testAccuracy"),
      testLoss: num("testLoss"),
      trainLoss: num("trainLoss"),
      rankDivergence: num("rankDivergence"),
      normKept: num("normKept"),
      deadUnits: num("deadUnits"),
      zeroOutputs: num("zeroOutputs"),
      logitSpread: num("logitSpread"),
      maxAbsLogit: num("maxAbsLogit"),
    };
  });
}
