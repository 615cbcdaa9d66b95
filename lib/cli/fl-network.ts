/**
 * Federated learning over the network, speaking Flower's `Join` protocol:
 *   edgelab fl serve  --address HOST:PORT --rounds R --min-clients N --strategy S [--model M --dataset D] [--out DIR] [--json]
 *   edgelab fl client --server HOST:PORT --model M --dataset D --partition P --client-id I --num-clients N [--json]
 * Flower's own Python clients can join `fl serve`; `fl client` can join Flower's `start_server`.
 */
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { writeNpz } from "../deploy/npz";
import { prepareStudy, type Study } from "../experiments/study-data";
import { runClient } from "../federated/client";
import {
  defaultJoinOptions,
  JoinClientTransport,
  JoinServerTransport,
  type JoinOptions,
} from "../federated/join-transport";
import { flatWeights, localEvaluate, weightShapes } from "../federated/local";
import { ModelClientApp } from "../federated/model-client";
import { parsePartition, partitionLabels } from "../federated/partition";
import { serveFederated } from "../federated/server";
import { splitTensors } from "../federated/tensors";
import { defaultSampling, parseStrategy } from "../federated/strategies";
import { writeJsonAtomic } from "../report/atomic";
import { toTextTable } from "../report/table";
import { selectSamples } from "../train/batches";
import { numberFlag, parse, positiveInteger, UsageError } from "./args";

/** Usage of the two network commands (part of `edgelab fl --help`). */
export const flNetworkUsage = `  edgelab fl serve --address 127.0.0.1:8080 --rounds 3 --min-clients 2 --strategy fedavg
      [--fraction 1] [--fraction-evaluate 1] [--model mlp --dataset fashion-mnist [--data DIR] [--subset N]]
      [--local-epochs E] [--batch B] [--lr X] [--round-timeout S] [--wait S] [--max-message-mb 512]
      [--tls-cert PEM --tls-key PEM] [--out DIR] [--resume] [--seed 0] [--json]
      a server of Flower's Join protocol (edgelab and Flower clients can join); without --model the
      initial parameters come from one client; --out writes history.csv, parameters.npz (np.load
      reads it) and a per-round checkpoint that --resume continues from
  edgelab fl client --server 127.0.0.1:8080 --model mlp --dataset fashion-mnist --partition iid
      --client-id 0 --num-clients 2 [--data DIR] [--subset N] [--local-epochs 1] [--batch 32] [--lr 0.05]
      [--seed 0] [--root-cert PEM] [--max-message-mb 512] [--connect-timeout 60] [--out DIR] [--json]
      trains on its share of the data when the server (edgelab's or Flower's start_server) asks;
      --out writes the parameters of every fit it sent (fit-N.npz)`;

const mib = 1024 * 1024;

function readPem(path: string | undefined, flag: string, command: string): Buffer | null {
  if (path === undefined) return null;
  try {
    return readFileSync(path);
  } catch (err) {
    throw new UsageError(`${command}: ${flag} ${path}: ${(err as Error).message}`);
  }
}

