/**
 * `edgelab simulate-scaling --np 2,4,8,16,32,48 --sync epoch-average|allreduce|local-sgd[:k]
 *   --dataset NAME [--data DIR] [--model NAME] [--epochs E] [--subset N] [--batch B] [--lr X]
 *   [--no-lr-scaling] [--seed S] [--test N] [--probe LAYER] [--csv FILE] [--json]`
 */
import { parseArgs } from "node:util";
import { simulateScaling, simulationTrace } from "../parallel/simulate";
import { prepareStudy } from "../experiments/study-data";
import { parseSync } from "../parallel/strategies";
import { toTextTable, writeCsv } from "../report/table";
import { parse, UsageError } from "./args";

/** `edgelab simulate-scaling --help`. */
export const simulateUsage =
  "usage: edgelab simulate-scaling --np 2,4,8,16,32,48 --sync epoch-average|allreduce|local-sgd[:k] --dataset NAME [--data DIR] [--model mlp] [--epochs E] [--subset N] [--batch B] [--lr X] [--no-lr-scaling] [--seed S] [--test N (2000)] [--probe LAYER] [--csv FILE] [--json]\n  --probe LAYER  record, per epoch, the layer's dead units and the logits' spread on the test set (squeezenet: conv10)\n  --csv FILE     write every np's per-epoch history (accuracy, losses, rank divergence, probe) as CSV";

/** Runs `edgelab simulate-scaling`. */
export async function simulateCommand(argv: string[]): Promise<void> {
  const options = {
    np: { type: "string" },
    sync: { type: "string" },
    dataset: { type: "string" },
    data: { type: "string" },
    model: { type: "string" },
    epochs: { type: "string" },
    subset: { type: "string" },
    batch: { type: "string" },
    lr: { type: "string" },
    "no-lr-scaling": { type: "boolean" },
    seed: { type: "string" },
    test: { type: "string" },
    probe: { type: "string" },
    csv: { type: "string" },
    json: { type: "boolean" },
  } as const;
  const { values } = parse(() => parseArgs({ args: argv, options, strict: true }), "simulate-scaling");
  if (!values.np || !values.sync || !values.dataset)
    throw new UsageError(
      "simulate-scaling: --np, --sync and --dataset are required (edgelab simulate-scaling --help lists the options)",
    );
  const nps = values.np.split(",").map((v) => Number(v.trim()));
  if (nps.some((v) => !Number.isInteger(v) || v < 1 || v > 1024))
    throw new UsageError(
      `simulate-scaling: --np must be a comma-separated list of positive integers, got "${values.np}"`,
    );
  let sync;
  try {
    sync = parseSync(values.sync);
  } catch (err) {
    throw new UsageError(`simulate-scaling: ${(err as Error).message}`);
  }
  const num = (v: string | undefined, flag: string, fallback: number): number => {
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!(n > 0)) throw new UsageError(`simulate-scaling: ${flag} must be a positive number, got "${v}"`);
    return n;
  };
  const seed = values.seed === undefined ? 0 : Number(values.seed);
  const modelName = values.model ?? "mlp";
  const study = await prepareStudy(modelName, values.dataset, {
    dataDir: values.data,
    subset: values.subset ? num(values.subset, "--subset", 0) : undefined,
    testSamples: values.test ? num(values.test, "--test", 0) : 2000,
    seed,
  });
  const epochs = num(values.epochs, "--epochs", 2);
  const rows = await simulateScaling((rank) => study.build(seed + rank), study.data, {
    nps,
    sync,
    epochs,
    batchPerRank: num(values.batch, "--batch", 12),
    learningRate: num(values.lr, "--lr", 5e-4),
    linearScaling: !values["no-lr-scaling"],
    seed,
    probeLayer: values.probe,
    // Rewritten (atomically) as each np finishes, so an interrupted study keeps what it measured.
    onRow: (done) =>
      values.csv &&
      writeCsv(
        values.csv,
        simulationTrace(done).map((r) => ({ model: modelName, ...r })),
      ),
  });
  const result = {
    model: modelName,
    dataset: study.dataset,
    synthetic: study.synthetic,
    trainSamples: study.trainSamples,
    testSamples: study.testSamples,
    epochs,
    rows,
  };
  if (values.json) {
    console.log(JSON.stringify(result));
    return;
  }
  console.log(
    `${modelName} on ${study.dataset}${study.synthetic ? " (SYNTHETIC)" : ""}, ${study.trainSamples} training samples, ${epochs} epochs`,
  );
  console.log(toTextTable(rows.map(({ history: _history, ...row }) => row)));
}
