/**
 * `edgelab train --model NAME --dataset NAME|PATH [--data DIR] [--subset N] [--epochs E] [--batch B]
 *  [--lr X] [--threads T] [--out DIR] [--resume DIR] [--seed S] [--class-weights balanced] [--json]`
 */
import { parseArgs } from "node:util";
import { datasetNames } from "../data/registry";
import { modelNames, modelRegistry } from "../models/registry";
import { isTabularBaseline, tabularBaselineNames } from "../train/tabular-baselines";
import { resultsDir } from "../runtime/paths";
import { toTextTable } from "../report/table";
import { worldCommunicator } from "../dist/communicator";
import { parseSync } from "../dist/strategies";
import { runTraining } from "../train/run";
import { parse, UsageError } from "./args";

const usage = `usage: edgelab train --model ${[...modelNames, ...tabularBaselineNames].join("|")} --dataset NAME|PATH [--data DIR] [--subset N] [--epochs E] [--batch B] [--lr X] [--threads T] [--out DIR] [--resume DIR] [--seed S] [--class-weights balanced] [--distributed --sync allreduce|epoch-average|local-sgd[:k] [--ranks-per-node R]] [--json]
datasets: ${datasetNames.join(", ")} (or a path)`;

function positiveInt(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`train: ${flag} must be a positive integer, got "${value}"`);
  return n;
}

/** Runs `edgelab train`. */
export async function trainCommand(argv: string[]): Promise<void> {
  const options = {
    model: { type: "string" }, dataset: { type: "string" }, data: { type: "string" }, subset: { type: "string" }, epochs: { type: "string" },
    batch: { type: "string" }, lr: { type: "string" }, threads: { type: "string" }, out: { type: "string" }, resume: { type: "string" },
    seed: { type: "string" }, "class-weights": { type: "string" }, json: { type: "boolean" },
    distributed: { type: "boolean" }, sync: { type: "string" }, "ranks-per-node": { type: "string" },
  } as const;
  const { values, positionals } = parse(() => parseArgs({ args: argv, options, allowPositionals: true, strict: true }), "train");
  if (positionals.length > 0) throw new UsageError(`train: unexpected argument "${positionals[0]}"\n${usage}`);
  if (!values.model || !values.dataset) throw new UsageError(`train: --model and --dataset are required\n${usage}`);
  if (!modelRegistry[values.model] && !isTabularBaseline(values.model)) throw new UsageError(`train: unknown model "${values.model}"; choose one of ${[...modelNames, ...tabularBaselineNames].join(", ")}`);
  const lr = values.lr === undefined ? undefined : Number(values.lr);
  if (lr !== undefined && !(lr > 0 && Number.isFinite(lr))) throw new UsageError(`train: --lr must be a positive finite number, got "${values.lr}"`);
  if (values["class-weights"] && values["class-weights"] !== "balanced" && values["class-weights"] !== "none") throw new UsageError(`train: --class-weights must be balanced or none`);
  const seed = values.seed === undefined ? 0 : Number(values.seed);
  if (!Number.isInteger(seed)) throw new UsageError(`train: --seed must be an integer, got "${values.seed}"`);
  if (values.sync && !values.distributed) throw new UsageError("train: --sync needs --distributed");
  let sync;
  try {
    sync = values.distributed ? parseSync(values.sync ?? "allreduce") : undefined;
  } catch (err) {
    throw new UsageError(`train: ${(err as Error).message}`);
  }
  const outDir = values.resume ?? values.out ?? resultsDir("runs", `${values.model}-${values.dataset.replace(/[^\w.-]+/g, "_")}`);
  const { summary, result } = await runTraining({
    model: values.model,
    dataset: values.dataset,
    dataDir: values.data,
    subset: positiveInt(values.subset, "--subset"),
    threads: positiveInt(values.threads, "--threads"),
    outDir,
    resume: values.resume !== undefined,
    seed,
    train: {
      epochs: positiveInt(values.epochs, "--epochs") ?? 1,
      // TabNet keeps pytorch-tabnet's batch of 1024 unless told otherwise
      ...(values.batch !== undefined || !isTabularBaseline(values.model) ? { batchSize: positiveInt(values.batch, "--batch") ?? 32 } : {}),
      ...(lr !== undefined ? { learningRate: lr } : {}),
      classWeights: (values["class-weights"] as "balanced" | "none" | undefined) ?? "none",
      progress: values.json ? "none" : "auto",
    },
    distributed: sync ? { sync, ranksPerNode: positiveInt(values["ranks-per-node"], "--ranks-per-node") ?? 2 } : undefined,
  });
  if (sync) worldCommunicator().finalize();
  if (summary.rank !== 0) return; // only root prints: mpiexec merges every rank's stdout
  if (values.json) {
    console.log(JSON.stringify({ ...summary, history: result.history }));
    return;
  }
  console.log(toTextTable(result.history.map(({ epoch, trainLoss, trainAccuracy, valLoss, valAccuracy, valMacroF1, seconds, samplesPerSec }) => ({ epoch, trainLoss, trainAccuracy, valLoss, valAccuracy, valMacroF1, seconds, samplesPerSec }))));
  console.log(`\n${summary.model} on ${summary.dataset}${summary.synthetic ? " (SYNTHETIC)" : ""}, backend ${summary.backend}${summary.backendNote ? ` (${summary.backendNote})` : ""}: test accuracy ${summary.testAccuracy.toFixed(4)}, macro-F1 ${summary.testMacroF1.toFixed(4)}, ${summary.samplesPerSec.toFixed(0)} samples/s, peak RSS ${summary.peakRssMB.toFixed(0)} MB → ${summary.outDir}`);
}