/** `edgelab fl serve`. */
export async function serve(argv: string[]): Promise<void> {
  const command = "fl serve";
  const options = {
    address: { type: "string" },
    rounds: { type: "string" },
    "min-clients": { type: "string" },
    strategy: { type: "string" },
    fraction: { type: "string" },
    "fraction-evaluate": { type: "string" },
    model: { type: "string" },
    dataset: { type: "string" },
    data: { type: "string" },
    subset: { type: "string" },
    "local-epochs": { type: "string" },
    batch: { type: "string" },
    lr: { type: "string" },
    "round-timeout": { type: "string" },
    wait: { type: "string" },
    "max-message-mb": { type: "string" },
    "tls-cert": { type: "string" },
    "tls-key": { type: "string" },
    out: { type: "string" },
    resume: { type: "boolean" },
    seed: { type: "string" },
    json: { type: "boolean" },
  } as const;
  const { values } = parse(() => parseArgs({ args: argv, options, strict: true }), command);
  const num = (v: string | undefined, flag: string, fallback: number, check?: (n: number) => boolean): number =>
    numberFlag(command, v, flag, fallback, check);
  if (!values.address) throw new UsageError(`${command}: --address HOST:PORT is required`);
  if ((values.model === undefined) !== (values.dataset === undefined))
    throw new UsageError(`${command}: --model and --dataset go together (central evaluation)`);
  if ((values["tls-cert"] === undefined) !== (values["tls-key"] === undefined))
    throw new UsageError(`${command}: --tls-cert and --tls-key go together`);
  const minClients = num(values["min-clients"], "--min-clients (a positive integer)", 2, positiveInteger);
  const sampling = {
    ...defaultSampling,
    fractionFit: num(values.fraction, "--fraction (in (0, 1])", 1, (n) => n > 0 && n <= 1),
    fractionEvaluate: num(values["fraction-evaluate"], "--fraction-evaluate (in [0, 1])", 1, (n) => n >= 0 && n <= 1),
    minFitClients: minClients,
    minAvailableClients: minClients,
    minEvaluateClients: Math.min(defaultSampling.minEvaluateClients, minClients),
  };
  let strategy;
  try {
    strategy = parseStrategy(values.strategy ?? "fedavg", sampling);
  } catch (err) {
    throw new UsageError(`${command}: ${(err as Error).message}`);
  }
  const seed = num(values.seed, "--seed (an integer ≥ 0)", 0, (n) => Number.isInteger(n) && n >= 0);
  const fitConfig: Record<string, number> = {};
  if (values["local-epochs"] !== undefined)
    fitConfig.local_epochs = num(values["local-epochs"], "--local-epochs (a positive integer)", 1, positiveInteger);
  if (values.batch !== undefined)
    fitConfig.batch_size = num(values.batch, "--batch (a positive integer)", 32, positiveInteger);
  if (values.lr !== undefined) fitConfig.learning_rate = num(values.lr, "--lr", 0.05);
  const cert = readPem(values["tls-cert"], "--tls-cert", command);
  const key = readPem(values["tls-key"], "--tls-key", command);
  const joinOptions: JoinOptions = {
    ...defaultJoinOptions,
    maxMessageBytes: num(values["max-message-mb"], "--max-message-mb", 512) * mib,
    tls: cert && key ? { certificate: cert, privateKey: key } : null,
  };
  let study: Study | null = null;
  if (values.model && values.dataset)
    study = await prepareStudy(values.model, values.dataset, {
      dataDir: values.data,
      subset: values.subset === undefined ? 100 : num(values.subset, "--subset", 100, positiveInteger),
      seed,
    });
  const model = study ? study.build(seed) : null;
  const evalSet = study?.data ?? null;
  const log = (line: string): boolean => process.stderr.write(`edgelab fl serve: ${line}\n`);
  const run = await serveFederated(new JoinServerTransport(values.address, joinOptions), {
    rounds: num(values.rounds, "--rounds (a positive integer)", 3, positiveInteger),
    strategy,
    seed,
    fitConfig,
    log,
    roundTimeoutSeconds:
      values["round-timeout"] === undefined ? null : num(values["round-timeout"], "--round-timeout (seconds)", 0),
    waitSeconds: num(values.wait, "--wait (seconds)", 300),
    initial: model ? { flat: flatWeights(model), shapes: weightShapes(model) } : null,
    centralEvaluate:
      model && evalSet ? (flat) => localEvaluate(model, flat, evalSet.val, evalSet.classNames.length) : null,
    outDir: values.out ?? null,
    resume: values.resume === true,
  });
  const result = {
    address: run.address,
    strategy: strategy.name,
    rounds: run.rounds,
    out: values.out ?? null,
    parameters: run.parameters.flat.length,
    tensors: run.parameters.shapes.length,
  };
  if (values.json) console.log(JSON.stringify(result));
  else console.log(toTextTable(run.rounds.map((r) => ({ ...r }) as unknown as Record<string, number>)));
}

