/**
 * `edgelab train --model NAME --dataset NAME|PATH [--data DIR] [--subset N] [--epochs E] [--batch B]
 *  [--lr X] [--threads T] [--out DIR] [--resume DIR] [--seed S] [--class-weights balanced] [--json]`
 */
import { parseArgs } from "node:util";
import { datasetNames } from "../data/registry";
import { modelNames, modelRegistry } from "../models/registry";
import { packageRoot, resultsDir } from "../runtime/paths";
import { toTextTable } from "../report/table";
import { worldCommunicator } from "../parallel/communicator";
import { runUnderMpiexec } from "../experiments/launch";
import { parseSync } from "../parallel/strategies";
import { launchedByMpi } from "../native/mpi";
import { runTraining } from "../experiments/run-training";
import { parse, UsageError } from "./args";

/** `edgelab train --help`. */
export const trainUsage = `usage: edgelab train --model NAME --dataset NAME|PATH [options] [--json]
  --model NAME          ${modelNames.join(", ")}
  --dataset NAME|PATH   ${datasetNames.join(", ")}, or a file or folder (IDX, CIFAR, CICIDS CSV, any CSV with --label)
  --label COLUMN        a CSV's label column: --dataset FILE.csv trains on any numeric table with a header
  --features A,B,…      that CSV's feature columns (default: every column but the label)
  --data DIR            the folder of a named dataset (mnist, cifar10, cicids2017 need it; fashion-mnist defaults to Debian's)
  --subset N            a stratified subset of N training samples (default: all)
  --epochs E            (default 1)
  --batch B             (default 32; TabNet 1024)
  --lr X                Adam's learning rate (default 0.001; TabNet 0.02; XGBoost's eta, 0.3)
  --rounds R            XGBoost's boosting rounds (default 100)
  --threads T           intra-op threads (default: the cores, at most 4; EDGELAB_THREADS)
  --out DIR             run folder: checkpoints, history.csv, summary.json (default results/runs/MODEL-DATASET); locked while training
  --resume DIR          continue the run in DIR from its latest checkpoint
  --seed S              (default 0)
  --class-weights balanced|none   (default none)
  --optimizer adam|sgd  (default adam; seed 001's vision benchmark: sgd --lr 0.1)
  --finetune            train only the head (vision zoo: the classifier), every other layer frozen
  --np N [--machinefile F]        start mpiexec with N ranks (data-parallel; --sync allreduce unless given)
  --distributed --sync allreduce|epoch-average|local-sgd[:k] [--ranks-per-node R (default 2)]
                        this process is one rank under an mpiexec you started`;

/** `argv` without the given flags and their values (`--flag V` and `--flag=V`). */
function withoutFlags(argv: string[], flags: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (flags.includes(argv[i])) i++;
    else if (!flags.some((f) => argv[i].startsWith(`${f}=`))) out.push(argv[i]);
  }
  return out;
}

function positiveInt(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`train: ${flag} must be a positive integer, got "${value}"`);
  return n;
}

