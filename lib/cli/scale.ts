/**
 * `edgelab scale --np 1,2,4 [--machinefile F] [--sync allreduce|epoch-average|local-sgd[:k]]
 *   [--model M] [--dataset D] [--data DIR] [--subset N] [--epochs E] [--batch B] [--threads T]
 *   [--ranks-per-node R] [--out DIR] [--json]`: a strong-scaling sweep under mpiexec, written to
 * results/ as CSV and figures.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { scaleSweep } from "../experiments/sweep";
import { parseSync } from "../parallel/strategies";
import { lineFigure } from "../report/figure";
import { saveFigure } from "../report/save";
import { toTextTable, writeCsv } from "../report/table";
import { packageRoot, resultsDir } from "../runtime/paths";
import { parse, UsageError } from "./args";

/** Runs `edgelab scale`. */
export async function scaleCommand(argv: string[]): Promise<void> {
  const options = {
    np: { type: "string" },
    machinefile: { type: "string" },
    sync: { type: "string" },
    model: { type: "string" },
    dataset: { type: "string" },
    data: { type: "string" },
    subset: { type: "string" },
    epochs: { type: "string" },
    batch: { type: "string" },
    threads: { type: "string" },
    "ranks-per-node": { type: "string" },
    out: { type: "string" },
    json: { type: "boolean" },
  } as const;
  const { values } = parse(() => parseArgs({ args: argv, options, strict: true }), "scale");
  if (!values.np) throw new UsageError("scale: --np is required, e.g. --np 1,2,4");
  const nps = values.np.split(",").map((v) => Number(v.trim()));
  if (nps.some((v) => !Number.isInteger(v) || v < 1))
    throw new UsageError(`scale: --np must be a comma-separated list of positive integers, got "${values.np}"`);
  if (values.machinefile && !existsSync(values.machinefile))
    throw new UsageError(`scale: machinefile ${values.machinefile} does not exist`);
  const sync = values.sync ?? "allreduce";
  try {
    parseSync(sync);
  } catch (err) {
    throw new UsageError(`scale: ${(err as Error).message}`);
  }
  const intArg = (v: string | undefined, flag: string, fallback: number): string => {
    if (v === undefined) return String(fallback);
    if (!Number.isInteger(Number(v)) || Number(v) < 1)
      throw new UsageError(`scale: ${flag} must be a positive integer, got "${v}"`);
    return v;
  };
  const model = values.model ?? "mlp";
  const dataset = values.dataset ?? "fashion-mnist";
  const trainArgs = [
    "--model",
    model,
    "--dataset",
    dataset,
    ...(values.data ? ["--data", values.data] : []),
    "--subset",
    intArg(values.subset, "--subset", 6000),
    "--epochs",
    intArg(values.epochs, "--epochs", 1),
    "--batch",
    intArg(values.batch, "--batch", 48),
    "--sync",
    sync,
    "--ranks-per-node",
    intArg(values["ranks-per-node"], "--ranks-per-node", 2),
    ...(values.threads ? ["--threads", intArg(values.threads, "--threads", 1)] : []),
  ];
  const outDir = values.out ?? resultsDir("scaling", `scale-${model}-${dataset}-${sync.replace(/:/g, "")}`);
  const rows = scaleSweep({
    nps,
    trainArgs,
    machinefile: values.machinefile,
    root: packageRoot(),
    outDir: join(outDir, "runs"),
    onRun: (np) => values.json || process.stderr.write(`edgelab scale: np = ${np} …\n`),
  });
  const csv = join(outDir, "scale.csv");
  writeCsv(csv, rows);
  const x = rows.map((r) => r.np);
  const speedFig = lineFigure(
    [
      { name: "measured", x, y: rows.map((r) => r.speedup) },
      { name: "ideal", x, y: x.map((np) => np / x[0]) },
    ],
    { title: `Speedup (${model}, ${dataset}, ${sync})`, xTitle: "np", yTitle: "speedup" },
  );
  const effFig = lineFigure([{ name: "efficiency", x, y: rows.map((r) => r.efficiency) }], {
    title: `Parallel efficiency (${model}, ${dataset}, ${sync})`,
    xTitle: "np",
    yTitle: "efficiency",
  });
  const figures = [saveFigure(speedFig, join(outDir, "speedup")), saveFigure(effFig, join(outDir, "efficiency"))].map(
    (f) => f.html,
  );
  const result = { model, dataset, sync, machinefile: values.machinefile ?? null, rows, csv, figures };
  if (values.json) {
    console.log(JSON.stringify(result));
    return;
  }
  console.log(
    toTextTable(
      rows.map(({ np, globalSeconds, speedup, efficiency, karpFlatt, testAccuracy, meanTrainLoss, commMsPerStep }) => ({
        np,
        globalSeconds,
        speedup,
        efficiency,
        karpFlatt: karpFlatt ?? "",
        testAccuracy,
        meanTrainLoss,
        commMsPerStep,
      })),
    ),
  );
  console.log(`\n→ ${csv}\n→ ${figures.join("\n→ ")}`);
}