/** `edgelab fl client`. */
export async function client(argv: string[]): Promise<void> {
  const command = "fl client";
  const options = {
    server: { type: "string" },
    model: { type: "string" },
    dataset: { type: "string" },
    data: { type: "string" },
    subset: { type: "string" },
    partition: { type: "string" },
    "client-id": { type: "string" },
    "num-clients": { type: "string" },
    "local-epochs": { type: "string" },
    batch: { type: "string" },
    lr: { type: "string" },
    seed: { type: "string" },
    "root-cert": { type: "string" },
    "max-message-mb": { type: "string" },
    "connect-timeout": { type: "string" },
    out: { type: "string" },
    json: { type: "boolean" },
  } as const;
  const { values } = parse(() => parseArgs({ args: argv, options, strict: true }), command);
  const num = (v: string | undefined, flag: string, fallback: number, check?: (n: number) => boolean): number =>
    numberFlag(command, v, flag, fallback, check);
  for (const flag of ["server", "dataset", "client-id", "num-clients"] as const)
    if (values[flag] === undefined) throw new UsageError(`${command}: --${flag} is required`);
  const numClients = num(values["num-clients"], "--num-clients (a positive integer)", 1, positiveInteger);
  const clientId = num(
    values["client-id"],
    `--client-id (an integer in [0, ${numClients}))`,
    0,
    (n) => Number.isInteger(n) && n >= 0 && n < numClients,
  );
  let partition;
  try {
    partition = parsePartition(values.partition ?? "iid");
  } catch (err) {
    throw new UsageError(`${command}: ${(err as Error).message}`);
  }
  const seed = num(values.seed, "--seed (an integer ≥ 0)", 0, (n) => Number.isInteger(n) && n >= 0);
  const modelName = values.model ?? "mlp";
  const study = await prepareStudy(modelName, values.dataset as string, {
    dataDir: values.data,
    subset: values.subset === undefined ? undefined : num(values.subset, "--subset", 0, positiveInteger),
    seed,
  });
  // Every client computes the same partition from the same seed and keeps its own part.
  const mine = partitionLabels(study.data.train.y, numClients, partition, seed)[clientId];
  const myTest = partitionLabels(study.data.val.y, numClients, { kind: "iid" }, seed + 1)[clientId];
  const app = new ModelClientApp(
    study.build(seed),
    selectSamples(study.data.train, mine),
    selectSamples(study.data.val, myTest),
    study.data.classNames,
    {
      epochs: num(values["local-epochs"], "--local-epochs (a positive integer)", 1, positiveInteger),
      batchSize: num(values.batch, "--batch (a positive integer)", 32, positiveInteger),
      learningRate: num(values.lr, "--lr", 0.05),
      optimizer: "sgd",
      proximalMu: 0,
      seed: seed + 104729 * clientId,
    },
  );
  const joinOptions: JoinOptions = {
    ...defaultJoinOptions,
    maxMessageBytes: num(values["max-message-mb"], "--max-message-mb", 512) * mib,
    rootCertificate: readPem(values["root-cert"], "--root-cert", command),
  };
  const log = (line: string): boolean => process.stderr.write(`edgelab fl client ${clientId}: ${line}\n`);
  log(`${mine.length} training and ${myTest.length} test samples of ${study.dataset}; joining ${values.server}`);
  const sessions = await runClient(
    new JoinClientTransport(
      values.server as string,
      joinOptions,
      num(values["connect-timeout"], "--connect-timeout (seconds)", 60) * 1000,
    ),
    app,
    { log },
  );
  if (values.out) {
    mkdirSync(values.out, { recursive: true });
    for (const f of app.fits)
      writeNpz(join(values.out, `fit-${f.fit}.npz`), splitTensors({ flat: f.parameters, shapes: app.shapes }));
  }
  const result = {
    clientId,
    numClients,
    server: values.server,
    model: modelName,
    dataset: study.dataset,
    synthetic: study.synthetic,
    trainSamples: mine.length,
    testSamples: myTest.length,
    sessions,
    fits: app.fits.map(({ parameters: _parameters, ...f }) => f),
    evaluations: app.evaluations,
    out: values.out ?? null,
  };
  if (values.out) writeJsonAtomic(join(values.out, "client.json"), result);
  if (values.json) console.log(JSON.stringify(result));
  else
    console.log(
      `client ${clientId}/${numClients}: ${app.fits.length} fits, ${app.evaluations.length} evaluations, ${sessions} session(s)`,
    );
}