/** Runs `edgelab train`. */
export async function trainCommand(argv: string[]): Promise<void> {
  const options = {
    model: { type: "string" },
    dataset: { type: "string" },
    data: { type: "string" },
    label: { type: "string" },
    features: { type: "string" },
    rounds: { type: "string" },
    subset: { type: "string" },
    epochs: { type: "string" },
    batch: { type: "string" },
    lr: { type: "string" },
    threads: { type: "string" },
    out: { type: "string" },
    resume: { type: "string" },
    seed: { type: "string" },
    "class-weights": { type: "string" },
    json: { type: "boolean" },
    finetune: { type: "boolean" },
    optimizer: { type: "string" },
    distributed: { type: "boolean" },
    sync: { type: "string" },
    "ranks-per-node": { type: "string" },
    np: { type: "string" },
    machinefile: { type: "string" },
  } as const;
  const { values, positionals } = parse(
    () => parseArgs({ args: argv, options, allowPositionals: true, strict: true }),
    "train",
  );
  if (values.machinefile !== undefined && values.np === undefined)
    throw new UsageError("train: --machinefile needs --np N");
  if (values.np !== undefined && !launchedByMpi()) {
    // edgelab starts mpiexec itself, on node directly (npx in between breaks MPI's start-up).
    const np = positiveInt(values.np, "--np") as number;
    const rest = withoutFlags(argv, ["--np", "--machinefile"]);
    const run = await runUnderMpiexec(
      np,
      packageRoot(),
      ["train", ...(values.distributed ? [] : ["--distributed"]), ...rest],
      values.machinefile,
    );
    if (run.failure) throw new Error(run.failure);
    process.exitCode = run.code;
    return;
  }
  if (positionals.length > 0)
    throw new UsageError(`train: unexpected argument "${positionals[0]}" (edgelab train --help lists the options)`);
  if (!values.model || !values.dataset)
    throw new UsageError("train: --model and --dataset are required (edgelab train --help lists the options)");
  if (!modelRegistry[values.model])
    throw new UsageError(`train: unknown model "${values.model}"; choose one of ${modelNames.join(", ")}`);
  const lr = values.lr === undefined ? undefined : Number(values.lr);
  if (lr !== undefined && !(lr > 0 && Number.isFinite(lr)))
    throw new UsageError(`train: --lr must be a positive finite number, got "${values.lr}"`);
  if (values["class-weights"] && values["class-weights"] !== "balanced" && values["class-weights"] !== "none")
    throw new UsageError(`train: --class-weights must be balanced or none`);
  if (values.optimizer !== undefined && values.optimizer !== "adam" && values.optimizer !== "sgd")
    throw new UsageError(`train: --optimizer must be adam or sgd, got "${values.optimizer}"`);
  if (values.finetune && !modelRegistry[values.model].capabilities.freeze)
    throw new UsageError(
      `train: --finetune needs a model with a head to train alone (${modelNames.filter((n) => modelRegistry[n].capabilities.freeze).join(", ")})`,
    );
  const seed = values.seed === undefined ? 0 : Number(values.seed);
  if (!Number.isInteger(seed)) throw new UsageError(`train: --seed must be an integer, got "${values.seed}"`);
  if (values.sync && !values.distributed) throw new UsageError("train: --sync needs --distributed");
  let sync;
  try {
    sync = values.distributed ? parseSync(values.sync ?? "allreduce") : undefined;
  } catch (err) {
    throw new UsageError(`train: ${(err as Error).message}`);
  }
  const outDir =
    values.resume ?? values.out ?? resultsDir("runs", `${values.model}-${values.dataset.replace(/[^\w.-]+/g, "_")}`);
  const { summary, result } = await runTraining({
    model: values.model,
    dataset: values.dataset,
    dataDir: values.data,
    label: values.label,
    rounds: positiveInt(values.rounds, "--rounds"),
    features: values.features?.split(",").map((f) => f.trim()),
    subset: positiveInt(values.subset, "--subset"),
    threads: positiveInt(values.threads, "--threads"),
    outDir,
    resume: values.resume !== undefined,
    seed,
    finetune: values.finetune === true,
    train: {
      epochs: positiveInt(values.epochs, "--epochs") ?? 1,
      // TabNet keeps pytorch-tabnet's batch of 1024 unless told otherwise
      ...(values.batch !== undefined || modelRegistry[values.model].trainer === "engine"
        ? { batchSize: positiveInt(values.batch, "--batch") ?? 32 }
        : {}),
      ...(lr !== undefined ? { learningRate: lr } : {}),
      ...(values.optimizer !== undefined ? { optimizer: values.optimizer as "adam" | "sgd" } : {}),
      classWeights: (values["class-weights"] as "balanced" | "none" | undefined) ?? "none",
      progress: values.json ? "none" : "auto",
    },
    distributed: sync
      ? { sync, ranksPerNode: positiveInt(values["ranks-per-node"], "--ranks-per-node") ?? 2 }
      : undefined,
  });
  if (sync) worldCommunicator().finalize();
  if (summary.rank !== 0) return; // only root prints: mpiexec merges every rank's stdout
  if (values.json) {
    console.log(JSON.stringify({ ...summary, history: result.history }));
    return;
  }
  console.log(
    toTextTable(
      result.history.map(
        ({ epoch, trainLoss, trainAccuracy, valLoss, valAccuracy, valMacroF1, seconds, samplesPerSec }) => ({
          epoch,
          trainLoss,
          trainAccuracy,
          valLoss,
          valAccuracy,
          valMacroF1,
          seconds,
          samplesPerSec,
        }),
      ),
    ),
  );
  console.log(
    `\n${summary.model} on ${summary.dataset}${summary.synthetic ? " (SYNTHETIC)" : ""}, backend ${summary.backend}${summary.backendNote ? ` (${summary.backendNote})` : ""}: test accuracy ${summary.testAccuracy.toFixed(4)}, macro-F1 ${summary.testMacroF1.toFixed(4)}, ${summary.samplesPerSec.toFixed(0)} samples/s, peak RSS ${summary.peakRssMB.toFixed(0)} MB → ${summary.outDir}`,
  );
}
