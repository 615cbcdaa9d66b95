/**
 * Real federated training with real processes: one `edgelab fl serve` and N `edgelab fl client`
 * processes talking Flower's `Join` protocol over TCP. On an emulated Pi cluster (each process in
 * its own network namespace, links shaped to Pi Ethernet or Wi-Fi speed) when namespaces can be
 * made, else on loopback (and the result says so). What notebooks, tests and the benchmark run.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createEmulatedCluster, emulationUnavailable, type EmulatedCluster } from "../cluster/emulated";
import type { ServerRound } from "../federated/server";
import { projectRoot } from "../runtime/paths";

/** One run of server + clients. */
export interface FederatedClusterConfig {
  clients: number;
  rounds: number;
  model: string;
  dataset: string;
  strategy: string;
  partition: string;
  localEpochs: number;
  batchSize: number;
  learningRate: number;
  /** Training samples shared among the clients (stratified); null uses all. */
  subset: number | null;
  seed: number;
  /** Link speed to emulate, Mbit/s; null runs on loopback. */
  bandwidthMbps: number | null;
  /** Where server and clients write (server/, client-I/); null: a temporary folder, removed afterwards. */
  outDir: string | null;
  /** Called with a client's index and process right after the round starts, e.g. to kill it. */
  onRoundStart?: (round: number, clients: ChildProcess[]) => void;
}

/** Defaults: 3 clients, 3 rounds, the MLP on Fashion-MNIST, FedAvg, IID, 1 Gbit/s links. */
export const defaultFederatedClusterConfig: Readonly<FederatedClusterConfig> = Object.freeze({
  clients: 3,
  rounds: 3,
  model: "mlp",
  dataset: "fashion-mnist",
  strategy: "fedavg",
  partition: "iid",
  localEpochs: 1,
  batchSize: 32,
  learningRate: 0.05,
  subset: 3000,
  seed: 0,
  bandwidthMbps: 1000,
  outDir: null,
});

/** What a run returns: the server's `--json` and each client's. */
export interface FederatedClusterResult {
  /** "emulated" (namespaces, shaped links) or "loopback" (and why). */
  links: "emulated" | "loopback";
  why: string | null;
  bandwidthMbps: number | null;
  server: { address: string; rounds: ServerRound[]; parameters: number };
  /** Each client's JSON; null for a client that did not finish (killed, crashed). */
  clients: ({
    fits: { numExamples: number; trainSeconds: number; trainLoss: number }[];
    trainSamples: number;
  } | null)[];
  /** Exit code per client. */
  clientCodes: (number | null)[];
}

function collect(
  child: ChildProcess,
  onLine?: (line: string) => void,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  let partial = "";
  child.stdout?.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString();
    partial += d.toString();
    const lines = partial.split("\n");
    partial = lines.pop() ?? "";
    lines.forEach((l) => onLine?.(l));
  });
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
}

/** Runs the server and clients to completion. */
export async function runFederatedCluster(
  overrides: Partial<FederatedClusterConfig> = {},
): Promise<FederatedClusterResult> {
  const cfg: FederatedClusterConfig = { ...defaultFederatedClusterConfig, ...overrides };
  const outDir = cfg.outDir ?? mkdtempSync(join(tmpdir(), "edgelab-fl-cluster-"));
  const why = cfg.bandwidthMbps === null ? "no link speed asked for" : emulationUnavailable();
  const cluster: EmulatedCluster | null =
    why === null && cfg.bandwidthMbps !== null ? createEmulatedCluster(cfg.clients + 1, cfg.bandwidthMbps) : null;
  const cli = join(projectRoot(), "build", "lib", "cli", "main.js");
  const host = (i: number): string[] => (cluster ? cluster.hostCommand(i) : []);
  const serverHost = cluster ? cluster.hosts[0].address : "127.0.0.1";
  // A fixed port per process id keeps concurrent runs apart; inside namespaces any port is free.
  const address = `${serverHost}:${cluster ? 8080 : 20000 + (process.pid % 20000)}`;
  mkdirSync(outDir, { recursive: true });
  const launch = (i: number, args: string[]): ChildProcess => {
    const argv = [...host(i), process.execPath, cli, ...args];
    return spawn(argv[0], argv.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
  };
  const clients: ChildProcess[] = [];
  try {
    const server = launch(0, [
      "fl",
      "serve",
      "--address",
      address,
      "--rounds",
      String(cfg.rounds),
      "--min-clients",
      String(cfg.clients),
      "--strategy",
      cfg.strategy,
      "--model",
      cfg.model,
      "--dataset",
      cfg.dataset,
      "--subset",
      "100",
      "--local-epochs",
      String(cfg.localEpochs),
      "--batch",
      String(cfg.batchSize),
      "--lr",
      String(cfg.learningRate),
      "--seed",
      String(cfg.seed),
      "--out",
      join(outDir, "server"),
      "--wait",
      "120",
      "--round-timeout",
      "600",
      "--json",
    ]);
    const serverDone = collect(server, (line) => {
      const m = /round (\d+): fit sent/.exec(line);
      if (m) cfg.onRoundStart?.(Number(m[1]), clients);
    });
    for (let c = 0; c < cfg.clients; c++) {
      clients.push(
        launch(c + 1, [
          "fl",
          "client",
          "--server",
          address,
          "--model",
          cfg.model,
          "--dataset",
          cfg.dataset,
          "--partition",
          cfg.partition,
          "--client-id",
          String(c),
          "--num-clients",
          String(cfg.clients),
          "--seed",
          String(cfg.seed),
          ...(cfg.subset === null ? [] : ["--subset", String(cfg.subset)]),
          "--out",
          join(outDir, `client-${c}`),
          "--connect-timeout",
          "120",
          "--json",
        ]),
      );
    }
    const clientRuns = await Promise.all(clients.map((c) => collect(c)));
    const serverRun = await serverDone;
    if (serverRun.code !== 0)
      throw new Error(
        `fl serve exited ${serverRun.code}: ${serverRun.stderr.trim().split("\n").slice(-3).join(" | ")}`,
      );
    return {
      links: cluster ? "emulated" : "loopback",
      why,
      bandwidthMbps: cluster ? cfg.bandwidthMbps : null,
      server: JSON.parse(serverRun.stdout) as FederatedClusterResult["server"],
      clients: clientRuns.map((r) =>
        r.code === 0 ? (JSON.parse(r.stdout) as NonNullable<FederatedClusterResult["clients"][number]>) : null,
      ),
      clientCodes: clientRuns.map((r) => r.code),
    };
  } finally {
    clients.forEach((c) => c.exitCode === null && c.kill("SIGKILL"));
    cluster?.destroy();
    if (cfg.outDir === null) rmSync(outDir, { recursive: true, force: true });
  }
}
