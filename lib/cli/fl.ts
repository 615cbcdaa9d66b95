/**
 * Federated learning (seed 001):
 *   edgelab fl simulate --model NAME --dataset NAME --clients N --fraction F --rounds R
 *       --strategy fedavg|fedprox:MU|fedavgm|fedadagrad|fedadam|fedyogi|fedmedian|fedtrimmedavg[:B]
 *       --partition iid|dirichlet:ALPHA|pathological:K|shard:K [--local-epochs E] [--batch B] [--lr X]
 *       [--seed S] [--subset N] [--failure-rate P] [--straggler-rate P] [--out DIR] [--resume] [--json]
 *   edgelab fl serve … / edgelab fl client … (Flower's Join protocol; see ./fl-network)
 */
import { parseArgs } from "node:util";
import { prepareStudy } from "../experiments/study-data";
import { parsePartition } from "../federated/partition";
import { simulateFederated } from "../federated/simulate";
import { defaultSampling, parseStrategy } from "../federated/strategies";
import { toTextTable } from "../report/table";
import { client, flNetworkUsage, serve } from "./fl-network";
import { numberFlag, parse, positiveInteger, UsageError } from "./args";

/** `edgelab fl --help`. */
export const flUsage = `usage:
  edgelab fl simulate --model mlp --dataset fashion-mnist --clients 10 --fraction 1 --rounds 5
      --strategy fedavg|fedprox:MU|fedavgm|fedadagrad|fedadam|fedyogi|fedmedian|fedtrimmedavg[:BETA]
      --partition iid|dirichlet:ALPHA|pathological:K|shard:K [--local-epochs 1] [--batch 32] [--lr 0.05]
      [--seed 0] [--subset N] [--failure-rate 0] [--straggler-rate 0] [--out DIR] [--resume] [--json]
      N virtual clients in one process (weights swapped), client sampling as Flower's
      fraction_fit/min_fit_clients, central evaluation per round; --failure-rate drops sampled
      clients, --straggler-rate makes them return partial work (10-90 % of their samples);
      --out writes history.csv and a per-round checkpoint that --resume continues from
${flNetworkUsage}`;

async function simulate(argv: string[]): Promise<void> {
  const options = {
    model: { type: "string" },
    dataset: { type: "string" },
    data: { type: "string" },
    clients: { type: "string" },
    fraction: { type: "string" },
    rounds: { type: "string" },
    strategy: { type: "string" },
    partition: { type: "string" },
    "local-epochs": { type: "string" },
    batch: { type: "string" },
    lr: { type: "string" },
    seed: { type: "string" },
    subset: { type: "string" },
    "failure-rate": { type: "string" },
    "straggler-rate": { type: "string" },
    out: { type: "string" },
    resume: { type: "boolean" },
    json: { type: "boolean" },
  } as const;
  const { values } = parse(() => parseArgs({ args: argv, options, strict: true }), "fl simulate");
  const num = (v: string | undefined, flag: string, fallback: number, check?: (n: number) => boolean): number =>
    numberFlag("fl simulate", v, flag, fallback, check);
  const integer = positiveInteger;
  if (!values.dataset) throw new UsageError("fl simulate: --dataset is required (edgelab fl --help lists the options)");
  const clients = num(values.clients, "--clients (a positive integer)", 10, integer);
  const fraction = num(values.fraction, "--fraction (in (0, 1])", 1, (n) => n > 0 && n <= 1);
  let strategy;
  let partition;
  try {
    strategy = parseStrategy(values.strategy ?? "fedavg", {
      ...defaultSampling,
      fractionFit: fraction,
      minFitClients: Math.min(2, clients),
      minAvailableClients: Math.min(2, clients),
    });
    partition = parsePartition(values.partition ?? "iid");
  } catch (err) {
    throw new UsageError(`fl simulate: ${(err as Error).message}`);
  }
  const seed = num(values.seed, "--seed (an integer ≥ 0)", 0, (n) => Number.isInteger(n) && n >= 0);
  const model = values.model ?? "mlp";
  const study = await prepareStudy(model, values.dataset, {
    dataDir: values.data,
    subset: values.subset === undefined ? undefined : num(values.subset, "--subset", 0, integer),
    seed,
  });
  const run = await simulateFederated(
    () => study.build(seed),
    study.data,
    {
      clients,
      rounds: num(values.rounds, "--rounds (a positive integer)", 5, integer),
      strategy,
      partition,
      seed,
      localEpochs: num(values["local-epochs"], "--local-epochs (a positive integer)", 1, integer),
      batchSize: num(values.batch, "--batch", 32, integer),
      learningRate: num(values.lr, "--lr", 0.05),
      failureRate: num(values["failure-rate"], "--failure-rate (in [0, 1))", 0, (n) => n >= 0 && n < 1),
      stragglerRate: num(values["straggler-rate"], "--straggler-rate (in [0, 1])", 0, (n) => n >= 0 && n <= 1),
      outDir: values.out ?? null,
      resume: values.resume === true,
    },
    (row) =>
      values.json ||
      process.stderr.write(
        `edgelab fl: round ${row.round}: accuracy ${row.testAccuracy.toFixed(4)}, ${row.seconds.toFixed(1)} s\n`,
      ),
  );
  const result = {
    strategy: strategy.name,
    partition: values.partition ?? "iid",
    clients,
    model,
    dataset: study.dataset,
    synthetic: study.synthetic,
    trainSamples: study.trainSamples,
    testSamples: study.testSamples,
    histogram: run.histogram,
    rounds: run.rounds,
  };
  if (values.json) {
    console.log(JSON.stringify(result));
    return;
  }
  console.log(
    `${strategy.name}, ${result.partition}, ${clients} clients, ${model} on ${study.dataset}${study.synthetic ? " (SYNTHETIC)" : ""}`,
  );
  console.log(toTextTable(run.rounds.map((r) => ({ ...r }))));
}

/** Runs `edgelab fl`. */
export async function flCommand(argv: string[]): Promise<void> {
  const [sub, ...rest] = argv;
  if (sub === "simulate") return simulate(rest);
  if (sub === "serve") return serve(rest);
  if (sub === "client") return client(rest);
  throw new UsageError(`fl: want simulate, serve or client, got ${sub ? `"${sub}"` : "nothing"}`);
}
